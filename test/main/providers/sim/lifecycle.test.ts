// Every one of the fifteen simulated types through the whole rehearsal: discover, replicate twice,
// test failover, reset, failover, stop replication, checked against the rows of the simulated cloud.

import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPE_IDS, resourceType, type ResourceTypeId } from '../../../../shared/catalog';
import type { DiscoveredResource } from '../../../../shared/domain';
import { simFindResource, simLiveResources, simMutateSource } from '../../../../main/providers/sim';
import type { ProtectedResourceRef, RecoveryPointItemRef, CapturedItem } from '../../../../main/providers/types';
import { useTempDirs } from '../../../helpers/temp-dir';
import { Journal, REGIONS, account, env, handlerOf, openSimBed } from './sim-fixture';

const newDir = useTempDirs('fc-sim-life-');

/** One scalar setting per type that an operator might change between two recovery points. */
const CHANGED_SETTING: Record<ResourceTypeId, string> = {
  'azure.vm': 'size',
  'azure.sql-database': 'backupRetentionDays',
  'azure.storage-account': 'accessTier',
  'azure.aks': 'kubernetesVersion',
  'azure.mysql-flexible': 'backupRetentionDays',
  'azure.postgresql-flexible': 'storageGb',
  'aws.ec2-instance': 'instanceType',
  'aws.s3-bucket': 'versioning',
  'aws.rds': 'instanceClass',
  'aws.dynamodb': 'billingMode',
  'aws.eks': 'version',
  'gcp.cloud-storage': 'storageClass',
  'gcp.gke': 'releaseChannel',
  'gcp.cloud-sql': 'tier',
  'gcp.vm-instance': 'machineType',
};

/** The kind failover creates or updates for the protected resource itself. */
const PRIMARY_KINDS: Record<ResourceTypeId, readonly string[]> = {
  'azure.vm': ['VirtualMachine'],
  'azure.sql-database': ['SqlDatabase'],
  'azure.storage-account': ['StorageAccount'],
  'azure.aks': ['ManagedCluster'],
  'azure.mysql-flexible': ['MySqlFlexibleServer'],
  'azure.postgresql-flexible': ['PostgreSqlFlexibleServer'],
  'aws.ec2-instance': ['Instance'],
  'aws.s3-bucket': ['Bucket'],
  'aws.rds': ['DBInstance', 'DBCluster'],
  'aws.dynamodb': ['Table'],
  'aws.eks': ['Cluster'],
  'gcp.cloud-storage': ['Bucket'],
  'gcp.gke': ['Cluster'],
  'gcp.cloud-sql': ['SqlInstance'],
  'gcp.vm-instance': ['Instance'],
};

/** What failover must create besides the primary, per the product document's table. */
const DEPENDENT_KINDS: Partial<Record<ResourceTypeId, readonly string[]>> = {
  'azure.vm': ['Disk', 'NetworkInterface', 'VirtualNetwork', 'PublicIPAddress'],
  'azure.aks': ['Disk'],
  'aws.ec2-instance': ['Volume', 'SecurityGroup', 'IamRole', 'IamPolicy'],
  'aws.eks': ['Volume', 'NodeGroup', 'IamRole', 'IamPolicy'],
  'gcp.gke': ['Disk', 'IamRole', 'ServiceAccount', 'IamRoleBinding'],
  'gcp.vm-instance': ['Disk', 'IamRole', 'ServiceAccount', 'IamRoleBinding'],
};

interface Entry {
  id: string;
  policyId: string | null;
  kind: string;
}
const entriesOf = (attrs: Record<string, unknown> | undefined): Entry[] =>
  Array.isArray(attrs?.replication) ? (attrs.replication as Entry[]) : [];

/** Resources with IAM and a public IP exercise the most of each type. */
function choose(type: ResourceTypeId, found: DiscoveredResource[]): DiscoveredResource {
  const preferred =
    type === 'azure.vm'
      ? found.find((d) => d.summary.includes('public IP'))
      : type === 'aws.ec2-instance'
        ? found.find((d) => d.summary.includes('role'))
        : type === 'gcp.vm-instance'
          ? found.find((d) => d.summary.includes('runs as'))
          : undefined;
  const chosen = preferred ?? found[0];
  if (!chosen) throw new Error(`nothing of ${type} discovered`);
  return chosen;
}

describe('sim provider lifecycle', () => {
  it.each(RESOURCE_TYPE_IDS)(
    '%s: replication, test failover, reset, failover and stop replication do what the product document says',
    async (type) => {
      const bed = openSimBed(newDir());
      try {
        const info = resourceType(type);
        const acct = account(info.cloud);
        const source = env(acct, REGIONS[info.cloud].source);
        // A separate recovery account (cross-account DR), so everything failover makes is new there.
        const dr = account(info.cloud, `acct-${info.cloud}-dr`);
        const target = env(dr, REGIONS[info.cloud].target);
        const policyId = 'pol-1';
        const journal = new Journal();
        let n = 0;
        const step = (jobId: string) => journal.ctx({ key: `${jobId}:${++n}`, jobId, policyId, source, target });
        const handler = handlerOf(bed.provider, type);
        const signal = new AbortController().signal;

        // -- discover
        const found = await handler.discover({ env: source, signal });
        expect(found.length).toBeGreaterThan(0);
        for (const d of found) {
          expect(d).toMatchObject({ type, region: source.region });
          expect(d.summary.length).toBeGreaterThan(0);
        }
        const chosen = choose(type, found);
        const ref: ProtectedResourceRef = { id: 'pr-1', policyId, type, nativeId: chosen.nativeId, name: chosen.name };

        // A customer's own rule and another policy's rule on the source: this policy must never remove them.
        const original = simFindResource(bed.db, acct.id, chosen.nativeId);
        const foreign: Entry[] = [
          { id: 'customer-rule', kind: 'CustomerRule', policyId: null },
          { id: 'other-policy-rule', kind: 'OtherPolicyRule', policyId: 'pol-other' },
        ];
        simMutateSource(bed.db, chosen.nativeId, { replication: [...entriesOf(original?.attributes), ...foreign] });
        const foreignIds = entriesOf(simFindResource(bed.db, acct.id, chosen.nativeId)?.attributes)
          .map((e) => e.id)
          .sort();

        // -- replicate twice, the source changing in between
        const setting = CHANGED_SETTING[type];
        const item1 = await handler.replicate(ref, step('job-r1'));
        simMutateSource(bed.db, chosen.nativeId, { [setting]: 'changed-by-operator' });
        const item2 = await handler.replicate(ref, step('job-r2'));
        const settingsOf = (item: CapturedItem) => item.metadata.settings as Record<string, unknown>;
        expect(settingsOf(item1)[setting]).toBeDefined();
        expect(settingsOf(item1)[setting]).not.toBe('changed-by-operator');
        expect(settingsOf(item2)[setting]).toBe('changed-by-operator');
        for (const ref2 of [...item1.dataRefs, ...item2.dataRefs].filter((d) => d.region === target.region)) {
          expect(simFindResource(bed.db, dr.id, ref2.id), `data ref ${ref2.kind} ${ref2.id}`).toBeDefined();
        }

        const policyEntries = () =>
          entriesOf(simFindResource(bed.db, acct.id, chosen.nativeId)?.attributes).filter((e) => e.policyId === policyId);
        expect(policyEntries()).toHaveLength(1);
        const replicationRows = () => simLiveResources(bed.db, { accountId: dr.id, region: target.region, origin: 'replication' });
        if (info.createsResources) {
          const snaps1 = item1.dataRefs.filter((d) => d.kind === 'Snapshot').map((d) => d.id);
          const snaps2 = item2.dataRefs.filter((d) => d.kind === 'Snapshot').map((d) => d.id);
          expect(snaps1.length).toBeGreaterThan(0);
          expect(snaps2.length).toBe(snaps1.length);
          expect(snaps2.filter((s) => snaps1.includes(s))).toEqual([]);
        } else {
          // One standing replica, set up by the first replication and found again by the second.
          expect(replicationRows().filter((r) => r.type === type)).toHaveLength(1);
          expect(item2.dataRefs.find((d) => d.kind === 'Replica')?.id).toBe(item1.dataRefs.find((d) => d.kind === 'Replica')?.id);
        }

        const point: RecoveryPointItemRef = {
          id: 'rpi-2',
          recoveryPointId: 'rp-2',
          resource: ref,
          capturedAt: bed.clock.iso(),
          ...item2,
        };

        // -- test failover: independent, tagged copies; replication untouched
        const replicationBefore = JSON.stringify([policyEntries(), replicationRows()]);
        const created = await handler.testFailover(point, step('job-t1'));
        expect(created.length).toBeGreaterThan(0);
        for (const c of created) {
          const row = simFindResource(bed.db, dr.id, c.nativeId);
          expect(row, `${c.kind} ${c.nativeId}`).toBeDefined();
          expect(row?.origin).toBe('test');
          expect(row?.region).toBe(target.region);
          expect(row?.tags).toMatchObject({ 'dr:policy': policyId, 'dr:job': 'job-t1', 'dr:test': 'true' });
          expect(c.name).toMatch(/^(drtest-|drt)/);
        }
        expect(created.map((c) => c.kind)).toEqual(expect.arrayContaining([...PRIMARY_KINDS[type].filter((k) => created.some((c) => c.kind === k))]));
        expect(created.some((c) => PRIMARY_KINDS[type].includes(c.kind))).toBe(true);
        expect(JSON.stringify([policyEntries(), replicationRows()])).toBe(replicationBefore);

        // -- reset: every test resource gone; again is fine
        for (const c of created) await handler.reset(c, step('job-x1'));
        expect(simLiveResources(bed.db, { accountId: dr.id, origin: 'test' })).toEqual([]);
        for (const c of created) expect(simFindResource(bed.db, dr.id, c.nativeId)).toBeUndefined();
        for (const c of created) await handler.reset(c, step('job-x2'));
        expect(JSON.stringify([policyEntries(), replicationRows()])).toBe(replicationBefore);

        // -- failover
        const mapping = await handler.failover(point, step('job-f1'));
        expect(mapping[0]?.sourceId).toBe(chosen.nativeId);
        expect(PRIMARY_KINDS[type]).toContain(mapping[0]?.kind);
        for (const m of mapping) {
          const row = simFindResource(bed.db, dr.id, m.targetId);
          expect(row, `${m.kind} ${m.targetId}`).toBeDefined();
          expect(row?.region).toBe(target.region);
          expect(row?.name).toBe(m.name);
        }
        const remainingIds = () =>
          entriesOf(simFindResource(bed.db, acct.id, chosen.nativeId)?.attributes)
            .map((e) => e.id)
            .sort();
        if (info.createsResources) {
          expect(new Set(mapping.map((m) => m.kind))).toEqual(new Set([PRIMARY_KINDS[type][0], ...(DEPENDENT_KINDS[type] ?? [])]));
          for (const m of mapping) {
            expect(simFindResource(bed.db, dr.id, m.targetId)?.origin).toBe('failover');
            expect(m.reused).toBeUndefined();
          }
          const primary = simFindResource(bed.db, dr.id, mapping[0]?.targetId ?? '');
          expect(primary?.tags).toMatchObject({ ...chosen.tags, 'dr:policy': policyId, 'dr:job': 'job-f1' });
          expect(primary?.tags['dr:test']).toBeUndefined();
        } else {
          expect(mapping).toHaveLength(1);
          expect(mapping[0]?.reused).toBe(true);
          const replica = simFindResource(bed.db, dr.id, mapping[0]?.targetId ?? '');
          expect(replica?.origin).toBe('replication');
          expect(replica?.attributes[setting]).toBe('changed-by-operator');
          expect(replica?.attributes.appliedRecoveryPointId).toBe('rp-2');
          expect(replica?.tags).toMatchObject({ ...chosen.tags, 'dr:policy': policyId });
          if (type === 'azure.sql-database') {
            // The table asks only to apply metadata; the geo link goes when replication stops.
            expect(policyEntries()).toHaveLength(1);
          } else {
            expect(policyEntries()).toEqual([]);
            expect(remainingIds()).toEqual(foreignIds);
          }
        }

        // -- stop replication: only this policy's entries go
        await handler.stopReplication(ref, step('job-s1'));
        expect(policyEntries()).toEqual([]);
        expect(remainingIds()).toEqual(foreignIds);
        expect(remainingIds()).toEqual(expect.arrayContaining(['customer-rule', 'other-policy-rule']));
      } finally {
        bed.close();
      }
    },
  );
});
