// The EC2 handler against moto: discover → replicate twice → test failover → reset → failover, reading
// the AWS state back with the SDK; same-named IAM is reused and a replayed step launches nothing new.

import {
  AuthorizeSecurityGroupIngressCommand,
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
    expect(testStep.intents[0]).toMatchObject({ op: 'ec2:RunInstances' });

    // Reset: terminated; resetting again succeeds.
    await h.reset(created[0]!, testStep);
    await h.reset(created[0]!, testStep);
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
    expect((await iam().send(new ListRolesCommand({}))).Roles?.length).toBe(rolesBefore);
    expect((await iam().send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies?.filter((p) => p.PolicyName === 'web-app-read-config')).toHaveLength(1);
    expect((await iam().send(new ListInstanceProfilesCommand({}))).InstanceProfiles?.filter((p) => p.InstanceProfileName === 'web-app-profile')).toHaveLength(1);

    // stopReplication removes the policy's mark and keeps the recovery images.
    await h.stopReplication(ref, step({ jobId: 'stop-1', source, target }));
    const after = await ec2('us-east-1').send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [inst.InstanceId ?? ''] }] }));
    expect(after.Tags?.some((t) => t.Key === 'dr:policy:policy-1')).toBe(false);
    expect((await ec2('eu-west-1').send(new DescribeImagesCommand({ Owners: ['self'] }))).Images).toHaveLength(2);
  });

  it('a replayed failover step (same idempotency key) launches no second instance', async () => {
    const h = fresh();
    const inst = await seedInstance();
    const ref = resourceRef('aws.ec2-instance', inst.InstanceId ?? '', 'web-01');
    const item = pointItem(ref, await h.replicate(ref, step({ jobId: 'rep-1', source, target })));
    const a = await h.failover(item, step({ jobId: 'fo-9', stepId: 's-1', source, target }));
    // A second engine attempt of the same step, as after a crash between the call and its result.
    const b = await fresh().failover(item, step({ jobId: 'fo-9', stepId: 's-1', source, target }));
    expect(b[0]?.targetId).toBe(a[0]?.targetId);
    expect(await instancesIn('eu-west-1')).toHaveLength(1);
    // Replaying the test failover step, too.
    const t1 = await h.testFailover(item, step({ jobId: 'tf-9', stepId: 's-1', source, target }));
    const t2 = await h.testFailover(item, step({ jobId: 'tf-9', stepId: 's-1', source, target }));
    expect(t2).toEqual(t1);
    expect(await instancesIn('eu-west-1')).toHaveLength(2);
  });

  it('a deleted source instance fails replication with NotFound, changing nothing', async () => {
    const h = fresh();
    await expect(h.replicate(resourceRef('aws.ec2-instance', 'i-0123456789abcdef0', 'gone'), step({ jobId: 'rep-x', source, target }))).rejects.toSatisfy(
      (e) => e instanceof ProviderFailure && e.code === 'NotFound' && /no longer exists/.test(e.message),
    );
    expect((await ec2('eu-west-1').send(new DescribeImagesCommand({ Owners: ['self'] }))).Images ?? []).toEqual([]);
  });
});
