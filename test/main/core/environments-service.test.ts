import { describe, expect, it } from 'vitest';
import { createTestCore, seedAwsPair } from '../../helpers/test-core';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();

describe('environments', () => {
  it('creates environments that take their cloud from the account, listed per account', async () => {
    const core = createTestCore(tempDir());
    const { account, source } = await seedAwsPair(core);
    expect(source).toMatchObject({ accountId: account.id, cloud: 'aws', region: 'us-east-1', scope: { cloud: 'aws', region: 'us-east-1', accountId: '111122223333' } });
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

  it('stores a typed scope per cloud, from the fields or from the one-line form', async () => {
    const core = createTestCore(tempDir());
    const azure = await core.call('dr:accounts.create', { name: 'Az', provider: 'sim', cloud: 'azure', credentials: { kind: 'none' } });
    const gcp = await core.call('dr:accounts.create', { name: 'G', provider: 'sim', cloud: 'gcp', credentials: { kind: 'none' } });
    const sub = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
    const a = await core.call('dr:environments.create', { accountId: azure.id, name: 'A', region: 'westeurope', scope: { subscriptionId: sub, resourceGroup: 'rg-shop' } });
    expect(a.scope).toEqual({ cloud: 'azure', location: 'westeurope', subscriptionId: sub, resourceGroup: 'rg-shop' });
    const b = await core.call('dr:environments.create', { accountId: azure.id, name: 'B', region: 'northeurope', scope: `/subscriptions/${sub}/resourceGroups/rg-dr` });
    expect(b.scope).toEqual({ cloud: 'azure', location: 'northeurope', subscriptionId: sub, resourceGroup: 'rg-dr' });
    const g = await core.call('dr:environments.create', { accountId: gcp.id, name: 'G1', region: 'europe-west1', scope: { projectId: 'shop-prod-1234', zone: 'europe-west1-c' } });
    expect(g.scope).toEqual({ cloud: 'gcp', region: 'europe-west1', projectId: 'shop-prod-1234', zone: 'europe-west1-c' });
    const blank = await core.call('dr:environments.create', { accountId: gcp.id, name: 'G2', region: 'us-central1', scope: {} });
    expect(blank.scope).toEqual({ cloud: 'gcp', region: 'us-central1', projectId: null, zone: null });
    // Read back from the file, not only from the create answer.
    expect((await core.call('dr:environments.list', { accountId: azure.id })).find((e) => e.id === a.id)?.scope).toEqual(a.scope);
    await core.close();
  });

  it('refuses a bad scope with a sentence naming the field, and creates nothing', async () => {
    const core = createTestCore(tempDir());
    const { account } = await seedAwsPair(core);
    const azure = await core.call('dr:accounts.create', { name: 'Az', provider: 'sim', cloud: 'azure', credentials: { kind: 'none' } });
    const gcp = await core.call('dr:accounts.create', { name: 'G', provider: 'sim', cloud: 'gcp', credentials: { kind: 'none' } });
    const cases = [
      { accountId: account.id, region: 'eu-west-1', scope: '1234', path: 'scope.accountId', text: /not an AWS account id: use the 12 digits/ },
      { accountId: account.id, region: 'eu-west-1', scope: { accountId: '11112222333x' }, path: 'scope.accountId', text: /not an AWS account id/ },
      { accountId: account.id, region: 'eu-west-1', scope: { projectId: 'shop-prod-1234' }, path: 'scope.projectId', text: /An environment on AWS has no project id/ },
      { accountId: azure.id, region: 'westeurope', scope: 'sub-0001/rg-prod', path: 'scope.subscriptionId', text: /not an Azure subscription id: use its GUID/ },
      { accountId: azure.id, region: 'westeurope', scope: { resourceGroup: 'rg.' }, path: 'scope.resourceGroup', text: /not a resource group name/ },
      { accountId: gcp.id, region: 'europe-west1', scope: { projectId: 'Shop_Prod' }, path: 'scope.projectId', text: /not a Google Cloud project id/ },
      { accountId: gcp.id, region: 'europe-west1', scope: { zone: 'us-central1-a' }, path: 'scope.zone', text: /not a zone of europe-west1: use the region followed by a letter, such as europe-west1-b/ },
    ];
    const before = await core.call('dr:environments.list', {});
    for (const c of cases) {
      const err = await core.fail('dr:environments.create', { accountId: c.accountId, name: 'Bad', region: c.region, scope: c.scope });
      expect(err.code).toBe('ValidationFailed');
      expect(err.message).toMatch(c.text);
      expect(err.message).toMatch(/\.$/);
      expect(err.details?.[0]?.path).toBe(c.path);
    }
    expect(await core.call('dr:environments.list', {})).toEqual(before);
    await core.close();
  });
});
