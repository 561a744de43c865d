// Proves the layering lint rules fire (and stay quiet) by linting snippets as if they lived at
// given paths, with the repository's real eslint.config.js.
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const eslint = new ESLint({ cwd: ROOT });

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, filePath) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

describe('the layering lint rules', () => {
  it('allow electron only in main/electron/ and preload/', async () => {
    const code = "import { app } from 'electron';\nexport const x = app;\n";
    expect(await ruleIds('main/electron/probe.ts', code)).toEqual([]);
    expect(await ruleIds('preload/probe.ts', code)).toEqual([]);
    for (const file of ['main/core/probe.ts', 'shared/probe.ts', 'renderer/probe.ts', 'test/main/probe.test.ts', 'scripts/probe.mjs']) {
      expect(await ruleIds(file, code), file).toContain('no-restricted-imports');
    }
    expect(await ruleIds('main/db/probe.ts', "import type { App } from 'electron';\nexport type X = App;\n")).toContain(
      'no-restricted-imports',
    );
  });

  it('keep Node, React and the app folders out of shared/', async () => {
    for (const code of [
      "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
      "import { join } from 'path';\nexport const x = join;\n",
      "import { useState } from 'react';\nexport const x = useState;\n",
      "import { x } from '../../main/core/clock';\nexport const y = x;\n",
      "export { x } from '../../renderer/api';\n",
    ]) {
      const ids = await ruleIds('shared/ipc/probe.ts', code);
      expect(ids.some((id) => id === 'no-restricted-imports' || id === 'layers/no-cross-layer-import'), code).toBe(true);
    }
    expect(await ruleIds('shared/ipc/probe.ts', "import { z } from 'zod';\nimport { ERROR_CODES } from '../errors';\nexport const x = [z, ERROR_CODES];\n")).toEqual([]);
  });

  it('keep main out of the renderer and the renderer out of main, however the path is spelled', async () => {
    expect(await ruleIds('renderer/features/policies/probe.ts', "import { x } from '../../../main/core/clock';\nexport const y = x;\n")).toContain(
      'layers/no-cross-layer-import',
    );
    expect(await ruleIds('renderer/probe.ts', "import { x } from './../main/./db/connection';\nexport const y = x;\n")).toContain(
      'layers/no-cross-layer-import',
    );
    expect(await ruleIds('renderer/probe.ts', "import { x } from 'node:fs';\nexport const y = x;\n")).toContain('no-restricted-imports');
    expect(await ruleIds('main/core/probe.ts', "import { x } from '../../renderer/api';\nexport const y = x;\n")).toContain(
      'layers/no-cross-layer-import',
    );
    // A renderer folder that happens to be called "main" is not main/.
    expect(await ruleIds('renderer/features/probe.ts', "import { x } from './main/layout';\nexport const y = x;\n")).toEqual([]);
  });

  it('let only renderer/api.ts touch window.drConsole', async () => {
    const code = 'export const api = window.drConsole;\n';
    expect(await ruleIds('renderer/api.ts', code)).toEqual([]);
    expect(await ruleIds('renderer/features/policies/probe.ts', code)).toContain('no-restricted-syntax');
    expect(await ruleIds('renderer/features/policies/probe.ts', "export const api = window['drConsole'];\n")).toContain('no-restricted-syntax');
    expect(await ruleIds('renderer/features/policies/probe.ts', 'export const api = drConsole;\n')).toContain('no-restricted-globals');
  });

  it('keep the Electron shell from building providers itself: they come from createProviders()', async () => {
    expect(await ruleIds('main/electron/probe.ts', "import { createSimProvider } from '../providers/sim';\nexport const x = createSimProvider;\n")).toContain(
      'layers/no-cross-layer-import',
    );
    expect(await ruleIds('main/electron/probe.ts', "import { createProviders } from '../compose';\nexport const x = createProviders;\n")).toEqual([]);
    expect(await ruleIds('main/electron/probe.ts', "import { x } from '../../renderer/api';\nexport const y = x;\n")).toContain('layers/no-cross-layer-import');
  });
});
