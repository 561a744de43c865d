import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, contract, type Channel, type RequestOf } from '../../../shared/ipc/contract';
import { dbChecksum } from '../../helpers/db-checksum';
import { createTestCore, seedAwsPair, waitForJob, type TestCore } from '../../helpers/test-core';
import { useTempDirs } from '../../helpers/temp-dir';

const RUNS_PER_CHANNEL = 1000;
const tempDir = useTempDirs();

let core: TestCore;
let bases: { [C in Channel]: RequestOf<C> };

beforeAll(async () => {
  core = createTestCore(tempDir());
  const { account, source, target, inventory } = await seedAwsPair(core);
  const policy = await core.call('dr:policies.create', {
    name: 'Seeded',
    sourceEnvironmentId: source.id,
    targetEnvironmentId: target.id,
    resources: inventory.slice(0, 3),
    schedule: '0 3 * * *',
    webhookUrl: 'http://127.0.0.1:9/hook',
  });
  const job = await waitForJob(core, (await core.call('dr:replication.run', { policyId: policy.id })).jobId);
  const policyInput = {
    name: 'Another',
    sourceEnvironmentId: source.id,
    targetEnvironmentId: target.id,
    resources: inventory.slice(0, 1),
    schedule: null,
    webhookUrl: null,
  };
  // A valid request per channel, for mutation into invalid ones (compile-time checked to be complete).
  bases = {
    'dr:app.info': {},
    'dr:workspace.createRehearsal': {},
    'dr:storage.recheck': {},
    'dr:backups.list': {},
    'dr:backups.create': {},
    'dr:backups.restore': { name: 'console-20300101T000000000Z-v8-manual.sqlite' },
    'dr:settings.get': {},
    'dr:settings.update': { timeZone: 'UTC' },
    'dr:accounts.list': {},
    'dr:accounts.create': { name: 'New', provider: 'sim', cloud: 'aws', credentials: { kind: 'none' } },
    'dr:accounts.delete': { accountId: account.id },
    'dr:accounts.test': { accountId: account.id },
    'dr:accounts.awsProfiles': {},
    'dr:azureSignIn.start': { method: 'device-code', cloud: 'AzurePublicCloud', tenantId: 'organizations', clientId: '11111111-2222-4333-8444-555555555555' },
    'dr:azureSignIn.wait': { signInId: 'signin_none', afterSeq: 0 },
    'dr:azureSignIn.cancel': { signInId: 'signin_none' },
    'dr:azureSignIn.startForAccount': { accountId: account.id, method: 'device-code' },
    'dr:azureSignIn.renew': { accountId: account.id, signInId: 'signin_none' },
    'dr:azure.tenants': { accountId: account.id },
    'dr:azure.subscriptions': { accountId: account.id },
    'dr:azure.resourceGroups': { accountId: account.id, subscriptionId: '11111111-2222-4333-8444-555555555555' },
    'dr:azure.testScope': { accountId: account.id, subscriptionId: '11111111-2222-4333-8444-555555555555' },
    'dr:environments.list': { accountId: account.id },
    'dr:environments.create': { accountId: account.id, name: 'New env', region: 'eu-west-1', scope: '' },
    'dr:environments.delete': { environmentId: target.id },
    'dr:inventory.discover': { environmentId: source.id },
    'dr:policies.list': { state: 'active' },
    'dr:policies.get': { policyId: policy.id },
    'dr:policies.create': policyInput,
    'dr:policies.update': { policyId: policy.id, expectedUpdatedAt: policy.updatedAt, policy: policyInput },
    'dr:policies.delete': { policyId: policy.id },
    'dr:replication.run': { policyId: policy.id },
    'dr:recoveryPoints.list': { policyId: policy.id, offset: 0, limit: 10, status: 'succeeded', query: '20' },
    'dr:recoveryPoints.get': { recoveryPointId: job.recoveryPointId! },
    'dr:jobs.list': { policyId: policy.id, kind: 'replication', status: 'succeeded', offset: 0, limit: 5 },
    'dr:jobs.get': { jobId: job.id },
    'dr:jobs.cancel': { jobId: job.id },
    'dr:webhooks.list': { jobId: job.id },
    'dr:testFailover.run': { policyId: policy.id, recoveryPointId: job.recoveryPointId! },
    'dr:testFailover.reset': { policyId: policy.id },
    'dr:testResources.list': { policyId: policy.id, includeDeleted: true },
    'dr:failover.prepare': { policyId: policy.id, recoveryPointId: job.recoveryPointId! },
    'dr:failover.start': { token: 'x'.repeat(43) },
    'dr:jobs.retryFailed': { jobId: job.id },
    'dr:jobs.mappings': { jobId: job.id },
    'dr:audit.list': { subjectId: policy.id, offset: 0, limit: 5 },
    'dr:audit.facets': {},
    'dr:audit.verify': {},
    'dr:audit.export': { policyId: policy.id, kind: 'policy', format: 'json' },
    'dr:reports.export': { jobId: job.id, format: 'csv' },
    'dr:operator.get': {},
    'dr:operator.set': { operatorName: 'Dana Reyes' },
    'dr:failover.lease': { policyId: policy.id },
    'dr:connectivity.list': {},
    'dr:connectivity.check': { accountId: account.id },
    'dr:rebuild.run': { environmentIds: [target.id] },
    'dr:handover.export': { passphrase: 'correct horse battery', includeCredentials: false },
    'dr:handover.import': { bundleBase64: 'RkNCVU5ETEU=', passphrase: 'correct horse battery' },
    'dr:passphrase.status': {},
    'dr:passphrase.set': { passphrase: 'correct horse battery' },
    'dr:passphrase.unlock': { passphrase: 'correct horse battery' },
    'dr:passphrase.change': { current: 'correct horse battery', next: 'another long passphrase' },
  };
});

afterAll(async () => {
  await core.close();
});

const POISON_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Values of the wrong type (or hostile shape) for any field. */
const wrongValue = fc.oneof(
  fc.constantFrom<unknown>(null, undefined, true, 0, -1, 1.5, NaN, Infinity, '', ' ', [], {}, 'dr:app.info'),
  fc.integer(),
  fc.string({ maxLength: 8 }),
  fc.nat({ max: 3 }).map((k) => 'x'.repeat([1_000, 70_000, 300_000, 2_000_000][k]!)),
  fc.constantFrom(...POISON_KEYS).map((k) => JSON.parse(`{"${k}": {"polluted": true}}`) as unknown),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
);

/** Arbitrary values, including non-JSON ones, kept shallow so a thousand runs stay cheap. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.anything({ maxDepth: 2, withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withBoxedValues: true, withTypedArray: true, withSparseArray: true }),
);

function mutations(base: Record<string, unknown>) {
  const keys = Object.keys(base);
  const variants: fc.Arbitrary<unknown>[] = [
    // An extra key (own property, including __proto__ as JSON.parse makes it).
    fc.tuple(fc.oneof(fc.constantFrom(...POISON_KEYS), fc.string({ minLength: 1, maxLength: 12 })), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => {
      const copy = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
      Object.defineProperty(copy, k, { value: v, enumerable: true, configurable: true, writable: true });
      return copy;
    }),
    // The whole request wrapped or replaced by the wrong type.
    fc.constantFrom<unknown>([base], JSON.stringify(base), null, undefined, 0, 'request'),
  ];
  if (keys.length > 0) {
    // One field with a wrong value, or missing.
    variants.push(
      fc.tuple(fc.constantFrom(...keys), wrongValue).map(([k, v]) => ({ ...base, [k]: v })),
      fc.constantFrom(...keys).map((k) => {
        const copy = { ...base };
        delete copy[k];
        return copy;
      }),
    );
  }
  return fc.oneof(...variants);
}

describe('the router under random and malformed payloads', () => {
  for (const channel of CHANNELS) {
    it(`${channel}: never throws, answers ValidationFailed, and changes nothing`, async () => {
      const schema = contract[channel].request;
      const base = bases[channel] as Record<string, unknown>;
      const invalidPayload = fc.oneof(anyValue, mutations(base), mutations(base)).filter((p) => !schema.safeParse(p).success);
      const before = dbChecksum(core.db);
      await fc.assert(
        fc.asyncProperty(invalidPayload, async (payload) => {
          const result = await core.router.dispatch(channel, payload, { id: 'window', trusted: true });
          expect(result.ok).toBe(false);
          if (!result.ok) {
            expect(result.error.code).toBe('ValidationFailed');
            expect(result.error.message.length).toBeLessThan(1_000);
          }
        }),
        { numRuns: RUNS_PER_CHANNEL },
      );
      expect(dbChecksum(core.db)).toBe(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });
  }

  it('refuses every channel to an untrusted sender, even with a valid request, changing nothing', async () => {
    const before = dbChecksum(core.db);
    for (const channel of CHANNELS) {
      const result = await core.router.dispatch(channel, bases[channel], { id: 'iframe', trusted: false });
      expect(result).toMatchObject({ ok: false, error: { code: 'Forbidden' } });
    }
    expect(dbChecksum(core.db)).toBe(before);
  });

  it('still serves valid requests afterwards, and the checksum does notice a real change', async () => {
    expect(await core.router.dispatch('dr:policies.get', bases['dr:policies.get'])).toMatchObject({ ok: true });
    const before = dbChecksum(core.db);
    expect(await core.router.dispatch('dr:accounts.create', bases['dr:accounts.create'])).toMatchObject({ ok: true });
    expect(dbChecksum(core.db)).not.toBe(before);
  });
});
