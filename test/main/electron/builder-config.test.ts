// Validates electron-builder.yml against electron-builder's own JSON schema and validator, without
// running electron-builder (which would download Electron).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const require = createRequire(import.meta.url);
// Load the copies electron-builder itself uses, so the check matches what `npm run dist` would do.
const builderRequire = createRequire(require.resolve('app-builder-lib/package.json'));
const yaml = builderRequire('js-yaml') as { load(text: string): unknown };
const Ajv = builderRequire('ajv') as new (opts: object) => {
  compile(schema: object): ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
};
const { validateConfiguration } = builderRequire('./out/util/config/config.js') as {
  validateConfiguration(config: unknown, logger: { isEnabled: boolean; add(): void }): Promise<void>;
};
const schema = JSON.parse(readFileSync(builderRequire.resolve('./scheme.json'), 'utf8')) as object;

type Config = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const config = yaml.load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as Config;
const logger = { isEnabled: false, add: () => undefined };

function schemaErrors(candidate: unknown): string[] {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  return validate(candidate) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

describe('electron-builder.yml', () => {
  it('matches electron-builder 26\'s configuration schema', () => {
    expect(schemaErrors(config)).toEqual([]);
  });

  it('passes electron-builder\'s own configuration validator', async () => {
    await expect(validateConfiguration(structuredClone(config), logger)).resolves.toBeUndefined();
  });

  it('is caught by both checks when a field is misspelled', async () => {
    const broken = { ...structuredClone(config), electronFuse: { runAsNode: false } };
    expect(schemaErrors(broken).length).toBeGreaterThan(0);
    await expect(validateConfiguration(broken, logger)).rejects.toThrow(/electronFuse/);
  });

  it('packages the built app into release/ with native modules outside the asar', () => {
    expect(config['appId']).toBe('com.failoverconsole.app');
    expect(config['productName']).toBe('Failover Console');
    expect(config['directories']).toMatchObject({ output: 'release' });
    expect(config['files']).toEqual(expect.arrayContaining(['out/**', 'package.json']));
    expect(config['asar']).toBe(true);
    expect(config['asarUnpack']).toEqual(expect.arrayContaining(['**/*.node']));
    expect(config['npmRebuild']).toBe(true);
  });

  it('sets the security fuses', () => {
    expect(config['electronFuses']).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('targets AppImage and deb, NSIS, and a hardened dmg whose entitlements and icon exist', () => {
    expect(config['linux']['target']).toEqual(['AppImage', 'deb']);
    expect(config['linux']['maintainer']).toMatch(/<.+@.+>/);
    expect(config['linux']['category']).toBeTruthy();
    expect(config['win']['target']).toEqual(['nsis']);
    expect(config['mac']['target']).toEqual(['dmg']);
    expect(config['mac']['hardenedRuntime']).toBe(true);
    for (const file of [config['mac']['entitlements'], config['mac']['entitlementsInherit'], config['linux']['icon']]) {
      expect(existsSync(join(ROOT, file as string)), file as string).toBe(true);
    }
  });
});
