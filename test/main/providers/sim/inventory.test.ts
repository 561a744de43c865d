// Discovery on the sim provider: a deterministic, persisted, realistic inventory per account and
// region, and nothing the console itself created (replicas, test copies, failovers) in it.

import { describe, expect, it } from 'vitest';
import { CLOUDS, RESOURCE_TYPE_IDS, resourceTypesFor, type Cloud } from '../../../../shared/catalog';
import { DiscoveredResource } from '../../../../shared/domain';
import { simInventory, simLiveResources } from '../../../../main/providers/sim';
import type { EnvRef } from '../../../../main/providers/types';
import { useTempDirs } from '../../../helpers/temp-dir';
import { Journal, REGIONS, account, env, handlerOf, openSimBed, type SimBed } from './sim-fixture';

const newDir = useTempDirs('fc-sim-inv-');
const signal = new AbortController().signal;

async function discoverAll(bed: SimBed, e: EnvRef): Promise<DiscoveredResource[]> {
  const out: DiscoveredResource[] = [];
  for (const type of RESOURCE_TYPE_IDS) out.push(...(await handlerOf(bed.provider, type).discover({ env: e, signal })));
  return out;
}

describe('sim discovery', () => {
  it.each(CLOUDS)('gives a %s region 8 to 15 resources spanning every type of that cloud, with names, tags and summaries', async (cloud: Cloud) => {
    const bed = openSimBed(newDir());
    try {
      const found = await discoverAll(bed, env(account(cloud), REGIONS[cloud].source));
      expect(found.length).toBeGreaterThanOrEqual(8);
      expect(found.length).toBeLessThanOrEqual(15);
      expect(new Set(found.map((d) => d.type))).toEqual(new Set(resourceTypesFor(cloud).map((t) => t.id)));
      for (const d of found) {
        expect(() => DiscoveredResource.parse(d)).not.toThrow();
        expect(d.name).toMatch(/^[a-z][a-z0-9-]+$/);
        expect(d.tags).toMatchObject({ env: 'production' });
        expect(d.summary).not.toBe('');
      }
      expect(new Set(found.map((d) => d.nativeId)).size).toBe(found.length);
    } finally {
      bed.close();
    }
  });

  it('keeps every region of every cloud within 8 to 15 resources, whatever the seed', async () => {
    const bed = openSimBed(newDir());
    try {
      for (const cloud of CLOUDS) {
        for (let i = 0; i < 20; i++) {
          const found = await discoverAll(bed, env(account(cloud, `acct-${cloud}-${i}`), REGIONS[cloud].source));
          expect(found.length, `${cloud} seed ${i}`).toBeGreaterThanOrEqual(8);
          expect(found.length, `${cloud} seed ${i}`).toBeLessThanOrEqual(15);
        }
      }
    } finally {
      bed.close();
    }
  });

  it('is the same inventory for the same account and region in another data file, and a different one elsewhere', async () => {
    const a = openSimBed(newDir());
    const b = openSimBed(newDir());
    try {
      const acct = account('aws', 'acct-seeded');
      const first = await discoverAll(a, env(acct, 'eu-west-1'));
      const again = await discoverAll(b, env(acct, 'eu-west-1'));
      expect(again).toEqual(first);
      const otherRegion = await discoverAll(b, env(acct, 'ap-northeast-1'));
      expect(otherRegion.map((d) => d.nativeId)).not.toEqual(first.map((d) => d.nativeId));
      const otherAccount = await discoverAll(b, env(account('aws', 'acct-other'), 'eu-west-1'));
      expect(otherAccount.map((d) => d.nativeId)).not.toEqual(first.map((d) => d.nativeId));
    } finally {
      a.close();
      b.close();
    }
  });

  it('persists the inventory on first discovery and returns the same rows afterwards, changes included', async () => {
    const bed = openSimBed(newDir());
    try {
      const acct = account('azure');
      const e = env(acct, 'eastus');
      expect(simInventory(bed.db, acct.id, 'eastus')).toEqual([]);
      const first = await discoverAll(bed, e);
      const rows = simInventory(bed.db, acct.id, 'eastus');
      expect(rows.map((r) => r.nativeId).sort()).toEqual(first.map((d) => d.nativeId).sort());
      expect(rows.every((r) => r.origin === 'inventory')).toBe(true);
      bed.clock.advance(60_000);
      expect(await discoverAll(bed, e)).toEqual(first);
      expect(simInventory(bed.db, acct.id, 'eastus')).toHaveLength(rows.length);
    } finally {
      bed.close();
    }
  });

  it("does not show replicas, test copies or failed-over resources when the policy's target region is discovered", async () => {
    const bed = openSimBed(newDir());
    try {
      const acct = account('aws');
      const source = env(acct, REGIONS.aws.source);
      const target = env(acct, REGIONS.aws.target);
      const journal = new Journal();
      const found = await discoverAll(bed, source);
      let n = 0;
      for (const d of found) {
        const h = handlerOf(bed.provider, d.type);
        const ref = { id: `pr-${d.name}`, policyId: 'pol-1', type: d.type, nativeId: d.nativeId, name: d.name };
        const mk = (job: string) => journal.ctx({ key: `${job}-${++n}`, jobId: job, policyId: 'pol-1', source, target });
        const item = await h.replicate(ref, mk('job-r'));
        const point = { id: `i-${n}`, recoveryPointId: 'rp-1', resource: ref, capturedAt: bed.clock.iso(), ...item };
        await h.testFailover(point, mk('job-t'));
        await h.failover(point, mk('job-f'));
      }
      const made = simLiveResources(bed.db, { accountId: acct.id, region: target.region, origin: ['replication', 'test', 'failover'] });
      expect(made.length).toBeGreaterThan(found.length);
      const inTarget = await discoverAll(bed, target);
      expect(inTarget.length).toBeGreaterThan(0);
      const madeIds = new Set(made.map((r) => r.nativeId));
      expect(inTarget.filter((d) => madeIds.has(d.nativeId))).toEqual([]);
      for (const d of inTarget) expect(d.name.startsWith('drtest-')).toBe(false);
    } finally {
      bed.close();
    }
  });

  it('returns nothing for a type of another cloud than the account', async () => {
    const bed = openSimBed(newDir());
    try {
      const found = await handlerOf(bed.provider, 'azure.vm').discover({ env: env(account('gcp'), 'us-central1'), signal });
      expect(found).toEqual([]);
      expect(simLiveResources(bed.db, {})).toEqual([]);
    } finally {
      bed.close();
    }
  });
});
