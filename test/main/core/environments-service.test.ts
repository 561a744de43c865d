import { describe, expect, it } from 'vitest';
import { createTestCore, seedAwsPair } from '../../helpers/test-core';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();

describe('environments', () => {
  it('creates environments that take their cloud from the account, listed per account', async () => {
    const core = createTestCore(tempDir());
    const { account, source } = await seedAwsPair(core);
    expect(source).toMatchObject({ accountId: account.id, cloud: 'aws', region: 'us-east-1', scope: '111122223333' });
    expect((await core.call('dr:environments.list', { accountId: account.id })).map((e) => e.name)).toEqual(['DR', 'Prod']);
    expect(await core.call('dr:environments.list', { accountId: 'nobody' })).toEqual([]);
    await core.close();
  });

  it('refuses a duplicate name in one account and an unknown account', async () => {
    const core = createTestCore(tempDir());
    const { account } = await seedAwsPair(core);
    expect((await core.fail('dr:environments.create', { accountId: account.id, name: 'prod', region: 'eu-west-1', scope: '' })).code).toBe('Conflict');
    expect((await core.fail('dr:environments.create', { accountId: 'acc_missing', name: 'X', region: 'eu-west-1', scope: '' })).code).toBe('NotFound');
    expect((await core.fail('dr:environments.create', { accountId: account.id, name: 'Y', region: 'EU WEST', scope: '' })).code).toBe('ValidationFailed');
    await core.close();
  });

  it('refuses to delete an environment while a policy uses it', async () => {
    const core = createTestCore(tempDir());
    const { source, target, inventory } = await seedAwsPair(core);
    const policy = await core.call('dr:policies.create', {
      name: 'P',
      sourceEnvironmentId: source.id,
      targetEnvironmentId: target.id,
      resources: [inventory[0]!],
      schedule: null,
      webhookUrl: null,
    });
    const err = await core.fail('dr:environments.delete', { environmentId: target.id });
    expect(err.code).toBe('PreconditionFailed');
    expect(err.message).toMatch(/1 policy/);
    await core.call('dr:policies.delete', { policyId: policy.id });
    await core.call('dr:environments.delete', { environmentId: target.id });
    expect((await core.call('dr:environments.list', {})).map((e) => e.name)).toEqual(['Prod']);
    await core.close();
  });
});
