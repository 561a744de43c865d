import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeCore, createProviders, type Core, type ProviderDeps } from '../../../main/compose';
import { silentLogger, type Logger } from '../../../main/core/logger';
import type { CredentialCachePort } from '../../../main/providers/types';
import { randomKeyProvider, testKeyProvider } from '../../helpers/keys';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();
// Something that looks like MSAL's serialized cache, with a marker we can look for in the file's bytes.
const MARKER = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9-refresh-token-MARKER-7f3a9c';
const CACHE = JSON.stringify({ AccessToken: {}, RefreshToken: { rt: { secret: MARKER } }, Account: {} });

/** A composed core whose providers are built by createProviders; the port they were given is kept. */
function open(dataDir: string, keyProvider = testKeyProvider(), logger: Logger = silentLogger): { core: Core; port: CredentialCachePort } {
  let deps: ProviderDeps | undefined;
  const core = composeCore({
    dataDir,
    keyProvider,
    startScheduler: false,
    startWebhooks: false,
    logger,
    providers: (d) => {
      deps = d;
      return createProviders(d, { aws: false });
    },
  });
  return { core, port: deps!.credentialCache };
}

async function account(core: Core, name: string): Promise<string> {
  const r = await core.router.dispatch('dr:accounts.create', { name, provider: 'sim', cloud: 'azure', credentials: { kind: 'none' } }, { id: 't', trusted: true });
  if (!r.ok) throw new Error(r.error.message);
  return (r.value as { id: string }).id;
}

describe('the credential-cache port on the vault', () => {
  it('gives a provider back the cache it wrote, in a later session too', async () => {
    const dir = tempDir();
    const first = open(dir);
    const id = await account(first.core, 'Azure prod');
    expect(await first.port.read(id, 'msal')).toBeNull();
    await first.port.write(id, 'msal', CACHE);
    expect(await first.port.read(id, 'msal')).toBe(CACHE);
    await first.port.write(id, 'msal', `${CACHE} `);
    await first.core.close();

    const second = open(dir);
    expect(await second.port.read(id, 'msal')).toBe(`${CACHE} `);
    expect(await second.port.read(id, 'other-cache')).toBeNull();
    await second.port.clear(id, 'msal');
    expect(await second.port.read(id, 'msal')).toBeNull();
    await second.core.close();
  });

  it("does not open one account's cache as another's, nor under another key", async () => {
    const dir = tempDir();
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
    const { core, port } = open(dir, testKeyProvider(), logger);
    const a = await account(core, 'A');
    const b = await account(core, 'B');
    await port.write(a, 'msal', CACHE);
    expect(await port.read(b, 'msal')).toBeNull();
    // Even with A's sealed blob copied onto B's row, B cannot open it: the AAD binds it to A.
    core.db.prepare(`INSERT INTO credential_caches (account_id, name, sealed, updated_at) SELECT ?, name, sealed, updated_at FROM credential_caches WHERE account_id = ?`).run(b, a);
    expect(await port.read(b, 'msal')).toBeNull();
    // Nor under another cache name.
    core.db.prepare(`INSERT INTO credential_caches (account_id, name, sealed, updated_at) SELECT account_id, 'sso', sealed, updated_at FROM credential_caches WHERE account_id = ? AND name = 'msal'`).run(a);
    expect(await port.read(a, 'sso')).toBeNull();
    expect(await port.read(a, 'msal')).toBe(CACHE);
    expect(warnings.some((w) => w.includes('could not be opened'))).toBe(true);
    expect(warnings.join(' ')).not.toContain(MARKER);
    await core.close();

    const other = open(dir, randomKeyProvider());
    await expect(other.port.read(a, 'msal')).resolves.toBeNull();
    await other.core.close();
  });

  it('never writes the cache in plain text into the data file', async () => {
    const dir = tempDir();
    const { core, port } = open(dir);
    const id = await account(core, 'Azure prod');
    await port.write(id, 'msal', CACHE);
    const file = core.dataFile;
    await core.close();
    const bytes = Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
    expect(bytes.length).toBeGreaterThan(0);
    for (const needle of [MARKER, 'RefreshToken', Buffer.from(MARKER).toString('base64').slice(0, 24), Buffer.from(MARKER, 'utf16le').toString('latin1')]) {
      expect(bytes.includes(Buffer.from(needle, 'latin1'))).toBe(false);
    }
  });

  it('refuses a cache name that is not a plain identifier', async () => {
    const { core, port } = open(tempDir());
    const id = await account(core, 'A');
    await expect(port.write(id, '../x', CACHE)).rejects.toThrow(/must be 1-64 lowercase/);
    await core.close();
  });
});
