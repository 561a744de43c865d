import { describe, expect, it } from 'vitest';
import { ProviderFailure } from '../../../main/providers/provider-failure';
import { UnavailableKeyProvider } from '../../../main/credentials/static-key-provider';
import { createFakeProvider } from '../../helpers/fake-provider';
import { dbChecksum } from '../../helpers/db-checksum';
import { createTestCore } from '../../helpers/test-core';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();

const awsKey = {
  name: 'Production AWS',
  provider: 'aws' as const,
  cloud: 'aws' as const,
  credentials: { kind: 'aws-access-key' as const, accessKeyId: 'AKIAEXAMPLEKEY123456', secretAccessKey: 'verysecretvalue/XYZ' },
};

describe('accounts', () => {
  it('creates an account whose view and audit entry carry no secret, and whose secret is encrypted at rest', async () => {
    const aws = createFakeProvider({ kind: 'aws', simulated: false, clouds: ['aws'] });
    const core = createTestCore(tempDir(), { adapters: [createFakeProvider(), aws] });
    const view = await core.call('dr:accounts.create', awsKey);
    expect(view).toMatchObject({ name: 'Production AWS', provider: 'aws', cloud: 'aws', credentialKind: 'aws-access-key', simulated: false });
    expect(JSON.stringify(await core.call('dr:accounts.list', {}))).not.toContain('verysecret');
    expect(JSON.stringify(await core.call('dr:audit.list', {}))).not.toContain('verysecret');
    const raw = core.db.prepare('SELECT secret FROM accounts').pluck().get() as Buffer;
    expect(raw.toString('latin1')).not.toContain('verysecret');
    // The adapter gets the decrypted credentials, inside main only.
    await core.call('dr:accounts.test', { accountId: view.id });
    expect(aws.accountsSeen[0]!.credentials).toEqual(awsKey.credentials);
    await core.close();
  });

  it('refuses a second account with the same name in another case', async () => {
    const core = createTestCore(tempDir());
    await core.call('dr:accounts.create', { name: 'Rehearsal', provider: 'sim', cloud: 'aws', credentials: { kind: 'none' } });
    const err = await core.fail('dr:accounts.create', { name: 'REHEARSAL', provider: 'sim', cloud: 'gcp', credentials: { kind: 'none' } });
    expect(err.code).toBe('Conflict');
    expect((await core.call('dr:accounts.list', {})).length).toBe(1);
    await core.close();
  });

  it('refuses credentials of the wrong kind for the provider, and a provider the console does not have', async () => {
    const core = createTestCore(tempDir());
    expect((await core.fail('dr:accounts.create', { ...awsKey, provider: 'sim' })).code).toBe('ValidationFailed');
    expect((await core.fail('dr:accounts.create', awsKey)).code).toBe('PreconditionFailed');
    expect(core.services.accounts.list()).toHaveLength(0);
    await core.close();
  });

  it('fails with CredentialStoreUnavailable when secrets cannot be protected, and stores nothing', async () => {
    const core = createTestCore(tempDir(), {
      adapters: [createFakeProvider({ kind: 'aws', clouds: ['aws'], simulated: false })],
      keyProvider: new UnavailableKeyProvider('Linux secret storage is basic_text; set a passphrase.'),
    });
    const before = dbChecksum(core.db);
    const err = await core.fail('dr:accounts.create', awsKey);
    expect(err.code).toBe('CredentialStoreUnavailable');
    expect(err.message).toContain('basic_text');
    expect(dbChecksum(core.db)).toBe(before);
    await core.close();
  });

  it('refuses to delete an account while an environment uses it, then deletes it once unused', async () => {
    const core = createTestCore(tempDir());
    const acc = await core.call('dr:accounts.create', { name: 'Sim', provider: 'sim', cloud: 'aws', credentials: { kind: 'none' } });
    const env = await core.call('dr:environments.create', { accountId: acc.id, name: 'Prod', region: 'us-east-1', scope: '' });
    const err = await core.fail('dr:accounts.delete', { accountId: acc.id });
    expect(err).toMatchObject({ code: 'PreconditionFailed' });
    expect(err.message).toMatch(/1 environment/);
    await core.call('dr:environments.delete', { environmentId: env.id });
    await core.call('dr:accounts.delete', { accountId: acc.id });
    expect(await core.call('dr:accounts.list', {})).toEqual([]);
    expect((await core.fail('dr:accounts.delete', { accountId: acc.id })).code).toBe('NotFound');
    await core.close();
  });

  it('reports a provider refusal from the connection test as a result the operator can read', async () => {
    const core = createTestCore(tempDir(), {
      adapters: [
        createFakeProvider({
          testConnection: () => Promise.reject(new ProviderFailure('ProviderAuthFailed', 'The access key was rejected.')),
        }),
      ],
    });
    const acc = await core.call('dr:accounts.create', { name: 'Sim', provider: 'sim', cloud: 'aws', credentials: { kind: 'none' } });
    expect(await core.call('dr:accounts.test', { accountId: acc.id })).toEqual({ ok: false, identity: '', message: 'The access key was rejected.' });
    const audit = await core.call('dr:audit.list', { subjectId: acc.id });
    expect(audit.items[0]).toMatchObject({ action: 'account.test', actor: 'operator' });
    await core.close();
  });
});
