// Failover on the sim provider in detail: the Azure VM's full mapping (R8), reuse of same-named IAM
// in the target (R7), the source region being gone, and a name already taken in the target.

import { describe, expect, it } from 'vitest';
import { resourceType, type ResourceTypeId } from '../../../../shared/catalog';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import { simFindResource, simLiveResources, simMutateSource, simSeedResource } from '../../../../main/providers/sim';
import { awsAccountNumber, gcpProject, gcpRoleId } from '../../../../main/providers/sim/naming';
import type { EnvRef, ProtectedResourceRef, RecoveryPointItemRef } from '../../../../main/providers/types';
import { useTempDirs } from '../../../helpers/temp-dir';
import { Journal, REGIONS, account, env, handlerOf, openSimBed, type SimBed } from './sim-fixture';

const newDir = useTempDirs('fc-sim-fo-');
const signal = new AbortController().signal;

interface Bench {
  bed: SimBed;
  source: EnvRef;
  target: EnvRef;
  journal: Journal;
  /** Discovers, replicates and returns a recovery point item for the first resource matching. */
  protect(type: ResourceTypeId, match?: (summary: string, name: string) => boolean): Promise<RecoveryPointItemRef>;
  step(jobId: string, key?: string): ReturnType<Journal['ctx']>;
}

let seq = 0;
/** crossAccount: the target is another account (AWS account, GCP project) than the source. */
function bench(cloud: 'azure' | 'aws' | 'gcp', opts: { crossAccount?: boolean } = {}): Bench {
  const bed = openSimBed(newDir());
  const acct = account(cloud);
  const source = env(acct, REGIONS[cloud].source);
  const target = env(opts.crossAccount ? account(cloud, `acct-${cloud}-dr`) : acct, REGIONS[cloud].target);
  const journal = new Journal();
  const step = (jobId: string, key = `${jobId}:${++seq}`) => journal.ctx({ key, jobId, policyId: 'pol-1', source, target });
  const p = bed.provider;
  return {
    bed,
    source,
    target,
    journal,
    step,
    async protect(type, match = () => true) {
      const h = handlerOf(p, type);
      const found = (await h.discover({ env: source, signal })).find((d) => match(d.summary, d.name));
      if (!found) throw new Error(`no ${type} matching`);
      const ref: ProtectedResourceRef = { id: `pr-${found.name}`, policyId: 'pol-1', type, nativeId: found.nativeId, name: found.name };
      const item = await h.replicate(ref, step('job-r'));
      return { id: `rpi-${found.name}`, recoveryPointId: 'rp-1', resource: ref, capturedAt: bed.clock.iso(), ...item };
    },
  };
}

describe('sim failover', () => {
  it('maps an Azure VM to its VM, disks, NIC, virtual network and public IP, in the webhook vocabulary', async () => {
    const b = bench('azure');
    try {
      const point = await b.protect('azure.vm', (s) => s.includes('public IP'));
      const sourceVm = simFindResource(b.bed.db, 'acct-azure', point.resource.nativeId);
      const attrs = sourceVm?.attributes as {
        disks: { id: string; name: string }[];
        networkInterface: { id: string };
        virtualNetwork: { id: string };
        publicIp: { id: string };
      };
      const mapping = await handlerOf(b.bed.provider, 'azure.vm').failover(point, b.step('job-f'));
      expect(mapping.map((m) => m.kind)).toEqual([
        'VirtualMachine',
        ...attrs.disks.map(() => 'Disk'),
        'NetworkInterface',
        'VirtualNetwork',
        'PublicIPAddress',
      ]);
      expect(mapping.map((m) => m.sourceId)).toEqual([
        point.resource.nativeId,
        ...attrs.disks.map((d) => d.id),
        attrs.networkInterface.id,
        attrs.virtualNetwork.id,
        attrs.publicIp.id,
      ]);
      expect(mapping[0]).toMatchObject({ name: point.resource.name });
      expect(mapping[0]?.targetId).toMatch(/^\/subscriptions\/[0-9a-f-]+\/resourceGroups\/rg-dr-westus2\/providers\/Microsoft\.Compute\/virtualMachines\//);
      // Disks come from this recovery point's snapshots.
      const snapshots = new Set(point.dataRefs.filter((d) => d.kind === 'Snapshot').map((d) => d.id));
      for (const m of mapping.filter((x) => x.kind === 'Disk')) {
        expect(snapshots.has(String(simFindResource(b.bed.db, 'acct-azure', m.targetId)?.attributes.createdFromSnapshot))).toBe(true);
      }
      const vm = simFindResource(b.bed.db, 'acct-azure', mapping[0]?.targetId ?? '');
      expect(vm?.attributes).toMatchObject({ size: (point.metadata.settings as { size: string }).size, networkInterfaceIds: [mapping.find((m) => m.kind === 'NetworkInterface')?.targetId] });
    } finally {
      b.bed.close();
    }
  });

  it('shares one target virtual network between two VMs of the same failover job and maps it once', async () => {
    const b = bench('azure');
    try {
      const vms = (await handlerOf(b.bed.provider, 'azure.vm').discover({ env: b.source, signal })).slice(0, 2);
      expect(vms).toHaveLength(2);
      const all = [];
      for (const vm of vms) {
        const point = await b.protect('azure.vm', (_s, name) => name === vm.name);
        all.push(...(await handlerOf(b.bed.provider, 'azure.vm').failover(point, b.step('job-f'))));
      }
      expect(all.filter((m) => m.kind === 'VirtualNetwork')).toHaveLength(1);
      expect(simLiveResources(b.bed.db, { accountId: 'acct-azure', origin: 'failover', kind: 'VirtualNetwork' })).toHaveLength(1);
      const keys = all.map((m) => `${m.sourceId}|${m.kind}|${m.targetId}`);
      expect(new Set(keys).size).toBe(keys.length);
    } finally {
      b.bed.close();
    }
  });

  const IAM_TYPES = [
    ['aws.ec2-instance', 'aws', (s: string) => s.includes('role')],
    ['aws.eks', 'aws', () => true],
    ['gcp.gke', 'gcp', () => true],
    ['gcp.vm-instance', 'gcp', (s: string) => s.includes('runs as')],
  ] as const;

  it.each(IAM_TYPES)('%s reuses an IAM role with the same name already in the target account instead of creating another', async (type, cloud, match) => {
    expect(resourceType(type).reusesSameNamedIam).toBe(true);
    const b = bench(cloud, { crossAccount: true });
    try {
      const point = await b.protect(type, match);
      const settings = point.metadata.settings as { iam: { roles: { name?: string; id?: string }[] } };
      const roleName = String(settings.iam.roles[0]?.name ?? settings.iam.roles[0]?.id);
      const drAccount = b.target.account.id;
      // Someone already made a role of that name in the recovery account / project.
      const existing = simSeedResource(b.bed.db, {
        accountId: drAccount,
        region: 'global',
        kind: 'IamRole',
        name: roleName,
        nativeId:
          cloud === 'aws'
            ? `arn:aws:iam::${awsAccountNumber(b.target)}:role/${roleName}`
            : `projects/${gcpProject(b.target)}/roles/${gcpRoleId(roleName)}`,
        origin: 'inventory',
      });
      const mapping = await handlerOf(b.bed.provider, type).failover(point, b.step('job-f'));
      const roleEntries = mapping.filter((m) => m.kind === 'IamRole' && m.name === roleName);
      expect(roleEntries).toEqual([expect.objectContaining({ targetId: existing.nativeId, reused: true })]);
      expect(simLiveResources(b.bed.db, { accountId: drAccount, kind: 'IamRole', name: roleName }).map((r) => r.nativeId)).toEqual([
        existing.nativeId,
      ]);
      // The rest of the IAM set-up did not exist, so it was created.
      expect(mapping.filter((m) => m.reused)).toEqual(roleEntries);
      expect(mapping.filter((m) => ['IamPolicy', 'ServiceAccount', 'IamRoleBinding'].includes(m.kind)).length).toBeGreaterThan(0);
    } finally {
      b.bed.close();
    }
  });

  it('reuses the roles and policies of the same AWS account when failing over to another region (IAM is global)', async () => {
    const b = bench('aws');
    try {
      const point = await b.protect('aws.ec2-instance', (s) => s.includes('role'));
      const before = simLiveResources(b.bed.db, { accountId: 'acct-aws', kind: 'IamRole' }).length;
      expect(before).toBeGreaterThan(0);
      const mapping = await handlerOf(b.bed.provider, 'aws.ec2-instance').failover(point, b.step('job-f'));
      const iam = mapping.filter((m) => m.kind === 'IamRole' || m.kind === 'IamPolicy');
      expect(iam.length).toBeGreaterThan(0);
      for (const m of iam) expect(m).toMatchObject({ reused: true, targetId: m.sourceId });
      expect(simLiveResources(b.bed.db, { accountId: 'acct-aws', kind: 'IamRole' })).toHaveLength(before);
      expect(simLiveResources(b.bed.db, { accountId: 'acct-aws', origin: 'failover', kind: 'IamRole' })).toEqual([]);
    } finally {
      b.bed.close();
    }
  });

  it('creates an IAM role shared by two EC2 instances once, and a later policy reuses it', async () => {
    const b = bench('aws', { crossAccount: true });
    try {
      const h = handlerOf(b.bed.provider, 'aws.ec2-instance');
      const found = await h.discover({ env: b.source, signal });
      const withRole = found.filter((d) => d.summary.includes('role'));
      expect(withRole.length).toBeGreaterThanOrEqual(2);
      const names = withRole.slice(0, 2).map((d) => d.name);
      // Both instances run under the first one's role, as an operator may set them up.
      const firstIam = simFindResource(b.bed.db, 'acct-aws', withRole[0]?.nativeId ?? '')?.attributes.iam as { roles: { name: string }[] };
      simMutateSource(b.bed.db, withRole[1]?.nativeId ?? '', { iam: firstIam });
      const roleName = firstIam.roles[0]?.name ?? '';
      const first = await h.failover(await b.protect('aws.ec2-instance', (_s, n) => n === names[0]), b.step('job-f1'));
      const second = await h.failover(await b.protect('aws.ec2-instance', (_s, n) => n === names[1]), b.step('job-f1'));
      expect(first.filter((m) => m.kind === 'IamRole' && m.name === roleName)).toHaveLength(1);
      expect(second.filter((m) => m.kind === 'IamRole' && m.name === roleName)).toEqual([]);
      expect(simLiveResources(b.bed.db, { accountId: 'acct-aws-dr', kind: 'IamRole', name: roleName })).toHaveLength(1);
      // Another policy's failover job later: the role exists, so it is mapped as reused.
      const later = await h.failover(await b.protect('aws.ec2-instance', (_s, n) => n === names[0]), b.step('job-f2'));
      expect(later.filter((m) => m.kind === 'IamRole' && m.name === roleName)).toEqual([expect.objectContaining({ reused: true })]);
      expect(simLiveResources(b.bed.db, { accountId: 'acct-aws-dr', kind: 'IamRole', name: roleName })).toHaveLength(1);
    } finally {
      b.bed.close();
    }
  });

  it('fails over a replicated database when the source region is gone, leaving nothing to unlink', async () => {
    const b = bench('aws');
    try {
      const point = await b.protect('aws.rds');
      b.bed.db.prepare("UPDATE sim_resources SET deleted_at = '2030-01-15T11:00:00.000Z' WHERE native_id = ?").run(point.resource.nativeId);
      const mapping = await handlerOf(b.bed.provider, 'aws.rds').failover(point, b.step('job-f'));
      expect(mapping).toEqual([expect.objectContaining({ sourceId: point.resource.nativeId, reused: true })]);
      const replica = simFindResource(b.bed.db, 'acct-aws', mapping[0]?.targetId ?? '');
      expect(replica?.attributes).toMatchObject({ replicationRole: 'Standalone', replicaOf: null, appliedRecoveryPointId: 'rp-1' });
    } finally {
      b.bed.close();
    }
  });

  it('refuses to replicate a resource that no longer exists, with NotFound and no change', async () => {
    const b = bench('gcp');
    try {
      const h = handlerOf(b.bed.provider, 'gcp.cloud-sql');
      await h.discover({ env: b.source, signal });
      const before = simLiveResources(b.bed.db, {});
      const ref: ProtectedResourceRef = { id: 'pr-x', policyId: 'pol-1', type: 'gcp.cloud-sql', nativeId: 'projects/x/instances/gone', name: 'gone' };
      await expect(h.replicate(ref, b.step('job-r'))).rejects.toMatchObject({ code: 'NotFound', message: expect.stringContaining('gone') });
      expect(simLiveResources(b.bed.db, {})).toEqual(before);
    } finally {
      b.bed.close();
    }
  });

  it('reports a conflict, not a silent overwrite, when a same-named VM of someone else sits in the target', async () => {
    const b = bench('gcp');
    try {
      const point = await b.protect('gcp.vm-instance');
      const projectPath = point.resource.nativeId.split('/zones/')[0];
      simSeedResource(b.bed.db, {
        accountId: 'acct-gcp',
        region: b.target.region,
        kind: 'Instance',
        name: point.resource.name,
        nativeId: `${projectPath}/zones/${b.target.region}-b/instances/${point.resource.name}`,
        origin: 'inventory',
      });
      const err = await handlerOf(b.bed.provider, 'gcp.vm-instance').failover(point, b.step('job-f')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderFailure);
      expect(err).toMatchObject({ code: 'Conflict', message: expect.stringContaining(point.resource.name) });
    } finally {
      b.bed.close();
    }
  });

  it('refuses to let Reset delete a resource that a test failover did not create', async () => {
    const b = bench('aws');
    try {
      const point = await b.protect('aws.s3-bucket');
      const replicaId = point.dataRefs.find((d) => d.kind === 'Replica')?.id ?? '';
      await expect(
        handlerOf(b.bed.provider, 'aws.s3-bucket').reset({ kind: 'Bucket', nativeId: replicaId, name: 'x', region: b.target.region }, b.step('job-x')),
      ).rejects.toMatchObject({ code: 'PreconditionFailed' });
      expect(simFindResource(b.bed.db, 'acct-aws', replicaId)).toBeDefined();
    } finally {
      b.bed.close();
    }
  });

  it('tells the operator which snapshot is missing when a recovery point lost its data', async () => {
    const b = bench('aws');
    try {
      const point = await b.protect('aws.ec2-instance');
      const snap = point.dataRefs.find((d) => d.kind === 'Snapshot')?.id ?? '';
      b.bed.db.prepare("UPDATE sim_resources SET deleted_at = '2030-01-15T11:00:00.000Z' WHERE native_id = ?").run(snap);
      const before = simLiveResources(b.bed.db, {}).length;
      await expect(handlerOf(b.bed.provider, 'aws.ec2-instance').failover(point, b.step('job-f'))).rejects.toMatchObject({
        code: 'NotFound',
        message: expect.stringContaining(snap),
      });
      expect(simLiveResources(b.bed.db, {}).length).toBe(before);
    } finally {
      b.bed.close();
    }
  });
});
