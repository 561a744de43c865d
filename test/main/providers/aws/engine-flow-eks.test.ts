// EKS through the composed core and its job engine against moto, as the operator drives it: discover →
// replicate twice → test failover → reset → failover, reading clusters, node groups, volumes and IAM back
// with the SDK (same-named IAM reused, not duplicated: R7; IAM is global, so the target account's
// roles are the source's).

import { CreateTagsCommand, CreateVolumeCommand, DescribeSnapshotsCommand, DescribeSubnetsCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, CreateNodegroupCommand, DescribeClusterCommand, DescribeNodegroupCommand, EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { AttachRolePolicyCommand, CreatePolicyCommand, CreateRoleCommand, IAMClient, ListPoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { expect, it } from 'vitest';
import { call } from '../../../fixtures/failover-scenario';
import { describeMoto } from '../../../peers/moto';
import { failover, protect, replicate, reset, SOURCE_REGION, TARGET_REGION, testFailover, useAwsEngine } from './engine-harness';

describeMoto('EKS through the engine against moto', () => {
  const h = useAwsEngine('AKIAMOTOENGINEEKS001');
  const eks = (region: string) => new EKSClient({ region, endpoint: h.moto.url, credentials: h.creds });
  const ec2 = (region: string) => new EC2Client({ region, endpoint: h.moto.url, credentials: h.creds });
  const iam = () => new IAMClient({ region: SOURCE_REGION, endpoint: h.moto.url, credentials: h.creds });
  const trust = (service: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
  const counts = async () => ({
    roles: (await iam().send(new ListRolesCommand({}))).Roles!.map((r) => r.RoleName).sort(),
    policies: (await iam().send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies!.map((p) => p.PolicyName).sort(),
  });

  async function seed() {
    const clusterRole = (await iam().send(new CreateRoleCommand({ RoleName: 'shop-cluster-role', AssumeRolePolicyDocument: trust('eks.amazonaws.com') }))).Role!;
    const nodeRole = (await iam().send(new CreateRoleCommand({ RoleName: 'shop-node-role', AssumeRolePolicyDocument: trust('ec2.amazonaws.com') }))).Role!;
    const policy = (
      await iam().send(
        new CreatePolicyCommand({
          PolicyName: 'shop-ebs-csi',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ec2:CreateVolume', 'ec2:AttachVolume'], Resource: '*' }] }),
        }),
      )
    ).Policy!;
    await iam().send(new AttachRolePolicyCommand({ RoleName: 'shop-node-role', PolicyArn: policy.Arn }));
    const subnets = (await ec2(SOURCE_REGION).send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }))).Subnets!;
    const subnetIds = subnets.slice(0, 2).map((s) => s.SubnetId!);
    const cluster = (
      await eks(SOURCE_REGION).send(
        new CreateClusterCommand({
          name: 'shop',
          version: '1.31',
          roleArn: clusterRole.Arn,
          resourcesVpcConfig: { subnetIds, endpointPublicAccess: false, endpointPrivateAccess: true },
          logging: { clusterLogging: [{ types: ['api', 'audit'], enabled: true }] },
          tags: { app: 'shop' },
        }),
      )
    ).cluster!;
    await eks(SOURCE_REGION).send(
      new CreateNodegroupCommand({
        clusterName: 'shop',
        nodegroupName: 'apps',
        nodeRole: nodeRole.Arn,
        subnets: subnetIds,
        scalingConfig: { minSize: 2, maxSize: 6, desiredSize: 3 },
        instanceTypes: ['m6i.xlarge'],
        labels: { tier: 'apps' },
        taints: [{ key: 'dedicated', value: 'apps', effect: 'NO_SCHEDULE' }],
      }),
    );
    const vol = await ec2(SOURCE_REGION).send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 50, VolumeType: 'gp3' }));
    await ec2(SOURCE_REGION).send(
      new CreateTagsCommand({ Resources: [vol.VolumeId!], Tags: [{ Key: 'kubernetes.io/cluster/shop', Value: 'owned' }, { Key: 'kubernetes.io/created-for/pvc/name', Value: 'orders-data' }] }),
    );
    return { cluster, volumeId: vol.VolumeId! };
  }

  it('captures the cluster, tests it under a test name, resets it, and recreates cluster, node group and volume on failover reusing same-named IAM', async () => {
    const { cluster, volumeId } = await seed();
    const seeded = await counts();
    expect(seeded).toEqual({ roles: ['shop-cluster-role', 'shop-node-role'], policies: ['shop-ebs-csi'] });

    const { policy, picked } = await protect(h, 'Shop', (f) => f.type === 'aws.eks');
    expect(picked).toEqual([expect.objectContaining({ nativeId: cluster.arn, name: 'shop', tags: { app: 'shop' } })]);

    await replicate(h, policy.id);
    await replicate(h, policy.id);
    expect((await call(h.core, 'dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 })).items).toHaveLength(2);
    // Each point took a snapshot of the cluster's volume and copied it into the target region.
    const copies = (await ec2(TARGET_REGION).send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'tag:Name', Values: [`shop-${volumeId}`] }] }))).Snapshots ?? [];
    expect(copies.map((s) => s.VolumeSize)).toEqual([50, 50]);
    expect((await eks(TARGET_REGION).send(new ListClustersCommand({}))).clusters).toEqual([]);

    const tests = await testFailover(h, policy.id);
    expect(tests.map((t) => t.kind).sort()).toEqual(['KubernetesCluster', 'NodeGroup']);
    const testCluster = tests.find((t) => t.kind === 'KubernetesCluster')!;
    expect(testCluster.name).toMatch(/^drtest-shop-/);
    const west = eks(TARGET_REGION);
    expect((await west.send(new DescribeClusterCommand({ name: testCluster.name }))).cluster).toMatchObject({
      version: '1.31',
      tags: expect.objectContaining({ 'dr:test': 'true', app: 'shop' }),
    });
    expect((await west.send(new ListNodegroupsCommand({ clusterName: testCluster.name }))).nodegroups).toHaveLength(1);
    expect(await counts()).toEqual(seeded);

    expect(await reset(h, policy.id)).toEqual([]);
    expect((await west.send(new ListClustersCommand({}))).clusters).toEqual([]);

    const { plan, mappings, policy: after } = await failover(h, policy.id);
    expect(after.state).toBe('failed_over');
    // R7: the same-named roles and policy exist (IAM is account-wide): reused, none created.
    expect(await counts()).toEqual(seeded);
    const restored = (await west.send(new DescribeClusterCommand({ name: 'shop' }))).cluster!;
    expect(restored).toMatchObject({ version: '1.31', roleArn: expect.stringContaining('role/shop-cluster-role') });
    expect(restored.resourcesVpcConfig).toMatchObject({ endpointPublicAccess: false, endpointPrivateAccess: true });
    expect((await west.send(new ListClustersCommand({}))).clusters).toEqual(['shop']);
    expect((await west.send(new ListNodegroupsCommand({ clusterName: 'shop' }))).nodegroups).toEqual(['apps']);
    const ng = (await west.send(new DescribeNodegroupCommand({ clusterName: 'shop', nodegroupName: 'apps' }))).nodegroup!;
    expect(ng).toMatchObject({ instanceTypes: ['m6i.xlarge'], scalingConfig: { minSize: 2, maxSize: 6, desiredSize: 3 }, labels: { tier: 'apps' } });
    expect(ng.nodeRole).toContain('role/shop-node-role');
    const vols = (await ec2(TARGET_REGION).send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag-key', Values: ['kubernetes.io/cluster/shop'] }] }))).Volumes ?? [];
    expect(vols).toHaveLength(1);
    // The volume comes from the failed-over point's snapshot copy (the latest point: none was chosen).
    expect(plan.recoveryPoint.id).toBe(plan.latestRecoveryPoint.id);
    const point = await call(h.core, 'dr:recoveryPoints.get', { recoveryPointId: plan.recoveryPoint.id });
    const snapshot = point.items[0]!.dataRefs.find((d) => d.kind === 'VolumeSnapshot');
    expect(copies.map((s) => s.SnapshotId)).toContain(snapshot?.id);
    expect(vols[0]).toMatchObject({ SnapshotId: snapshot?.id, Size: 50 });

    expect(mappings.map((m) => m.kind)).toEqual(['KubernetesCluster', 'IamRole', 'IamRole', 'IamPolicy', 'NodeGroup', 'Volume']);
    expect(mappings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'KubernetesCluster', sourceId: cluster.arn, name: 'shop', targetId: restored.arn, reused: false }),
        expect.objectContaining({ kind: 'IamRole', name: 'shop-cluster-role', reused: true }),
        expect.objectContaining({ kind: 'IamRole', name: 'shop-node-role', reused: true }),
        expect.objectContaining({ kind: 'IamPolicy', name: 'shop-ebs-csi', reused: true }),
        expect.objectContaining({ kind: 'NodeGroup', name: 'shop/apps', targetId: ng.nodegroupArn, reused: false }),
        expect.objectContaining({ kind: 'Volume', sourceId: volumeId, name: 'orders-data', targetId: vols[0]!.VolumeId, reused: false }),
      ]),
    );
    await expect(call(h.core, 'dr:testFailover.run', { policyId: policy.id })).rejects.toMatchObject({ code: 'PreconditionFailed' });
  }, 30_000);
});
