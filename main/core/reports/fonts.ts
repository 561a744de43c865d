// The report's fonts, bundled with the app (@fontsource/inter) and inlined into the page as data
// URLs: the printed PDF looks the same on every machine and nothing is fetched from a network.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

let css: string | null = null;

export function reportFontCss(): string {
  if (css !== null) return css;
  const require = createRequire(import.meta.url);
  const face = (weight: number) => {
    const file = require.resolve(`@fontsource/inter/files/inter-latin-${weight}-normal.woff2`);
    const data = readFileSync(file).toString('base64');
    return `@font-face{font-family:'Inter';font-style:normal;font-weight:${weight};src:url(data:font/woff2;base64,${data}) format('woff2');}`;
  };
  css = face(400) + face(600);
  return css;
}
