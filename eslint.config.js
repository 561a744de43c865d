// Lint rules, layering first: which folder may import what is checked by a machine, as in VS Code.
//   main/electron/ and preload/  the only code that may import `electron` (the preload IS Electron
//                                code: it runs in the renderer's sandbox and needs contextBridge).
//   main/ (other)                plain Node; never `electron`, never the renderer.
//   renderer/                    the page: no Node, no main, no preload; only renderer/api.ts may
//                                touch window.drConsole.
//   shared/                      pure TypeScript: no Node, DOM-only APIs, Electron, React or app folders.
//   test/, scripts/, bench/      Node; never `electron` (requiring it tries to download the binary).

import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';
import layers from './scripts/eslint-plugin-layers.js';

const ROOT = import.meta.dirname;
const SOURCES = ['**/*.{ts,tsx,js,mjs,cjs}'];

const NODE_BUILTINS = builtinModules.filter((name) => !name.startsWith('_'));
const noNode = (who) => ({
  paths: NODE_BUILTINS.map((name) => ({ name, message: `${who} must not use Node built-ins.` })),
  patterns: [{ group: ['node:*'], message: `${who} must not use Node built-ins.` }],
});
const ELECTRON_ONLY_IN_SHELL =
  'Only main/electron/ and preload/ may import electron (elsewhere it also tries to download the binary).';
const electronPath = { name: 'electron', message: ELECTRON_ONLY_IN_SHELL };
const electronPatterns = { group: ['electron/*'], message: ELECTRON_ONLY_IN_SHELL };

/** Builds a no-restricted-imports option from several parts (flat config replaces, never merges, options). */
function restricted(...parts) {
  return {
    paths: parts.flatMap((p) => p.paths ?? []),
    patterns: parts.flatMap((p) => p.patterns ?? []),
  };
}

const layer = (forbidden) => ['error', { root: ROOT, forbidden }];
const DR_CONSOLE = 'Only renderer/api.ts may touch window.drConsole; import the client from renderer/api instead.';

export default defineConfig([
  {
    ignores: [
      'out/**', 'dist/**', 'release/**', 'node_modules/**', '.native/**', '.venv/**', '.peers/**', '.tmp/**',
      'test-results/**', 'playwright-report/**', 'coverage/**',
    ],
  },
  { files: SOURCES, ...js.configs.recommended },
  ...tseslint.configs.recommended,
  {
    files: SOURCES,
    plugins: { layers },
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': ['error', restricted({ paths: [electronPath], patterns: [electronPatterns] })],
    },
  },

  // ---- the Electron shell and the preload: the only places `electron` is allowed ----
  { files: ['main/electron/**'], rules: { 'no-restricted-imports': 'off' } },
  {
    files: ['preload/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // Sandboxed preloads get no Node modules at runtime; everything else is bundled from shared/.
      'no-restricted-imports': ['error', restricted(noNode('The sandboxed preload'))],
      'layers/no-cross-layer-import': layer([
        { folder: 'main', reason: 'the preload runs in the renderer process; it talks to main only over IPC.' },
        { folder: 'renderer', reason: 'the preload must not depend on page code.' },
      ]),
    },
  },

  // ---- main (plain Node) ----
  {
    files: ['main/**'],
    rules: {
      'layers/no-cross-layer-import': layer([
        { folder: 'renderer', reason: 'main must not depend on page code.' },
        { folder: 'preload', reason: 'main must not depend on the preload.' },
      ]),
    },
  },
  // The shell builds nothing main/compose.ts builds: providers come from createProviders().
  {
    files: ['main/electron/**'],
    rules: {
      'layers/no-cross-layer-import': layer([
        { folder: 'renderer', reason: 'main must not depend on page code.' },
        { folder: 'preload', reason: 'main must not depend on the preload.' },
        { folder: 'main/providers', reason: 'the shell gets its providers from createProviders() in main/compose.ts.' },
      ]),
    },
  },

  // ---- renderer (DOM only) ----
  {
    files: ['renderer/**'],
    ...reactHooks.configs.flat.recommended,
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        restricted(noNode('Renderer code'), {
          paths: [electronPath, { name: 'better-sqlite3', message: 'The renderer reaches data only through renderer/api.ts.' }],
          patterns: [electronPatterns],
        }),
      ],
      'layers/no-cross-layer-import': layer([
        { folder: 'main', reason: 'the renderer reaches main only through renderer/api.ts (window.drConsole).' },
        { folder: 'preload', reason: 'the preload is not importable from the page.' },
      ]),
    },
  },

  // ---- shared (pure TypeScript) ----
  {
    files: ['shared/**'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': [
        'error',
        restricted(noNode('shared/'), {
          paths: [
            electronPath,
            { name: 'react', message: 'shared/ is used by main too: no React.' },
            { name: 'react-dom', message: 'shared/ is used by main too: no React.' },
            { name: 'better-sqlite3', message: 'shared/ is pure: no database.' },
          ],
          patterns: [electronPatterns, { group: ['react/*', 'react-dom/*'], message: 'shared/ is used by main too: no React.' }],
        }),
      ],
      'layers/no-cross-layer-import': layer([
        { folder: 'main', reason: 'shared/ imports nothing from the app.' },
        { folder: 'renderer', reason: 'shared/ imports nothing from the app.' },
        { folder: 'preload', reason: 'shared/ imports nothing from the app.' },
        { folder: 'test', reason: 'shared/ imports nothing from the app.' },
      ]),
    },
  },

  // ---- window.drConsole belongs to renderer/api.ts (app code; the test harness installs it) ----
  {
    files: ['main/**', 'preload/**', 'shared/**', 'renderer/**'],
    ignores: ['renderer/api.ts'],
    rules: {
      'no-restricted-globals': ['error', { name: 'drConsole', message: DR_CONSOLE }],
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[property.name='drConsole']", message: DR_CONSOLE },
        { selector: "MemberExpression[computed=true][property.value='drConsole']", message: DR_CONSOLE },
      ],
    },
  },
]);
