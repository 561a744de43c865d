// The EKS handler against moto: discover → replicate twice → test failover → reset → failover, reading
// clusters, node groups, volumes and IAM back with the SDK (same-named IAM reused, not duplicated: R7).

import { CreateTagsCommand, CreateVolumeCommand, DescribeSnapshotsCommand, DescribeSubnetsCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, CreateNodegroupCommand, DescribeClusterCommand, DescribeNodegroupCommand, EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { AttachRolePolicyCommand, CreatePolicyCommand, CreateRoleCommand, IAMClient, ListPoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { AwsContext } from '../../../../main/providers/aws/clients';
import { createEksHandler } from '../../../../main/providers/aws/eks';
import { describeMoto, startMoto, type MotoServer } from '../../../peers/moto';
import { env, pointItem, resourceRef, step } from './step-context';

describeMoto('EKS handler against moto', () => {
  let moto: MotoServer;
  let aws: AwsContext;
  const source = env('us-east-1');
  const target = env('us-west-2');
  const credentials = { accessKeyId: 'AKIAMOTOTESTING00001', secretAccessKey: 'moto-testing' };
  const eks = (region: string) => new EKSClient({ region, endpoint: moto.url, credentials });
  const ec2 = (region: string) => new EC2Client({ region, endpoint: moto.url, credentials });
  const iam = () => new IAMClient({ region: 'us-east-1', endpoint: moto.url, credentials });

  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  afterEach(async () => {
    aws?.destroy();
    await moto.reset();
  });

  const trust = (service: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });

  async function seed() {
    const roles = iam();
    const clusterRole = (await roles.send(new CreateRoleCommand({ RoleName: 'shop-cluster-role', AssumeRolePolicyDocument: trust('eks.amazonaws.com') }))).Role!;
    const nodeRole = (await roles.send(new CreateRoleCommand({ RoleName: 'shop-node-role', AssumeRolePolicyDocument: trust('ec2.amazonaws.com') }))).Role!;
    const policy = (
      await roles.send(
        new CreatePolicyCommand({
          PolicyName: 'shop-ebs-csi',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ec2:CreateVolume', 'ec2:AttachVolume'], Resource: '*' }] }),
        }),
      )
    ).Policy!;
    await roles.send(new AttachRolePolicyCommand({ RoleName: 'shop-node-role', PolicyArn: policy.Arn }));
    const subnets = (await ec2('us-east-1').send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }))).Subnets!;
    const cluster = (
      await eks('us-east-1').send(
        new CreateClusterCommand({
          name: 'shop',
          version: '1.31',
          roleArn: clusterRole.Arn,
          resourcesVpcConfig: { subnetIds: subnets.slice(0, 2).map((s) => s.SubnetId!), endpointPublicAccess: false, endpointPrivateAccess: true },
          logging: { clusterLogging: [{ types: ['api', 'audit'], enabled: true }] },
          tags: { app: 'shop' },
        }),
      )
    ).cluster!;
    await eks('us-east-1').send(
      new CreateNodegroupCommand({
        clusterName: 'shop',
        nodegroupName: 'apps',
        nodeRole: nodeRole.Arn,
        subnets: subnets.slice(0, 2).map((s) => s.SubnetId!),
        scalingConfig: { minSize: 2, maxSize: 6, desiredSize: 3 },
        instanceTypes: ['m6i.xlarge'],
        labels: { tier: 'apps' },
        taints: [{ key: 'dedicated', value: 'apps', effect: 'NO_SCHEDULE' }],
      }),
    );
    const vol = await ec2('us-east-1').send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 50, VolumeType: 'gp3' }));
    await ec2('us-east-1').send(
      new CreateTagsCommand({ Resources: [vol.VolumeId!], Tags: [{ Key: 'kubernetes.io/cluster/shop', Value: 'owned' }, { Key: 'kubernetes.io/created-for/pvc/name', Value: 'orders-data' }] }),
    );
    // A volume of another cluster is not part of this one's points.
    await ec2('us-east-1').send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 10, VolumeType: 'gp3' }));
    return { cluster, volumeId: vol.VolumeId! };
  }

  it('captures config, node groups, IAM and volume snapshots, tests under a test name, resets, and recreates it all on failover', async () => {
    aws = new AwsContext({ endpoint: moto.url, pollIntervalMs: 10 });
    const handler = createEksHandler(aws);
    const { cluster, volumeId } = await seed();

    const found = await handler.discover({ env: source, signal: new AbortController().signal });
    expect(found).toEqual([expect.objectContaining({ nativeId: cluster.arn, name: 'shop', tags: { app: 'shop' } })]);

    const resource = resourceRef('aws.eks', cluster.arn!, 'shop');
    await handler.replicate(resource, step({ jobId: 'job-rep-1', source, target }));
    const rep2 = step({ jobId: 'job-rep-2', source, target });
    const second = await handler.replicate(resource, rep2);
    const replay = step({ jobId: 'job-rep-2', source, target });
    expect(await handler.replicate(resource, replay)).toEqual(second);
    expect(replay.intents).toEqual([]); // the replayed step found its snapshot and its copy
    expect(second.metadata).toMatchObject({
      kind: 'Cluster',
      settings: {
        version: '1.31',
        roleName: 'shop-cluster-role',
        endpointPrivateAccess: true,
        logging: ['api', 'audit'],
        nodeGroups: [
          { name: 'apps', instanceTypes: ['m6i.xlarge'], scaling: { min: 2, max: 6, desired: 3 }, labels: { tier: 'apps' }, taints: [{ key: 'dedicated', value: 'apps', effect: 'NO_SCHEDULE' }], nodeRoleName: 'shop-node-role' },
        ],
        volumes: [{ sourceVolumeId: volumeId, sizeGb: 50, volumeType: 'gp3' }],
      },
    });
    const meta = second.metadata as { settings: { iam: { roles: { name: string; managedPolicies: { name: string; document: unknown }[] }[] }; volumes: { snapshotId: string }[] } };
    expect(meta.settings.iam.roles.map((r) => r.name).sort()).toEqual(['shop-cluster-role', 'shop-node-role']);
    expect(meta.settings.iam.roles.find((r) => r.name === 'shop-node-role')?.managedPolicies).toEqual([
      expect.objectContaining({ name: 'shop-ebs-csi', document: expect.objectContaining({ Version: '2012-10-17' }) }),
    ]);
    // The point's snapshot was copied into the target region.
    const copied = await ec2('us-west-2').send(new DescribeSnapshotsCommand({ SnapshotIds: [meta.settings.volumes[0]!.snapshotId] }));
    expect(copied.Snapshots?.[0]?.VolumeSize).toBe(50);
    expect(second.dataRefs).toEqual([{ kind: 'VolumeSnapshot', id: meta.settings.volumes[0]!.snapshotId, region: 'us-west-2' }]);

    const item = pointItem(resource, second);
    const created = await handler.testFailover(item, step({ jobId: 'job-test-1', source, target }));
    expect(created.map((c) => c.kind)).toEqual(['KubernetesCluster', 'NodeGroup']);
    const west = eks('us-west-2');
    const testCluster = (await west.send(new DescribeClusterCommand({ name: created[0]!.name }))).cluster!;
    expect(testCluster).toMatchObject({ version: '1.31', tags: expect.objectContaining({ 'dr:test': 'true', app: 'shop' }) });
    expect(created[0]!.name).toMatch(/^drtest-shop-/);

    for (const c of created) await handler.reset(c, step({ jobId: 'job-reset-1', source, target }));
    for (const c of created) await handler.reset(c, step({ jobId: 'job-reset-2', source, target }));
    expect((await west.send(new ListClustersCommand({}))).clusters).toEqual([]);

    const rolesBefore = (await iam().send(new ListRolesCommand({}))).Roles!.length;
    const policiesBefore = (await iam().send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies!.length;
    const foCtx = step({ jobId: 'job-fo-1', source, target });
    const mapping = await handler.failover(item, foCtx);
    // Read back and compared with the point: everything carried.
    expect(foCtx.warnings).toEqual([]);
    // R7: the same-named roles and policy already exist in the (same) account: reused, not duplicated.
    expect((await iam().send(new ListRolesCommand({}))).Roles!.length).toBe(rolesBefore);
    expect((await iam().send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies!.length).toBe(policiesBefore);
    expect(mapping.filter((m) => m.kind === 'IamRole').map((m) => [m.name, m.reused])).toEqual(
      expect.arrayContaining([
        ['shop-cluster-role', true],
        ['shop-node-role', true],
      ]),
    );
    expect(mapping.find((m) => m.kind === 'IamPolicy')).toMatchObject({ name: 'shop-ebs-csi', reused: true });

    const restored = (await west.send(new DescribeClusterCommand({ name: 'shop' }))).cluster!;
    expect(restored).toMatchObject({ version: '1.31', roleArn: expect.stringContaining('role/shop-cluster-role') });
    expect(restored.resourcesVpcConfig).toMatchObject({ endpointPublicAccess: false, endpointPrivateAccess: true });
    expect((await west.send(new ListNodegroupsCommand({ clusterName: 'shop' }))).nodegroups).toEqual(['apps']);
    const ng = (await west.send(new DescribeNodegroupCommand({ clusterName: 'shop', nodegroupName: 'apps' }))).nodegroup!;
    expect(ng).toMatchObject({ instanceTypes: ['m6i.xlarge'], scalingConfig: { minSize: 2, maxSize: 6, desiredSize: 3 }, labels: { tier: 'apps' } });
    const vols = await ec2('us-west-2').send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag-key', Values: ['kubernetes.io/cluster/shop'] }] }));
    expect(vols.Volumes?.map((v) => [v.SnapshotId, v.Size])).toEqual([[meta.settings.volumes[0]!.snapshotId, 50]]);
    expect(mapping.map((m) => m.kind)).toEqual(['KubernetesCluster', 'IamRole', 'IamRole', 'IamPolicy', 'NodeGroup', 'Volume']);
    expect(mapping.find((m) => m.kind === 'Volume')).toMatchObject({ sourceId: volumeId, name: 'orders-data', targetId: vols.Volumes![0]!.VolumeId });

    // A replayed failover step finds the cluster, node group and volume: nothing is created twice.
    const again = step({ jobId: 'job-fo-1', source, target });
    expect(await handler.failover(item, again)).toEqual(mapping);
    expect(again.intents).toEqual([]);
    expect((await ec2('us-west-2').send(new DescribeVolumesCommand({}))).Volumes).toHaveLength(1);
  });

  it('a second policy over the same cluster, failed over into the same target after the first, completes under a name that cannot collide', async () => {
    aws = new AwsContext({ endpoint: moto.url, pollIntervalMs: 10 });
    const handler = createEksHandler(aws);
    const { cluster } = await seed();
    const a = resourceRef('aws.eks', cluster.arn!, 'shop', 'policy-a');
    const b = resourceRef('aws.eks', cluster.arn!, 'shop', 'policy-b');
    const pointA = pointItem(a, await handler.replicate(a, step({ jobId: 'rep-a', policyId: 'policy-a', source, target })));
    const pointB = pointItem(b, await handler.replicate(b, step({ jobId: 'rep-b', policyId: 'policy-b', source, target })));
    await handler.failover(pointA, step({ jobId: 'fo-a', policyId: 'policy-a', source, target }));
    const rolesBefore = (await iam().send(new ListRolesCommand({}))).Roles!.length;
    const second = step({ jobId: 'fo-b', policyId: 'policy-b', source, target });
    const mapping = await handler.failover(pointB, second);
    const names = ((await eks('us-west-2').send(new ListClustersCommand({}))).clusters ?? []).sort();
    expect(names).toHaveLength(2);
    expect(names).toContain('shop');
    const other = names.find((n) => n !== 'shop')!;
    expect(other).toMatch(/^shop-[0-9a-f]{8}$/);
    expect(mapping[0]).toMatchObject({ kind: 'KubernetesCluster', name: other });
    expect(second.warnings).toEqual([expect.stringMatching(new RegExp(`^An EKS cluster named shop already exists in us-west-2 \\(failed over by policy policy-a\\); this failover created ${other} instead\\.$`))]);
    // Its volume belongs to its own cluster; IAM was reused (R7), not duplicated.
    const vols = await ec2('us-west-2').send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag-key', Values: [`kubernetes.io/cluster/${other}`] }] }));
    expect(vols.Volumes).toHaveLength(1);
    expect((await iam().send(new ListRolesCommand({}))).Roles!.length).toBe(rolesBefore);
    // A replay of the second failover adopts its own cluster instead of taking a third name.
    await handler.failover(pointB, step({ jobId: 'fo-b', policyId: 'policy-b', source, target }));
    expect((await eks('us-west-2').send(new ListClustersCommand({}))).clusters).toHaveLength(2);
  });
});
