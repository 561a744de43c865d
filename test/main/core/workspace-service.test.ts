import { describe, expect, it } from 'vitest';
import { createFakeProvider } from '../../helpers/fake-provider';
import { createTestCore } from '../../helpers/test-core';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();

describe('the rehearsal workspace', () => {
  it('creates three simulated accounts with a source and a target environment each, in real region pairs', async () => {
    const core = createTestCore(tempDir(), { adapters: [createFakeProvider({ perType: 1 })] });
    expect((await core.call('dr:app.info', {})).workspaceReady).toBe(false);
    const result = await core.call('dr:workspace.createRehearsal', {});
    // Fake inventory: one resource per type of each cloud in each source environment (15 types).
    expect(result).toEqual({ accounts: 3, environments: 6, resources: 15 });
    const accounts = await core.call('dr:accounts.list', {});
    expect(accounts.map((a) => a.name).sort()).toEqual([
      'Rehearsal AWS (simulated)',
      'Rehearsal Azure (simulated)',
      'Rehearsal Google Cloud (simulated)',
    ]);
    expect(accounts.every((a) => a.simulated && a.provider === 'sim' && a.credentialKind === 'none')).toBe(true);
    const regions = (await core.call('dr:environments.list', {})).map((e) => `${e.cloud}:${e.region}`).sort();
    expect(regions).toEqual(['aws:us-east-1', 'aws:us-west-2', 'azure:eastus', 'azure:westus2', 'gcp:us-central1', 'gcp:us-east4']);
    expect((await core.call('dr:app.info', {})).workspaceReady).toBe(true);
    await core.close();
  });

  it('is idempotent: a second call reuses what exists', async () => {
    const core = createTestCore(tempDir());
    await core.call('dr:workspace.createRehearsal', {});
    const again = await core.call('dr:workspace.createRehearsal', {});
    expect(again).toMatchObject({ accounts: 3, environments: 6 });
    expect(await core.call('dr:accounts.list', {})).toHaveLength(3);
    expect(await core.call('dr:environments.list', {})).toHaveLength(6);
    await core.close();
  });

  it('refuses when the console has no rehearsal provider', async () => {
    const core = createTestCore(tempDir(), { adapters: [createFakeProvider({ kind: 'aws', simulated: false, clouds: ['aws'] })] });
    expect((await core.fail('dr:workspace.createRehearsal', {})).code).toBe('PreconditionFailed');
    expect(await core.call('dr:accounts.list', {})).toEqual([]);
    await core.close();
  });
});
