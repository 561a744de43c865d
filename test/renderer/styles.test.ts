// The stylesheet's blocks are closed where they end. Chromium nests a rule written inside an
// unclosed block (CSS nesting), so a lost "}" does not fail the build: it silently scopes every later
// rule under the unclosed selector (".read-only-banner p .lease-override") and they stop applying.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const STYLES = ['app.css'].map((f) => resolve(import.meta.dirname, '../../renderer/styles', f));

/** Rules opened inside another rule (not inside an @-block), with their line, and the depth at the end. */
function nesting(css: string): { nested: string[]; depth: number } {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, (q) => q.replace(/[{}]/g, ' '));
  const open: boolean[] = []; // per open block: is it an @-block (@media, @supports, @keyframes…)?
  const nested: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{') {
      const prelude = text.slice(start, i).trim();
      const at = prelude.startsWith('@');
      if (!at && open.length > 0 && open[open.length - 1] === false) {
        nested.push(`line ${text.slice(0, i).split('\n').length}: ${prelude.split('\n').at(-1)}`);
      }
      open.push(at);
      start = i + 1;
    } else if (ch === '}') {
      open.pop();
      start = i + 1;
    } else if (ch === ';') {
      start = i + 1;
    }
  }
  return { nested, depth: open.length };
}

describe('the renderer stylesheet', () => {
  it('finds a rule left inside an unclosed one (the check itself)', () => {
    expect(nesting('.a {\n  margin: 0;\n/* x */\n.b {\n  color: red;\n}\n')).toEqual({ nested: ['line 4: .b'], depth: 1 });
    expect(nesting('@media (min-width: 1px) {\n  .a { color: red; }\n}\n.b { content: "{"; }\n')).toEqual({ nested: [], depth: 0 });
  });

  for (const file of STYLES) {
    it(`closes every rule where it ends (${file.split('/').at(-1)})`, () => {
      expect(nesting(readFileSync(file, 'utf8'))).toEqual({ nested: [], depth: 0 });
    });
  }
});
