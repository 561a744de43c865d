// The adapter conformance suite: one set of behaviours every provider adapter must show against its
// own peer (sim: the simulated cloud; aws: moto; later azure and gcp against their fakes). A runner
// file per provider (test/conformance/<provider>.conformance.test.ts) describes how to open a clean
// world on its peer and how to read what exists there; this file holds every assertion.
//
// What it proves, per resource type the adapter implements:
// - the declared capabilities equal shared/catalog.ts (type, usesLatestPoint) and the adapter serves
//   exactly the types it claims;
// - discovery returns named resources with tags;
// - the lifecycle: replicate, test failover, reset of every test resource, failover, stop replication;
// - replay after a crash at every operation of a step (cut right after the intent is journaled, and
//   right after the call answered) ends with exactly what a clean run leaves: no duplicate, nothing missing;
// - Reset of a resource already gone (or never made) succeeds;
// - same-named IAM in the target is reused where the catalog says so (R7);
// - errors are ProviderFailure with a sentence and no secret of the account;
// - abort is honoured: a call the peer would never answer rejects once the signal is aborted.

import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPE_IDS, resourceType, type ResourceTypeId } from '../../shared/catalog';
import { ProviderFailure } from '../../main/providers/provider-failure';
import type {
  CreatedResource,
  EnvRef,
  ProtectedResourceRef,
  ProviderAdapter,
  RecoveryPointItemRef,
  ResourceHandler,
  ResourceMappingEntry,
  StepContext,
} from '../../main/providers/types';
import { PowerCut, StepJournal, type CrashPhase, type CrashPoint } from './crash-context';

/** A clean world on the provider's peer: nothing the console made exists yet. */
export interface ConformanceWorld {
  adapter: ProviderAdapter;
  source: EnvRef;
  target: EnvRef;
  /** A resource of the type that lives in the source, as a policy would protect it. */
  protect(type: ResourceTypeId): Promise<ProtectedResourceRef>;
  /**
   * What exists now that the console could have made (target copies, replicas, IAM, replication
   * links), one stable line per resource (names, kinds, tags; no ids the peer picks at random), so
   * two worlds that went through the same steps give the same lines.
   */
  census(): Promise<string[]>;
  /** The IAM principals, roles and policies of the target account/project, one line each. */
  iamCensus(): Promise<string[]>;
  close(): Promise<void>;
}

export interface ConformancePeer {
  /** Shown in the test titles: "sim", "aws (moto)". */
  name: string;
  /** The types this adapter implements; the suite checks the adapter serves exactly these. */
  types: readonly ResourceTypeId[];
  /** The adapter also serves types outside `types` (the sim serves every cloud; its runs are per cloud). */
  servesOtherTypes?: boolean;
  open(): Promise<ConformanceWorld>;
  /** The same adapter kind pointed at a peer that accepts calls and never answers them. */
  openStalled(): Promise<{ adapter: ProviderAdapter; source: EnvRef; close(): Promise<void> }>;
  /** Secrets of the accounts the worlds use, which must never appear in an error sentence. */
  secrets: readonly string[];
  /** Steps to replay after a crash at every operation (default: replicate, test failover, failover). */
  replaySteps?: readonly ReplayStep[];
  /**
   * Types whose peer keeps no tags/labels at all, with the reason (fake-gcs-server drops bucket
   * labels): their discovery is still checked for named resources, but not for a non-empty tag set.
   */
  tagsDroppedByPeer?: Partial<Record<ResourceTypeId, string>>;
  /** Runs each per-type test body with more time (real peers are slower than the sim). */
  timeoutMs?: number;
}

export type ReplayStep = 'replicate' | 'testFailover' | 'failover';
const STEPS: readonly ReplayStep[] = ['replicate', 'testFailover', 'failover'];
const PHASES: readonly CrashPhase[] = ['before-call', 'after-call'];

const POLICY = 'pol-conformance';

function handler(world: ConformanceWorld, type: ResourceTypeId): ResourceHandler {
  const h = world.adapter.handler(type);
  if (!h) throw new Error(`${world.adapter.label} has no handler for ${type}`);
  return h;
}

/** A step's identifiers: the same in every world, so deterministic names and tokens line up. */
function journal(world: ConformanceWorld, key: string, target: EnvRef = world.target): StepJournal {
  return new StepJournal({ key, jobId: `job-${key}`, policyId: POLICY, source: world.source, target, recoveryPointId: 'rp-conformance' });
}

/** Runs a step to the end, replaying attempts after a crash as the engine would (same journal). */
async function complete<T>(j: StepJournal, run: (ctx: StepContext) => Promise<T>, crash: CrashPoint | null = null): Promise<T> {
  if (crash) {
    const first = j.attempt(crash);
    const outcome = await run(first.ctx).then(
      () => 'finished' as const,
      (err: unknown) => err,
    );
    // The cut must have happened: the step made at least `crash.op` operations in the clean run.
    expect(first.cut(), `the attempt reached operation ${crash.op} (${crash.phase})`).not.toBeNull();
    if (outcome !== 'finished' && !(outcome instanceof PowerCut)) {
      // A handler may wrap the cut in its own error; it still must not have finished.
      expect(first.ctx.signal.aborted).toBe(true);
    }
  }
  return run(j.attempt().ctx);
}

async function replicated(world: ConformanceWorld, type: ResourceTypeId): Promise<RecoveryPointItemRef> {
  const ref = await world.protect(type);
  const item = await complete(journal(world, `replicate-${type}`), (ctx) => handler(world, type).replicate(ref, ctx));
  return { id: `rpi-${type}`, recoveryPointId: 'rp-conformance', resource: ref, capturedAt: '2030-01-15T10:00:00.000Z', ...item };
}

const createdLine = (c: CreatedResource) => `${c.kind}|${c.name}|${c.region}`;
const mappingLine = (m: ResourceMappingEntry) => `${m.kind}|${m.name}|${m.reused ? 'reused' : 'made'}`;

/** Runs one step of the replay scenario in a world and says what it returned (as stable lines). */
async function runStep(world: ConformanceWorld, type: ResourceTypeId, step: ReplayStep, crash: CrashPoint | null): Promise<{ lines: string[]; ops: number }> {
  const h = handler(world, type);
  if (step === 'replicate') {
    const ref = await world.protect(type);
    const j = journal(world, `replicate-${type}`);
    const item = await complete(j, (ctx) => h.replicate(ref, ctx), crash);
    return { lines: item.dataRefs.map((d) => `${d.kind}|${d.region ?? ''}`).sort(), ops: j.ops.operations().length };
  }
  const point = await replicated(world, type);
  const j = journal(world, `${step}-${type}`);
  if (step === 'testFailover') {
    const created = await complete(j, (ctx) => h.testFailover(point, ctx), crash);
    return { lines: created.map(createdLine).sort(), ops: j.ops.operations().length };
  }
  const mapping = await complete(j, (ctx) => h.failover(point, ctx), crash);
  return { lines: mapping.map(mappingLine).sort(), ops: j.ops.operations().length };
}

async function inWorld<T>(peer: ConformancePeer, body: (world: ConformanceWorld) => Promise<T>): Promise<T> {
  const world = await peer.open();
  try {
    return await body(world);
  } finally {
    await world.close();
  }
}

/** Every secret, and its first half (a truncated key is still a leak), must be absent from the text. */
function expectNoSecret(text: string, secrets: readonly string[]): void {
  for (const s of secrets) {
    expect(text).not.toContain(s);
    if (s.length >= 16) expect(text).not.toContain(s.slice(0, Math.floor(s.length / 2)));
  }
}

function expectSentence(err: unknown, secrets: readonly string[]): asserts err is ProviderFailure {
  expect(err).toBeInstanceOf(ProviderFailure);
  const failure = err as ProviderFailure;
  expect(failure.message).toMatch(/^[A-Z0-9"'(].{10,}[.)]$/s);
  expectNoSecret(`${failure.message} ${String(failure.stack ?? '')}`, secrets);
}

export function describeAdapterConformance(peer: ConformancePeer): void {
  const timeout = peer.timeoutMs ?? 30_000;
  const steps = peer.replaySteps ?? STEPS;

  describe(`adapter conformance: ${peer.name}`, () => {
    it('serves exactly its types, each declared as shared/catalog.ts says', async () => {
      await inWorld(peer, async (world) => {
        const served = RESOURCE_TYPE_IDS.filter((t) => world.adapter.handler(t) !== undefined);
        const claimed = RESOURCE_TYPE_IDS.filter((t) => peer.types.includes(t));
        if (peer.servesOtherTypes) expect(served).toEqual(expect.arrayContaining(claimed));
        else expect(served).toEqual(claimed);
        for (const type of served) {
          const h = handler(world, type);
          const info = resourceType(type);
          expect(h.type, type).toBe(type);
          expect(h.usesLatestPoint, `${type} usesLatestPoint`).toBe(info.usesLatestPoint);
          expect(world.adapter.clouds, type).toContain(info.cloud);
        }
        expect(typeof world.adapter.dispose).toBe('function');
      });
    });

    describe.each(peer.types.map((t) => [t] as const))('%s', (type) => {
      const untagged = peer.tagsDroppedByPeer?.[type];
      it(untagged ? `discovers named resources (tags not checked: ${untagged})` : 'discovers named resources with their tags', { timeout }, async () => {
        await inWorld(peer, async (world) => {
          // A real peer starts empty: protecting one resource seeds it (the sim has its inventory already).
          const seeded = await world.protect(type);
          const found = await handler(world, type).discover({ env: world.source, signal: new AbortController().signal });
          expect(found.map((r) => r.nativeId)).toContain(seeded.nativeId);
          for (const r of found) {
            expect(r.type).toBe(type);
            expect(r.nativeId.length).toBeGreaterThan(0);
            expect(r.name.trim().length).toBeGreaterThan(0);
            expect(typeof r.tags).toBe('object');
          }
          if (!untagged) expect(found.some((r) => Object.keys(r.tags).length > 0)).toBe(true);
        });
      });

      it('replicates, test-fails over, resets every test resource, fails over and stops replication', { timeout }, async () => {
        await inWorld(peer, async (world) => {
          const h = handler(world, type);
          const point = await replicated(world, type);
          expect(typeof point.metadata).toBe('object');
          expect(point.dataRefs.length).toBeGreaterThan(0);
          const beforeTest = await world.census();

          const created = await complete(journal(world, `test-${type}`), (ctx) => h.testFailover(point, ctx));
          expect(created.length).toBeGreaterThan(0);
          for (const c of created) expect(c.nativeId.length * c.name.length).toBeGreaterThan(0);
          expect((await world.census()).length).toBeGreaterThan(beforeTest.length);
          // Children first (a VM before its disks), as the reset job orders them.
          for (const c of [...created].reverse()) await complete(journal(world, `reset-${c.nativeId}`), (ctx) => h.reset(c, ctx));
          expect(await world.census()).toEqual(beforeTest);

          const mapping = await complete(journal(world, `failover-${type}`), (ctx) => h.failover(point, ctx));
          expect(mapping.length).toBeGreaterThan(0);
          for (const m of mapping) {
            expect(m.sourceId.length).toBeGreaterThan(0);
            expect(m.targetId.length).toBeGreaterThan(0);
          }
          await complete(journal(world, `stop-${type}`), (ctx) => h.stopReplication(point.resource, ctx));
          // Stopping twice (a retried step) is not an error.
          await complete(journal(world, `stop-${type}`), (ctx) => h.stopReplication(point.resource, ctx));
        });
      });

      it('resets a test resource that is already gone, or never existed', { timeout }, async () => {
        await inWorld(peer, async (world) => {
          const h = handler(world, type);
          const point = await replicated(world, type);
          const created = await complete(journal(world, `test-${type}`), (ctx) => h.testFailover(point, ctx));
          for (const c of [...created].reverse()) await complete(journal(world, `reset-${c.nativeId}`), (ctx) => h.reset(c, ctx));
          const after = await world.census();
          // Gone already: a second reset job (new keys) finds nothing to delete and succeeds.
          for (const c of [...created].reverse()) await complete(journal(world, `reset-again-${c.nativeId}`), (ctx) => h.reset(c, ctx));
          const first = created[0]!;
          const ghost: CreatedResource = { ...first, nativeId: `${first.nativeId}-never-made`, name: `${first.name}-never-made` };
          await complete(journal(world, 'reset-ghost'), (ctx) => h.reset(ghost, ctx));
          expect(await world.census()).toEqual(after);
        });
      });

      if (resourceType(type).reusesSameNamedIam) {
        it('reuses the same-named IAM that exists in the target instead of creating it again (R7)', { timeout }, async () => {
          await inWorld(peer, async (world) => {
            const h = handler(world, type);
            const point = await replicated(world, type);
            // The worlds' source and target share one account, so the IAM the source resource uses
            // already exists in the target under the same names: failover maps it as reused and
            // creates none of it again.
            const iam = await world.iamCensus();
            expect(iam.length).toBeGreaterThan(0);
            const mapping = await complete(journal(world, `failover-${type}`), (ctx) => h.failover(point, ctx));
            expect(mapping.filter((m) => m.reused === true).length).toBeGreaterThan(0);
            expect(await world.iamCensus()).toEqual(iam);
          });
        });
      }

      it('answers a resource that does not exist with a ProviderFailure sentence and no secret', { timeout }, async () => {
        await inWorld(peer, async (world) => {
          const real = await world.protect(type);
          const missing: ProtectedResourceRef = { ...real, id: 'pr-missing', nativeId: `${real.nativeId}-missing-0000`, name: `${real.name}-missing` };
          const err = await complete(journal(world, `replicate-missing-${type}`), (ctx) => handler(world, type).replicate(missing, ctx)).then(
            () => null,
            (e: unknown) => e,
          );
          expect(err, 'replicating a resource that is not there must fail').not.toBeNull();
          expectSentence(err, peer.secrets);
        });
      });

      it('honours abort: a call its peer never answers rejects once the signal is aborted', { timeout }, async () => {
        const stalled = await peer.openStalled();
        try {
          const abort = new AbortController();
          let settled = false;
          const pending = handler({ adapter: stalled.adapter } as ConformanceWorld, type)
            .discover({ env: stalled.source, signal: abort.signal })
            .finally(() => (settled = true));
          pending.catch(() => undefined);
          // The peer never answers: the call is still waiting (it would wait forever).
          await new Promise((r) => setTimeout(r, 50));
          expect(settled).toBe(false);
          abort.abort();
          const err = await pending.then(
            () => null,
            (e: unknown) => e,
          );
          expect(err).not.toBeNull();
          expect(err instanceof ProviderFailure ? err.code : (err as Error).name).toMatch(/^(Cancelled|AbortError)$/);
        } finally {
          await stalled.close();
        }
      });

      for (const step of steps) {
        it(`${step}: a crash at any operation, replayed, leaves exactly what a clean run leaves`, { timeout: timeout * 4 }, async () => {
          const { ops, differences } = await replayDifferences(peer, type, step);
          expect(ops, `${step} of ${type} journals its operations`).toBeGreaterThan(0);
          expect(differences).toEqual([]);
        });
      }
    });
  });
}

/**
 * Runs the step once cleanly, then once per operation and phase cut by a power failure and replayed,
 * each in a clean world; says how every replay differs from the clean run (empty: none does).
 */
export async function replayDifferences(peer: ConformancePeer, type: ResourceTypeId, step: ReplayStep): Promise<{ ops: number; differences: string[] }> {
  const clean = await inWorld(peer, async (world) => ({ ...(await runStep(world, type, step, null)), census: await world.census() }));
  const differences: string[] = [];
  const show = (a: string[], b: string[]) => {
    const missing = a.filter((x) => !b.includes(x));
    const extra = b.filter((x) => !a.includes(x));
    return `missing [${missing.join(', ')}], extra [${extra.join(', ')}]${a.length !== b.length ? ` (${b.length} instead of ${a.length})` : ''}`;
  };
  for (let op = 1; op <= clean.ops; op++) {
    for (const phase of PHASES) {
      const where = `${step} of ${type} cut at operation ${op} of ${clean.ops} (${phase})`;
      const replayed = await inWorld(peer, async (world) => ({ ...(await runStep(world, type, step, { op, phase })), census: await world.census() }));
      if (JSON.stringify(replayed.lines) !== JSON.stringify(clean.lines)) differences.push(`${where}: the step answered ${show(clean.lines, replayed.lines)}`);
      if (JSON.stringify(replayed.census) !== JSON.stringify(clean.census)) differences.push(`${where}: the cloud holds ${show(clean.census, replayed.census)}`);
    }
  }
  return { ops: clean.ops, differences };
}
