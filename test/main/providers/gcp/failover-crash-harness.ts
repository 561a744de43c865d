// Harness of the Google Cloud crash proofs (issue 9): a failover is killed (SIGKILL, a child process)
// right after each mutating response or not-yet-DONE operation poll of a clean run, then resumed by a
// second child, and what the GCP peer holds afterwards is compared with what the clean run left.
// The peer and fake-gcs-server live in the test process, so they outlive the children; one peer is
// reset between kill points (its exchanges and violations are kept: each world reads its own slice).
// A scenario (a VM, a GKE cluster…) says what to seed, what to change before the failover, and the
// census of the target the kill points are compared on; the harness adds what holds for every Google
// failover: the peer saw no contract violation, every Compute requestId was answered with one
// operation (a repeated insert was deduplicated, not executed twice), and the one-time rule held.
// Every failover takes the real failover lease in the target's console bucket on fake-gcs-server (no
// override): the killed child leaves it held by its job, the resumed child (same data folder, so the
// same console) completes that job and releases it, and it stays there as "completed". The lease's
// writes go to fake-gcs-server, not through the relay, so they are never kill points.

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { Storage } from '@google-cloud/storage';
import { composeCore, type ComposeOptions, type Core } from '../../../../main/compose';
import { StaticKeyProvider } from '../../../../main/credentials/static-key-provider';
import { createGcpProvider } from '../../../../main/providers/gcp';
import { consoleBucketName } from '../../../../main/providers/gcp/target-store';
import { STORE_KEYS } from '../../../../main/providers/target-store';
import type { ResourceTypeId } from '../../../../shared/catalog';
import type { ResponseOf } from '../../../../shared/ipc/contract';
import { gcpAccount, GCP_SOURCE, GCP_TARGET, type SeedClients } from '../../../conformance/gcp-peer';
import { oneTimeRuleHolds } from '../../../fixtures/crash-loop';
import { call, SCENARIO_KEY, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import type { FakeGcs } from '../../../peers/fake-gcs';
import { fakeAuth } from '../../../peers/gcp/sdk';
import type { Exchange, GcpPeer } from '../../../peers/gcp/server';

const CHILD = resolve(import.meta.dirname, '../../../fixtures/gcp-failover-child.ts');
const REPO = resolve(import.meta.dirname, '../../../..');
/**
 * The first action of each new core probes the account (Test connection: the Google clients are built
 * and six APIs listed) within probeTimeoutMs; on a busy machine that takes longer than the default 5 s,
 * and the action would be refused as offline. The children use the same (GCP_PROBE_TIMEOUT_MS).
 */
export const PROBE_TIMEOUT_MS = 120_000;

export interface CrashWorld {
  peer: GcpPeer;
  gcs: FakeGcs;
  /** Real clients on the peer, for seeds and censuses. */
  c: SeedClients;
}

export interface SeededResource {
  type: ResourceTypeId;
  nativeId: string;
}

export interface PreparedFailover {
  dir: string;
  policyId: string;
  /** The OLDER of the policy's two points: the one failed over. */
  pointId: string;
  /** The selected point's data refs (snapshot self-links…), by resource. */
  pointRefs: string[];
  /** Index in peer.exchanges where the failover's exchanges begin. */
  firstExchange: number;
}

export interface FailoverOutcome {
  jobId: string;
  mappings: ResponseOf<'dr:jobs.mappings'>;
  /** Every exchange since the failover began (all children of this world). */
  exchanges: Exchange[];
}

export interface CrashScenario<Census> {
  name: string;
  /** Seeds the source in the (reset) peer; the resources the policy protects. */
  seed(w: CrashWorld): Promise<SeededResource[]>;
  /** After the two replications, before the failover (e.g. the principal is lost, so failover makes it again). */
  beforeFailover?(w: CrashWorld, p: PreparedFailover): Promise<void>;
  /** What the target holds after a completed failover; every kill point must end with the clean run's. */
  census(w: CrashWorld, p: PreparedFailover, o: FailoverOutcome): Promise<Census>;
}

export interface ChildRun {
  outcome: 'killed' | 'done' | 'failed';
  /** Counted responses, ids of operations normalised: "POST /compute/v1/…/disks billing-01-boot PENDING". */
  ops: string[];
  stderr: string;
}

/** The provider aimed at the peers, as the children compose it (without the relay). */
function gcpProvider(w: CrashWorld) {
  const gapic = { apiEndpoint: '127.0.0.1', port: w.peer.port, protocol: 'http' as const };
  return createGcpProvider({
    endpoints: { compute: gapic, container: gapic, storagetransfer: gapic, resourcemanager: gapic, sqladmin: `${w.peer.url}/`, iam: `${w.peer.url}/`, storage: w.gcs.url },
    authClientFor: () => fakeAuth(),
    pollIntervalMs: 5,
    retryDelayMs: 5,
  });
}

function openCore(w: CrashWorld, dir: string): Core {
  const o: ComposeOptions = {
    dataDir: dir,
    keyProvider: new StaticKeyProvider(SCENARIO_KEY),
    startScheduler: false,
    startWebhooks: false,
    logger: stderrLogger,
    connectivity: { probeTimeoutMs: PROBE_TIMEOUT_MS },
    providers: () => [gcpProvider(w)],
  };
  return composeCore(o);
}

/** The policy's failover lease as the target's console bucket on fake-gcs-server holds it (null: none). */
export async function leaseInTarget(w: CrashWorld, policyId: string): Promise<{ jobId: string; state: string; consoleId: string } | null> {
  const file = new Storage({ apiEndpoint: w.gcs.url, projectId: w.peer.project }).bucket(consoleBucketName(w.peer.project, GCP_TARGET)).file(STORE_KEYS.lease(policyId));
  const [exists] = await file.exists();
  if (!exists) return null;
  const lease = JSON.parse((await file.download())[0].toString()) as { jobId: string; state: string; holder: { consoleId: string } };
  return { jobId: lease.jobId, state: lease.state, consoleId: lease.holder.consoleId };
}

export function runChild(w: CrashWorld, p: PreparedFailover, killAfter?: number): Promise<ChildRun> {
  const args = ['--import', 'tsx', CHILD, p.dir, p.policyId, w.peer.url, p.pointId, '--storage', w.gcs.url, ...(killAfter !== undefined ? ['--kill-after', String(killAfter)] : [])];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GCP_PROBE_TIMEOUT_MS: String(PROBE_TIMEOUT_MS) } });
    const ops: string[] = [];
    let finished = false;
    let stdout = '';
    let stderr = '';
    // Only a child that hangs for good is stopped (a busy machine is slow, not stuck).
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      let nl: number;
      while ((nl = stdout.indexOf('\n')) >= 0) {
        const line = stdout.slice(0, nl);
        stdout = stdout.slice(nl + 1);
        const m = /^GCPOP \d+ (.+)$/.exec(line);
        // Operation names carry the peer's clock and counters: the same op of two runs differs only there.
        if (m) ops.push(m[1]!.replace(/\/operations\/operation-[0-9a-z-]+/g, '/operations/<op>'));
        if (/^DONE \d+$/.test(line)) finished = true;
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 20_000) stderr += chunk;
    });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ outcome: signal === 'SIGKILL' && killAfter !== undefined && !finished ? 'killed' : code === 0 && finished ? 'done' : 'failed', ops, stderr });
    });
  });
}

/** A reset peer with the scenario's source, a policy over it replicated twice, in a new data folder. */
export async function prepare(w: CrashWorld, scenario: CrashScenario<unknown>, root: string, name: string): Promise<PreparedFailover> {
  w.peer.reset();
  const seeded = await scenario.seed(w);
  const dir = mkdtempSync(join(root, `${name}-`));
  const core = openCore(w, dir);
  try {
    const P = w.peer.project;
    const account = await call(core, 'dr:accounts.create', { name: 'GCP', provider: 'gcp', cloud: 'gcp', credentials: JSON.parse(JSON.stringify(gcpAccount(P).credentials)) });
    const src = await call(core, 'dr:environments.create', { accountId: account.id, name: 'iowa', region: GCP_SOURCE, scope: P });
    const dst = await call(core, 'dr:environments.create', { accountId: account.id, name: 'belgium', region: GCP_TARGET, scope: P });
    const found = await call(core, 'dr:inventory.discover', { environmentId: src.id });
    const picked = seeded.map((s) => {
      const f = found.find((x) => x.type === s.type && x.nativeId === s.nativeId);
      if (!f) throw new Error(`discovery did not list ${s.type} ${s.nativeId}`);
      return { type: f.type, nativeId: f.nativeId, name: f.name };
    });
    const policy = await call(core, 'dr:policies.create', { name: scenario.name, sourceEnvironmentId: src.id, targetEnvironmentId: dst.id, resources: picked, schedule: null, webhookUrl: null });
    for (let i = 0; i < 2; i++) {
      const rep = await call(core, 'dr:replication.run', { policyId: policy.id });
      const job = await waitForJob(core, rep.jobId, 120_000);
      expect(job.status, JSON.stringify(job)).toBe('succeeded');
    }
    const points = await call(core, 'dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 });
    expect(points.items).toHaveLength(2);
    const older = [...points.items].sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0]!;
    const details = await call(core, 'dr:recoveryPoints.get', { recoveryPointId: older.id });
    const prepared: PreparedFailover = { dir, policyId: policy.id, pointId: older.id, pointRefs: details.items.flatMap((i) => i.dataRefs.map((d) => d.id)), firstExchange: 0 };
    await scenario.beforeFailover?.(w, prepared);
    prepared.firstExchange = w.peer.exchanges.length;
    return prepared;
  } finally {
    await core.close();
  }
}

/** The completed failover as the console records it: its job and mappings, and the peer's exchanges since it began. */
async function outcomeOf(w: CrashWorld, p: PreparedFailover): Promise<FailoverOutcome> {
  // Read before a core opens here: one that starts releases pending leases itself, so the child's release would go unchecked.
  const lease = await leaseInTarget(w, p.policyId);
  const core = openCore(w, p.dir);
  try {
    const policy = await call(core, 'dr:policies.get', { policyId: p.policyId });
    expect(policy.state).toBe('failed_over');
    const jobId = policy.failoverJobId ?? (await call(core, 'dr:jobs.list', { policyId: p.policyId, kind: 'failover', offset: 0, limit: 5 })).items[0]!.id;
    // The job's completion released the lease this console took for it: "completed" stays in the target.
    expect(lease, 'the failover lease in the target').toEqual({ jobId, state: 'completed', consoleId: core.services.leases.holder.consoleId });
    return { jobId, mappings: await call(core, 'dr:jobs.mappings', { jobId }), exchanges: w.peer.exchanges.slice(p.firstExchange) };
  } finally {
    await core.close();
  }
}

/** Compute requestIds sent more than once in these exchanges, each with the operations it was answered with. */
export function repeatedRequestIds(exchanges: Exchange[]): { methodId: string; requestId: string; sent: number; operations: string[] }[] {
  const byId = new Map<string, { methodId: string; requestId: string; sent: number; operations: Set<string> }>();
  for (const e of exchanges) {
    const requestId = new URLSearchParams(e.query).get('requestId');
    if (!requestId || e.status !== 200) continue;
    const row = byId.get(requestId) ?? { methodId: e.methodId, requestId, sent: 0, operations: new Set<string>() };
    row.sent += 1;
    row.operations.add(String((e.responseBody as { name?: unknown }).name));
    byId.set(requestId, row);
  }
  return [...byId.values()].filter((r) => r.sent > 1).map((r) => ({ ...r, operations: [...r.operations] }));
}

/** Every requestId of the failover was answered with one operation: Compute never ran a mutation twice. */
function expectOneOperationPerRequestId(exchanges: Exchange[], label: string): void {
  const split = repeatedRequestIds(exchanges).filter((r) => r.operations.length !== 1);
  expect(split, `${label}: a requestId answered with more than one operation`).toEqual([]);
}

export interface KillPoint<Census> {
  at: number;
  operation: string;
  census: Census;
  /** Compute requestIds the resumed failover sent again (deduplicated by the peer into one operation). */
  resent: string[];
}

/**
 * The proof: a clean run counts the kill points; then, for every N, a fresh world is killed right after
 * the N-th counted response, resumed, and held to the clean run's census and the invariants above.
 */
export async function killAtEveryOperation<Census>(w: CrashWorld, scenario: CrashScenario<Census>, root: string): Promise<{ operations: string[]; clean: Census; points: KillPoint<Census>[] }> {
  const clean = await prepare(w, scenario, root, 'clean');
  const run = await runChild(w, clean);
  expect(run.outcome, run.stderr).toBe('done');
  const cleanOutcome = await outcomeOf(w, clean);
  expectOneOperationPerRequestId(cleanOutcome.exchanges, 'clean run');
  const expected = await scenario.census(w, clean, cleanOutcome);
  expect(w.peer.violations).toEqual([]);
  const operations = run.ops;
  expect(operations.length).toBeGreaterThan(0);
  console.log(`${scenario.name}, clean run: ${operations.length} kill points\n  ${operations.join('\n  ')}`);

  const points: KillPoint<Census>[] = [];
  for (let n = 1; n <= operations.length; n++) {
    const p = await prepare(w, scenario, root, `kill-${n}`);
    const killed = await runChild(w, p, n);
    expect(killed.outcome, `kill after operation ${n}: ${killed.stderr}`).toBe('killed');
    expect(killed.ops.at(-1)).toBe(operations[n - 1]);
    const rule = oneTimeRuleHolds(p.dir, p.policyId);
    expect(rule.ok, `after the kill at ${n}: ${rule.detail}`).toBe(true);
    // The killed child held the lease for its job; the resumed child finishes that job (it starts no second one).
    const held = await leaseInTarget(w, p.policyId);
    expect(held?.state, `the failover lease after the kill at ${n}`).toBe('held');
    const resumed = await runChild(w, p);
    expect(resumed.outcome, `resume after kill ${n}: ${resumed.stderr}`).toBe('done');
    const o = await outcomeOf(w, p);
    expect(o.jobId, `kill ${n}: the job that holds the lease`).toBe(held?.jobId);
    expectOneOperationPerRequestId(o.exchanges, `kill ${n}`);
    expect(w.peer.violations, `kill ${n}`).toEqual([]);
    points.push({ at: n, operation: operations[n - 1]!, census: await scenario.census(w, p, o), resent: repeatedRequestIds(o.exchanges).map((r) => r.methodId) });
  }
  console.log(`${scenario.name}: SIGKILL after each of ${operations.length} counted responses of the clean failover, resumed each time`);
  // Every kill point ends where the clean run ends: nothing duplicated, nothing missing, the same mappings.
  expect(points.map(({ at, operation, census }) => ({ at, operation, census }))).toEqual(operations.map((operation, i) => ({ at: i + 1, operation, census: expected })));
  return { operations, clean: expected, points };
}
