// A composed core (the same composition Electron uses) on a real SQLite file with the sim provider at
// zero latency, a sim account of one cloud with source and target environments, and helpers to
// protect resources, replicate, and wait for jobs.

import type { ResourceTypeId } from '../../../../shared/catalog';
import type { Cloud } from '../../../../shared/catalog';
import type { JobDetails } from '../../../../shared/domain';
import type { Channel, RequestOf, ResponseOf } from '../../../../shared/ipc/contract';
import type { DrErrorData } from '../../../../shared/errors';
import { composeCore, type ComposeOptions, type Core } from '../../../../main/compose';
import { silentLogger } from '../../../../main/core/logger';
import type { SimFaults } from '../../../../main/providers/sim';
import { seededRandom } from '../../../../main/providers/sim/prng';
import { testKeyProvider } from '../../../helpers/keys';

export const REGIONS: Record<Cloud, { source: string; target: string; scope: string }> = {
  aws: { source: 'us-east-1', target: 'us-west-2', scope: '111122223333' },
  azure: { source: 'eastus', target: 'westus2', scope: '00000000-0000-4000-8000-000000000001' },
  gcp: { source: 'us-central1', target: 'europe-west1', scope: 'proj-1' },
};

export function open(dir: string, opts: { faults?: SimFaults; seed?: string } & Partial<ComposeOptions> = {}): Core {
  const { faults, seed, ...rest } = opts;
  return composeCore({
    dataDir: dir,
    keyProvider: testKeyProvider(),
    startScheduler: false,
    startWebhooks: false,
    logger: silentLogger,
    providers: { sim: { ...(faults ? { faults } : {}), random: seededRandom(seed ?? 'bed') }, aws: false },
    engine: { backoff: { maxAttempts: 3, baseMs: 1, capMs: 5 } },
    ...rest,
  });
}

export async function call<C extends Channel>(core: Core, channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
  const r = await core.router.dispatch(channel, request);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
  return r.value as ResponseOf<C>;
}

export async function fail<C extends Channel>(core: Core, channel: C, request: RequestOf<C>): Promise<DrErrorData> {
  const r = await core.router.dispatch(channel, request);
  if (r.ok) throw new Error(`${channel} unexpectedly succeeded`);
  return r.error;
}

export async function waitJob(core: Core, jobId: string, timeoutMs = 15_000): Promise<JobDetails> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await call(core, 'dr:jobs.get', { jobId });
    if (job.status !== 'running' && job.status !== 'queued') return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface Protected {
  policyId: string;
  accountId: string;
  sourceId: string;
  targetId: string;
  names: string[];
}

/** A sim account, two environments, a policy over `pick` (types, in order) and one successful replication. */
export async function protect(core: Core, cloud: Cloud, pick: readonly ResourceTypeId[], opts: { name?: string; webhookUrl?: string } = {}): Promise<Protected> {
  const r = REGIONS[cloud];
  const account = await call(core, 'dr:accounts.create', { name: `Sim ${cloud} ${opts.name ?? ''}`.trim(), provider: 'sim', cloud, credentials: { kind: 'none' } });
  const source = await call(core, 'dr:environments.create', { accountId: account.id, name: 'Prod', region: r.source, scope: r.scope });
  const target = await call(core, 'dr:environments.create', { accountId: account.id, name: 'DR', region: r.target, scope: r.scope });
  const inventory = await call(core, 'dr:inventory.discover', { environmentId: source.id });
  const chosen = pick.map((t, i) => {
    const found = inventory.filter((d) => d.type === t)[pick.slice(0, i).filter((x) => x === t).length];
    if (!found) throw new Error(`no ${t} in the sim inventory`);
    return { type: found.type, nativeId: found.nativeId, name: found.name };
  });
  const policy = await call(core, 'dr:policies.create', {
    name: opts.name ?? `Policy ${cloud}`,
    sourceEnvironmentId: source.id,
    targetEnvironmentId: target.id,
    resources: chosen,
    schedule: null,
    webhookUrl: opts.webhookUrl ?? null,
  });
  await replicate(core, policy.id);
  return { policyId: policy.id, accountId: account.id, sourceId: source.id, targetId: target.id, names: chosen.map((c) => c.name) };
}

export async function replicate(core: Core, policyId: string): Promise<JobDetails> {
  const job = await waitJob(core, (await call(core, 'dr:replication.run', { policyId })).jobId);
  if (job.status !== 'succeeded') throw new Error(`replication ${job.status}: ${job.steps.find((s) => s.error)?.error ?? ''}`);
  return job;
}

/** Prepare + start, then wait. */
export async function failover(core: Core, policyId: string, recoveryPointId?: string): Promise<JobDetails> {
  const plan = await call(core, 'dr:failover.prepare', { policyId, ...(recoveryPointId ? { recoveryPointId } : {}) });
  return waitJob(core, (await call(core, 'dr:failover.start', { token: plan.token })).jobId);
}
