import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseNativeBinding, electronNativeBindingPath } from '../../../main/electron/native-binding';

const ROOT = resolve(import.meta.dirname, '../../..');
const SCRIPT = join(ROOT, 'scripts', 'ensure-electron-native.mjs');
const electronVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
const nodeBuild = join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function runScript(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [SCRIPT, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, HTTPS_PROXY: '', https_proxy: '', npm_config_proxy: '', ...env },
  });
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

describe('chooseNativeBinding', () => {
  it('uses the package\'s own (electron-builder rebuilt) binding when packaged', () => {
    expect(chooseNativeBinding({ isPackaged: true, appRoot: '/x', electronVersion: '45.5.0', exists: () => false })).toEqual({
      ok: true,
      nativeBinding: undefined,
    });
  });

  it('uses .native/electron-<version>/better_sqlite3.node in development', () => {
    const file = electronNativeBindingPath('/repo', '45.5.0');
    expect(file).toBe(join('/repo', '.native', 'electron-45.5.0', 'better_sqlite3.node'));
    expect(chooseNativeBinding({ isPackaged: false, appRoot: '/repo', electronVersion: '45.5.0', exists: (f) => f === file })).toEqual({
      ok: true,
      nativeBinding: file,
    });
  });

  it('says how to build it when the development build is missing', () => {
    const choice = chooseNativeBinding({ isPackaged: false, appRoot: '/repo', electronVersion: '45.5.0', exists: () => false });
    expect(choice.ok).toBe(false);
    if (!choice.ok) expect(choice.message).toContain('node scripts/ensure-electron-native.mjs');
  });
});

describe('scripts/ensure-electron-native.mjs', () => {
  it('writes to the same path the shell loads from', () => {
    const run = runScript(['--print-path']);
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(electronNativeBindingPath(ROOT, electronVersion));
  });

  it('describes its plan in a dry run without building anything', () => {
    const run = runScript(['--dry-run']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Electron ${electronVersion}`);
    expect(run.stdout).toContain('--runtime=electron');
    expect(run.stdout).toContain(join('.native', `electron-${electronVersion}`, 'better_sqlite3.node'));
  });

  it('fails with a plain sentence when Electron headers cannot be downloaded, leaving the Node build alone', async () => {
    const before = sha(nodeBuild);
    const gypDir = mkdtempSync(join(tmpdir(), 'fc-electron-gyp-'));
    try {
      const port = await closedPort();
      const run = runScript(['--force'], { ELECTRON_HEADERS_URL: `http://127.0.0.1:${port}`, ELECTRON_GYP_DIR: gypDir });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`Cannot download Electron ${electronVersion}'s headers`);
      expect(run.stderr).toContain('node_modules/better-sqlite3 (the Node build the tests use) was not changed');
    } finally {
      rmSync(gypDir, { recursive: true, force: true });
    }
    expect(sha(nodeBuild)).toBe(before);
  });
});
