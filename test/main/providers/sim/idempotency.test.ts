// Crash safety of the sim provider: a step replayed with the same idempotency key creates nothing
// new, and a step interrupted after any recorded intent resumes to exactly what a clean run makes.

import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPE_IDS, resourceType, type ResourceTypeId } from '../../../../shared/catalog';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import { simLiveResources, simResourcesByStep } from '../../../../main/providers/sim';
import type { ProtectedResourceRef, RecoveryPointItemRef } from '../../../../main/providers/types';
import { useTempDirs } from '../../../helpers/temp-dir';
import { Journal, REGIONS, account, env, handlerOf, openSimBed } from './sim-fixture';

const newDir = useTempDirs('fc-sim-idem-');
const signal = new AbortController().signal;

/** A bed with one protected resource of the type, replicated once under a fixed key. */
async function prepared(type: ResourceTypeId) {
  const bed = openSimBed(newDir());
  const cloud = resourceType(type).cloud;
  const acct = account(cloud);
  const source = env(acct, REGIONS[cloud].source);
  const target = env(acct, REGIONS[cloud].target);
  const journal = new Journal();
  const h = handlerOf(bed.provider, type);
  const found = (await h.discover({ env: source, signal }))[0];
  if (!found) throw new Error(`no ${type}`);
  const ref: ProtectedResourceRef = { id: 'pr-1', policyId: 'pol-1', type, nativeId: found.nativeId, name: found.name };
  const ctx = (key: string, jobId: string, extra: Partial<Parameters<Journal['ctx']>[0]> = {}) =>
    journal.ctx({ key, jobId, policyId: 'pol-1', source, target, ...extra });
  const item = await h.replicate(ref, ctx('replicate-1', 'job-r'));
  const point: RecoveryPointItemRef = { id: 'rpi-1', recoveryPointId: 'rp-1', resource: ref, capturedAt: '2030-01-15T10:00:00.000Z', ...item };
  const census = () =>
    simLiveResources(bed.db, { accountId: acct.id })
      .map((r) => `${r.origin}|${r.kind}|${r.nativeId}|${JSON.stringify(r.tags)}|${JSON.stringify(r.attributes)}`)
      .sort();
  return { bed, acct, h, ref, point, ctx, journal, census };
}

describe('sim idempotency', () => {
  it.each(RESOURCE_TYPE_IDS)('%s: replaying replicate, test failover, reset and failover with the same key creates nothing new', async (type) => {
    const t = await prepared(type);
    try {
      const again = await t.h.replicate(t.ref, t.ctx('replicate-1', 'job-r'));
      expect(again.dataRefs).toEqual(t.point.dataRefs);
      const afterReplicate = t.census();

      const created = await t.h.testFailover(t.point, t.ctx('test-1', 'job-t'));
      const afterTest = t.census();
      expect(afterTest.length).toBeGreaterThan(afterReplicate.length);
      expect(await t.h.testFailover(t.point, t.ctx('test-1', 'job-t'))).toEqual(created);
      expect(t.census()).toEqual(afterTest);

      const mapping = await t.h.failover(t.point, t.ctx('failover-1', 'job-f'));
      const afterFailover = t.census();
      expect(await t.h.failover(t.point, t.ctx('failover-1', 'job-f'))).toEqual(mapping);
      expect(t.census()).toEqual(afterFailover);
      const made = simResourcesByStep(t.bed.db, 'failover-1');
      expect(made.length).toBe(mapping.filter((m) => !m.reused).length);

      for (const c of created) await t.h.reset(c, t.ctx(`reset-${c.nativeId}`, 'job-x'));
      for (const c of created) await t.h.reset(c, t.ctx(`reset-${c.nativeId}`, 'job-x'));
      expect(simLiveResources(t.bed.db, { accountId: t.acct.id, origin: 'test' })).toEqual([]);
    } finally {
      t.bed.close();
    }
  });

  it('reads the earlier attempt\'s intent before doing anything on a replayed step', async () => {
    const t = await prepared('aws.ec2-instance');
    try {
      await t.h.failover(t.point, t.ctx('failover-1', 'job-f'));
      const recorded = t.journal.count('failover-1');
      expect(recorded).toBeGreaterThan(0);
      expect(t.journal.intents.get('failover-1')?.every((i) => i.token === 'failover-1')).toBe(true);
      await t.h.failover(t.point, t.ctx('failover-1', 'job-f'));
      // Everything was found by its deterministic id: no new intent, so no new mutation.
      expect(t.journal.count('failover-1')).toBe(recorded);
    } finally {
      t.bed.close();
    }
  });

  const CRASH_TYPES: ResourceTypeId[] = ['azure.vm', 'aws.ec2-instance', 'aws.eks', 'gcp.gke', 'gcp.vm-instance', 'aws.s3-bucket', 'gcp.cloud-sql'];

  it.each(CRASH_TYPES)('%s: a failover interrupted after any intent resumes to exactly the clean run, with no duplicate', async (type) => {
    const clean = await prepared(type);
    const cleanMapping = await clean.h.failover(clean.point, clean.ctx('failover-1', 'job-f'));
    const cleanCensus = clean.census();
    const intents = clean.journal.count('failover-1');
    clean.bed.close();
    expect(intents).toBeGreaterThan(0);

    for (let crashAt = 1; crashAt <= intents; crashAt++) {
      const t = await prepared(type);
      try {
        const ac = new AbortController();
        const crashed = await t.h
          .failover(t.point, t.ctx('failover-1', 'job-f', { signal: ac.signal, onIntent: (_m, n) => n === crashAt && ac.abort() }))
          .catch((e: unknown) => e);
        expect(crashed, `crash at intent ${crashAt}`).toBeInstanceOf(ProviderFailure);
        expect((crashed as ProviderFailure).code).toBe('Cancelled');
        expect(t.census()).not.toEqual(cleanCensus);
        const resumed = await t.h.failover(t.point, t.ctx('failover-1', 'job-f'));
        expect(resumed, `resume after intent ${crashAt}`).toEqual(cleanMapping);
        expect(t.census()).toEqual(cleanCensus);
      } finally {
        t.bed.close();
      }
    }
  });

  it('a replication interrupted between its snapshots resumes without a second copy of any snapshot', async () => {
    const t = await prepared('azure.vm');
    try {
      const ac = new AbortController();
      await expect(
        t.h.replicate(t.ref, t.ctx('replicate-2', 'job-r2', { signal: ac.signal, onIntent: (_m, n) => n === 2 && ac.abort() })),
      ).rejects.toMatchObject({ code: 'Cancelled' });
      const item = await t.h.replicate(t.ref, t.ctx('replicate-2', 'job-r2'));
      const made = simResourcesByStep(t.bed.db, 'replicate-2');
      expect(made.map((r) => r.nativeId).sort()).toEqual(item.dataRefs.map((d) => d.id).sort());
    } finally {
      t.bed.close();
    }
  });
});
