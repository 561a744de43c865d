import { resolve } from 'node:path';

const __dirname = import.meta.dirname;
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { injectCsp } from './shared/csp';

/** Writes the one Content-Security-Policy (shared/csp.ts) into index.html's meta tag. */
function contentSecurityPolicy(): Plugin {
  return { name: 'failover-console-csp', transformIndexHtml: { order: 'pre', handler: (html) => injectCsp(html) } };
}

// Three bundles: main (ESM, Node), preload (CJS: sandboxed preloads cannot be ES modules),
// renderer (React, served to the window through the app:// protocol).
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: { input: { index: resolve(__dirname, 'main/electron/index.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve(__dirname, 'renderer/index.html') } },
    },
    plugins: [contentSecurityPolicy(), react()],
  },
});
