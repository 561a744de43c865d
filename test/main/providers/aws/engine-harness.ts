// The composed core with the AWS provider pointed at moto, as engine-flow.test.ts builds it, for the
// per-type engine flows (engine-flow-databases, engine-flow-eks): one moto and one core per suite.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { composeCore, type Core } from '../../../../main/compose';
import type { DiscoveredResource } from '../../../../shared/domain';
import { call, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { testKeyProvider } from '../../../helpers/keys';
import { startMoto, type MotoServer } from '../../../peers/moto';

export const SOURCE_REGION = 'us-east-1';
export const TARGET_REGION = 'us-west-2';

export interface AwsEngine {
  readonly moto: MotoServer;
  readonly core: Core;
  readonly creds: { accessKeyId: string; secretAccessKey: string };
}

/** Registers beforeAll/afterAll that start moto and compose the core; read the fields inside tests. */
export function useAwsEngine(accessKeyId: string): AwsEngine {
  const creds = { accessKeyId, secretAccessKey: 'moto-engine' };
  let moto: MotoServer | undefined;
  let core: Core | undefined;
  let dir = '';
  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), 'fc-aws-engine-'));
    core = composeCore({
      dataDir: dir,
      keyProvider: testKeyProvider(),
      startScheduler: false,
      startWebhooks: false,
      logger: stderrLogger,
      providers: { sim: false, aws: { endpoint: moto!.url, pollIntervalMs: 10 } },
    });
  });
  afterAll(async () => {
    await core?.close();
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get moto() {
      if (!moto) throw new Error('moto is not started');
      return moto;
    },
    get core() {
      if (!core) throw new Error('the core is not composed');
      return core;
    },
    creds,
  };
}

/** Waits for the job and insists it succeeded (the job's details, steps included, in the failure). */
export async function succeeded(core: Core, jobId: string) {
  const job = await waitForJob(core, jobId, 30_000);
  expect(job.status, JSON.stringify(job)).toBe('succeeded');
  return job;
}

/**
 * As the operator does it: an access-key account, a source (us-east-1) and a target (us-west-2)
 * environment, discovery of the source, and a policy protecting what `pick` selects of it.
 */
export async function protect(h: AwsEngine, name: string, pick: (f: DiscoveredResource) => boolean) {
  const { core } = h;
  const account = await call(core, 'dr:accounts.create', { name: `${name} AWS`, provider: 'aws', cloud: 'aws', credentials: { kind: 'aws-access-key', ...h.creds } });
  const source = await call(core, 'dr:environments.create', { accountId: account.id, name: `${name} east`, region: SOURCE_REGION, scope: '' });
  const target = await call(core, 'dr:environments.create', { accountId: account.id, name: `${name} west`, region: TARGET_REGION, scope: '' });
  const found = await call(core, 'dr:inventory.discover', { environmentId: source.id });
  const picked = found.filter(pick);
  const policy = await call(core, 'dr:policies.create', {
    name,
    sourceEnvironmentId: source.id,
    targetEnvironmentId: target.id,
    resources: picked.map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
    schedule: null,
    webhookUrl: null,
  });
  return { policy, picked, found };
}

export async function replicate(h: AwsEngine, policyId: string) {
  return succeeded(h.core, (await call(h.core, 'dr:replication.run', { policyId })).jobId);
}

export async function testFailover(h: AwsEngine, policyId: string) {
  await succeeded(h.core, (await call(h.core, 'dr:testFailover.run', { policyId })).jobId);
  return call(h.core, 'dr:testResources.list', { policyId });
}

export async function reset(h: AwsEngine, policyId: string) {
  await succeeded(h.core, (await call(h.core, 'dr:testFailover.reset', { policyId })).jobId);
  return call(h.core, 'dr:testResources.list', { policyId });
}

/** Prepare (latest point) + start with the token; the finished job and its resource mappings. */
export async function failover(h: AwsEngine, policyId: string) {
  const plan = await call(h.core, 'dr:failover.prepare', { policyId });
  const job = await succeeded(h.core, (await call(h.core, 'dr:failover.start', { token: plan.token })).jobId);
  const mappings = await call(h.core, 'dr:jobs.mappings', { jobId: job.id });
  const policy = await call(h.core, 'dr:policies.get', { policyId });
  return { plan, job, mappings, policy };
}
