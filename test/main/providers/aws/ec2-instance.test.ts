// The EC2 handler against moto: discover → replicate twice → test failover → reset → failover, reading
// the AWS state back with the SDK; same-named IAM is reused and a replayed step launches nothing new.

import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  RevokeSecurityGroupEgressCommand,
  CreateSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeTagsCommand,
  EC2Client,
  RunInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  ListInstanceProfilesCommand,
  ListPoliciesCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import { expect, it } from 'vitest';
import { createEc2InstanceHandler, type Ec2Capture } from '../../../../main/providers/aws/ec2-instance';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import { describeMoto } from '../../../peers/moto';
import { useMoto } from './moto-fixture';
import { env, pointItem, resourceRef, step } from './step-context';

describeMoto('EC2 instance handler against moto', () => {
  const moto = useMoto();
  const source = env('us-east-1');
  const target = env('eu-west-1');
  const ec2 = (region: string) => new EC2Client(moto.client(region));
  const iam = () => new IAMClient(moto.client('us-east-1'));

  const fresh = () => createEc2InstanceHandler(moto.context());

  async function seedInstance(name = 'web-01'): Promise<Instance> {
    const client = ec2('us-east-1');
    const images = await client.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const ami = images.Images?.find((i) => i.RootDeviceType === 'ebs')?.ImageId ?? images.Images?.[0]?.ImageId;
    const i = iam();
    await i.send(
      new CreateRoleCommand({
        RoleName: 'web-app-role',
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
      }),
    ).catch(() => undefined);
    const policy = await i
      .send(
        new CreatePolicyCommand({
          PolicyName: 'web-app-read-config',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::config/*' }] }),
        }),
      )
      .catch(() => undefined);
    if (policy?.Policy?.Arn) await i.send(new AttachRolePolicyCommand({ RoleName: 'web-app-role', PolicyArn: policy.Policy.Arn }));
    const profile = await i.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'web-app-profile' })).catch(() => undefined);
    if (profile) await i.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'web-app-profile', RoleName: 'web-app-role' }));
    const sg = await client.send(new CreateSecurityGroupCommand({ GroupName: `${name}-sg`, Description: 'web tier' }));
    await client.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg.GroupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    const run = await client.send(
      new RunInstancesCommand({
        ImageId: ami,
        InstanceType: 'm5.large',
        MinCount: 1,
        MaxCount: 1,
        SecurityGroupIds: [sg.GroupId ?? ''],
        IamInstanceProfile: { Name: 'web-app-profile' },
        UserData: Buffer.from('#!/bin/sh\necho hello').toString('base64'),
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: name }, { Key: 'team', Value: 'payments' }] }],
      }),
    );
    const inst = run.Instances?.[0];
    if (!inst) throw new Error('moto did not run the seed instance');
    return inst;
  }

  async function instancesIn(region: string, filters: { Name: string; Values: string[] }[] = []): Promise<Instance[]> {
    const r = await ec2(region).send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running', 'stopped'] }, ...filters] }));
    return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []);
  }

  it('discovers instances with names, tags and a summary', async () => {
    const h = fresh();
    const inst = await seedInstance();
    const found = await h.discover({ env: source, signal: new AbortController().signal });
    const mine = found.find((f) => f.nativeId === inst.InstanceId);
    expect(mine).toMatchObject({ type: 'aws.ec2-instance', name: 'web-01', region: 'us-east-1', tags: { Name: 'web-01', team: 'payments' } });
    expect(mine?.summary).toContain('m5.large');
    expect(await h.discover({ env: target, signal: new AbortController().signal })).toEqual([]);
  });

  it('replicates twice, test-fails over, resets and fails over from the copied image with the saved settings', async () => {
    const h = fresh();
    const inst = await seedInstance();
    const ref = resourceRef('aws.ec2-instance', inst.InstanceId ?? '', 'web-01');

    // Two replications: two images in the target, none left behind in the source.
    const first = await h.replicate(ref, step({ jobId: 'rep-1', source, target }));
    const second = await h.replicate(ref, step({ jobId: 'rep-2', source, target }));
    const m = second.metadata as unknown as Ec2Capture;
    expect(m.imageId).not.toBe((first.metadata as unknown as Ec2Capture).imageId);
    expect(m).toMatchObject({ instanceType: 'm5.large', name: 'web-01', tags: { Name: 'web-01', team: 'payments' }, iam: { instanceProfile: 'web-app-profile' } });
    expect(m.iam.roles[0]?.name).toBe('web-app-role');
    expect(m.iam.roles[0]?.managedPolicies.map((p) => p.name)).toEqual(['web-app-read-config']);
    expect(m.iam.roles[0]?.managedPolicies[0]?.document).toMatchObject({ Statement: [{ Action: 's3:GetObject' }] });
    expect(m.securityGroups[0]?.ingress[0]).toMatchObject({ FromPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] });
    expect(m.userDataSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(second.dataRefs[0]).toEqual({ kind: 'Image', id: m.imageId, region: 'eu-west-1' });
    const targetImages = await ec2('eu-west-1').send(new DescribeImagesCommand({ Owners: ['self'] }));
    expect(targetImages.Images?.map((i) => i.ImageId).sort()).toEqual([(first.metadata as unknown as Ec2Capture).imageId, m.imageId].sort());
    const sourceImages = await ec2('us-east-1').send(new DescribeImagesCommand({ Owners: ['self'] }));
    expect(sourceImages.Images ?? []).toEqual([]);
    const mark = await ec2('us-east-1').send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [inst.InstanceId ?? ''] }] }));
    expect(mark.Tags?.some((t) => t.Key === 'dr:policy:policy-1')).toBe(true);

    // Test failover: an instance from the copied image under a test name, tagged as a test.
    const item = pointItem(ref, second);
    const testStep = step({ jobId: 'test-1', source, target });
    const created = await h.testFailover(item, testStep);
    expect(created).toHaveLength(1);
    const [test] = await instancesIn('eu-west-1', [{ Name: 'instance-id', Values: [created[0]?.nativeId ?? ''] }]);
    expect(test?.ImageId).toBe(m.imageId);
    expect(test?.Tags).toEqual(expect.arrayContaining([{ Key: 'dr:test', Value: 'true' }, { Key: 'team', Value: 'payments' }]));
    expect(test?.Tags?.find((t) => t.Key === 'Name')?.Value).toMatch(/^drtest-web-01-/);
    expect(testStep.intents[0]).toMatchObject({ action: 'ec2:RunInstances', purpose: 'test' });

    // Reset: terminated; resetting again succeeds.
    await h.reset(created[0]!, step({ jobId: 'reset-1', source, target }));
    await h.reset(created[0]!, step({ jobId: 'reset-2', source, target }));
    expect(await instancesIn('eu-west-1')).toEqual([]);

    // Failover: instance from the point's image with type, tags, profile; IAM reused (same account).
    const rolesBefore = (await iam().send(new ListRolesCommand({}))).Roles?.length;
    const foStep = step({ jobId: 'fo-1', source, target });
    const mapping = await h.failover(item, foStep);
    const [launched] = await instancesIn('eu-west-1');
    expect(launched).toBeDefined();
    expect(launched?.ImageId).toBe(m.imageId);
    expect(launched?.InstanceType).toBe('m5.large');
    expect(launched?.IamInstanceProfile?.Arn).toMatch(/instance-profile\/web-app-profile$/);
    expect(launched?.Tags).toEqual(expect.arrayContaining([{ Key: 'Name', Value: 'web-01' }, { Key: 'team', Value: 'payments' }]));
    const groups = await ec2('eu-west-1').send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['web-01-sg'] }] }));
    expect(groups.SecurityGroups?.[0]?.IpPermissions?.[0]).toMatchObject({ FromPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] });
    expect(launched?.SecurityGroups?.map((g) => g.GroupId)).toContain(groups.SecurityGroups?.[0]?.GroupId);

    expect(mapping[0]).toMatchObject({ kind: 'Instance', sourceId: inst.InstanceId, targetId: launched?.InstanceId });
    expect(mapping).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'IamRole', name: 'web-app-role', reused: true }),
        expect.objectContaining({ kind: 'IamPolicy', name: 'web-app-read-config', reused: true }),
        expect.objectContaining({ kind: 'InstanceProfile', name: 'web-app-profile', reused: true }),
        expect.objectContaining({ kind: 'SecurityGroup', name: 'web-01-sg' }),
        expect.objectContaining({ kind: 'Volume' }),
        expect.objectContaining({ kind: 'NetworkInterface' }),
      ]),
    );
    // Read back and compared with the point: everything carried, nothing to warn about.
    expect(foStep.warnings).toEqual([]);
    expect((await iam().send(new ListRolesCommand({}))).Roles?.length).toBe(rolesBefore);
    expect((await iam().send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies?.filter((p) => p.PolicyName === 'web-app-read-config')).toHaveLength(1);
    expect((await iam().send(new ListInstanceProfilesCommand({}))).InstanceProfiles?.filter((p) => p.InstanceProfileName === 'web-app-profile')).toHaveLength(1);

    // stopReplication removes the policy's mark and keeps the recovery images.
    await h.stopReplication(ref, step({ jobId: 'stop-1', source, target }));
    const after = await ec2('us-east-1').send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [inst.InstanceId ?? ''] }] }));
    expect(after.Tags?.some((t) => t.Key === 'dr:policy:policy-1')).toBe(false);
    expect((await ec2('eu-west-1').send(new DescribeImagesCommand({ Owners: ['self'] }))).Images).toHaveLength(2);
  });

  it('a failover step killed between RunInstances and its outcome resumes by adopting the launched instance', async () => {
    const h = fresh();
    const inst = await seedInstance();
    const ref = resourceRef('aws.ec2-instance', inst.InstanceId ?? '', 'web-01');
    const item = pointItem(ref, await h.replicate(ref, step({ jobId: 'rep-1', source, target })));
    // First attempt: RunInstances goes through, the process dies before its outcome is committed.
    const crashed = step({ jobId: 'fo-9', stepId: 's-1', source, target, crashAfter: (op) => op === 'run-instances:failover' });
    await expect(h.failover(item, crashed)).rejects.toThrow(/crashed after run-instances:failover/);
    expect(await instancesIn('eu-west-1')).toHaveLength(1);
    // Second attempt on the same journal: the intent has no outcome, resume finds the instance by its step tag.
    const resumed = step({ jobId: 'fo-9', stepId: 's-1', source, target, journal: crashed.journal });
    const b = await fresh().failover(item, resumed);
    const [only] = await instancesIn('eu-west-1');
    expect(b[0]?.targetId).toBe(only?.InstanceId);
    expect(await instancesIn('eu-west-1')).toHaveLength(1);
    // A third attempt after success returns the journaled outcome: still one instance.
    await fresh().failover(item, step({ jobId: 'fo-9', stepId: 's-1', source, target, journal: crashed.journal }));
    expect(await instancesIn('eu-west-1')).toHaveLength(1);
    // The test failover step, too.
    const t0 = step({ jobId: 'tf-9', stepId: 's-1', source, target, crashAfter: (op) => op === 'run-instances:test' });
    await expect(h.testFailover(item, t0)).rejects.toThrow(/crashed/);
    const t1 = await h.testFailover(item, step({ jobId: 'tf-9', stepId: 's-1', source, target, journal: t0.journal }));
    const t2 = await h.testFailover(item, step({ jobId: 'tf-9', stepId: 's-1', source, target, journal: t0.journal }));
    expect(t2).toEqual(t1);
    expect(await instancesIn('eu-west-1')).toHaveLength(2);
  });

  it('an instance captured with three volumes launches with its root volume only on moto, and the plan and the step say which two were not carried', async () => {
    const h = fresh();
    const client = ec2('us-east-1');
    const images = await client.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const ami = images.Images?.find((i) => i.RootDeviceType === 'ebs') ?? images.Images?.[0];
    const run = await client.send(
      new RunInstancesCommand({
        ImageId: ami?.ImageId,
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        BlockDeviceMappings: [
          { DeviceName: ami?.RootDeviceName ?? '/dev/sda1', Ebs: { VolumeSize: 8, VolumeType: 'gp3' } },
          { DeviceName: '/dev/sdb', Ebs: { VolumeSize: 20, VolumeType: 'gp3' } },
          { DeviceName: '/dev/sdc', Ebs: { VolumeSize: 50, VolumeType: 'gp3' } },
        ],
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'data-01' }] }],
      }),
    );
    const inst = run.Instances![0]!;
    const ref = resourceRef('aws.ec2-instance', inst.InstanceId ?? '', 'data-01');
    const captured = await h.replicate(ref, step({ jobId: 'rep-1', source, target }));
    const m = captured.metadata as unknown as Ec2Capture;
    expect(m.blockDeviceMappings.map((b) => b.deviceName)).toEqual(expect.arrayContaining(['/dev/sdb', '/dev/sdc']));
    expect(m.blockDeviceMappings).toHaveLength(3);
    // moto's CreateImage keeps one root snapshot (PEERS.md): the image in the target carries one device.
    expect(m.imageDevices).toHaveLength(1);
    const item = pointItem(ref, captured);

    // Known before anything runs: the failover confirmation names the two volumes.
    const foreseen = h.foresee?.(item) ?? [];
    expect(foreseen).toEqual([expect.stringMatching(/data-01: the recovery point's image has no snapshot of volumes \/dev\/sdb \(20 GiB gp3\), \/dev\/sdc \(50 GiB gp3\)/)]);

    // Failover launches it, reads it back, and the step says what was not carried (it does not fail: the
    // product document promises the instance, its IAM and its settings, not volumes the image lacks).
    const fo = step({ jobId: 'fo-1', source, target });
    const mapping = await h.failover(item, fo);
    const [launched] = await instancesIn('eu-west-1');
    expect(launched?.BlockDeviceMappings).toHaveLength(1);
    expect(mapping.filter((e) => e.kind === 'Volume')).toHaveLength(1);
    expect(fo.warnings).toEqual([expect.stringMatching(/^EC2 instance data-01 was launched with 1 of its 3 volumes: \/dev\/sdb \(20 GiB gp3\), \/dev\/sdc \(50 GiB gp3\) were not carried/)]);

    // The test failover compares the same way.
    const tf = step({ jobId: 'tf-1', source, target });
    await h.testFailover(item, tf);
    expect(tf.warnings).toEqual([expect.stringMatching(/launched with 1 of its 3 volumes/)]);
  });

  it('a rule allowing a port from another security group is recreated with that group in the target, outbound rules too', async () => {
    const h = fresh();
    const client = ec2('us-east-1');
    const app = await client.send(new CreateSecurityGroupCommand({ GroupName: 'app-tier', Description: 'app servers' }));
    await client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: app.GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] }));
    const db = await client.send(new CreateSecurityGroupCommand({ GroupName: 'db-tier', Description: 'databases' }));
    await client.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: db.GroupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: app.GroupId }] },
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '192.168.0.0/16' }] },
        ],
      }),
    );
    // app-tier may only talk to db-tier on 5432 (AWS's default allow-all outbound revoked); db-tier keeps the default.
    await client.send(new RevokeSecurityGroupEgressCommand({ GroupId: app.GroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
    await client.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: app.GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: db.GroupId }] }] }));
    const images = await client.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const run = await client.send(
      new RunInstancesCommand({
        ImageId: images.Images?.[0]?.ImageId,
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        SecurityGroupIds: [db.GroupId!],
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'pg-01' }] }],
      }),
    );
    const ref = resourceRef('aws.ec2-instance', run.Instances![0]!.InstanceId!, 'pg-01');
    const captured = await h.replicate(ref, step({ jobId: 'rep-1', source, target }));
    expect((captured.metadata as unknown as Ec2Capture).referencedGroups?.map((g) => g.name)).toEqual(['app-tier']);
    const item = pointItem(ref, captured);
    expect(h.foresee?.(item)).toEqual([]);

    const fo = step({ jobId: 'fo-1', source, target });
    const mapping = await h.failover(item, fo);
    const west = ec2('eu-west-1');
    const groups = (await west.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['app-tier', 'db-tier'] }] }))).SecurityGroups ?? [];
    const targetApp = groups.find((g) => g.GroupName === 'app-tier');
    const targetDb = groups.find((g) => g.GroupName === 'db-tier');
    expect(targetApp?.IpPermissions).toEqual([expect.objectContaining({ FromPort: 443, IpRanges: [expect.objectContaining({ CidrIp: '10.0.0.0/8' })] })]);
    const fromApp = targetDb?.IpPermissions?.find((p) => p.FromPort === 5432);
    expect(fromApp?.UserIdGroupPairs?.map((p) => p.GroupId)).toEqual([targetApp?.GroupId]);
    expect(targetDb?.IpPermissions?.find((p) => p.FromPort === 22)?.IpRanges?.[0]?.CidrIp).toBe('192.168.0.0/16');
    // Outbound: app-tier has exactly its one rule, to the target's db-tier; db-tier keeps allow-all.
    expect(targetApp?.IpPermissionsEgress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [expect.objectContaining({ GroupId: targetDb?.GroupId })] })]);
    expect(targetApp?.IpPermissionsEgress?.[0]?.IpRanges ?? []).toEqual([]);
    expect(targetDb?.IpPermissionsEgress).toEqual([expect.objectContaining({ IpProtocol: '-1', IpRanges: [expect.objectContaining({ CidrIp: '0.0.0.0/0' })] })]);
    expect(mapping.filter((e) => e.kind === 'SecurityGroup').map((e) => [e.name, e.sourceId])).toEqual(
      expect.arrayContaining([
        ['db-tier', db.GroupId],
        ['app-tier', app.GroupId],
      ]),
    );
    const [launched] = await instancesIn('eu-west-1');
    expect(launched?.SecurityGroups?.map((g) => g.GroupName)).toEqual(['db-tier']);
    expect(fo.warnings).toEqual([]);
  });

  it('a second policy over the same instance fails over into the same target after the first one and completes', async () => {
    const h = fresh();
    const inst = await seedInstance();
    const ref = resourceRef('aws.ec2-instance', inst.InstanceId ?? '', 'web-01');
    const first = pointItem(ref, await h.replicate(ref, step({ jobId: 'rep-a', policyId: 'policy-a', source, target })));
    const second = pointItem({ ...ref, policyId: 'policy-b' }, await h.replicate({ ...ref, policyId: 'policy-b' }, step({ jobId: 'rep-b', policyId: 'policy-b', source, target })));
    const a = step({ jobId: 'fo-a', policyId: 'policy-a', source, target });
    await h.failover(first, a);
    const b = step({ jobId: 'fo-b', policyId: 'policy-b', source, target });
    const mapping = await h.failover(second, b);
    // Both instances run; the second reused the first one's groups and IAM (same names), and says nothing is missing.
    expect(await instancesIn('eu-west-1')).toHaveLength(2);
    expect(mapping.find((e) => e.kind === 'SecurityGroup')).toMatchObject({ name: 'web-01-sg', reused: true });
    expect(mapping.find((e) => e.kind === 'InstanceProfile')).toMatchObject({ reused: true });
    expect(b.warnings).toEqual([]);
    expect((await ec2('eu-west-1').send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['web-01-sg'] }] }))).SecurityGroups).toHaveLength(1);
  });

  it('a deleted source instance fails replication with NotFound, changing nothing', async () => {
    const h = fresh();
    await expect(h.replicate(resourceRef('aws.ec2-instance', 'i-0123456789abcdef0', 'gone'), step({ jobId: 'rep-x', source, target }))).rejects.toSatisfy(
      (e) => e instanceof ProviderFailure && e.code === 'NotFound' && /no longer exists/.test(e.message),
    );
    expect((await ec2('eu-west-1').send(new DescribeImagesCommand({ Owners: ['self'] }))).Images ?? []).toEqual([]);
  });
});
