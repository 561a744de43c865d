// Amazon EC2 instances: a point is an AMI of the instance copied to the target region; failover runs
// the instance from it with the saved settings and recreates IAM (same-named reused, R7) and groups.

import { createHash } from 'node:crypto';
import {
  AuthorizeSecurityGroupIngressCommand,
  CopyImageCommand,
  CreateImageCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Image,
  type Instance,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand } from '@aws-sdk/client-iam';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type {
  CapturedItem,
  CreatedResource,
  DiscoverContext,
  EnvRef,
  ProtectedResourceRef,
  RecoveryPointItemRef,
  ResourceHandler,
  ResourceMappingEntry,
  StepContext,
} from '../types';
import type { AwsContext } from './clients';
import { captureRole, ensureInstanceProfile, iamScope, restoreRole, type CapturedRole } from './iam';
import { DR_TAG, clientToken, drTags, stepFilter, stepToken, tagList, tagRecord, testName, type AwsTag } from './naming';

export interface Ec2SecurityGroup {
  id: string;
  name: string;
  description: string;
  ingress: IpPermission[];
}

export interface Ec2Capture {
  instanceId: string;
  name: string;
  instanceType: string;
  sourceImageId: string | null;
  platform: string | null;
  availabilityZone: string | null;
  vpcId: string | null;
  subnetId: string | null;
  keyName: string | null;
  monitoring: boolean;
  ebsOptimized: boolean;
  tags: Record<string, string>;
  securityGroups: Ec2SecurityGroup[];
  blockDeviceMappings: { deviceName: string; volumeId: string; sizeGb: number | null; volumeType: string | null; deleteOnTermination: boolean }[];
  iam: { instanceProfile: string | null; instanceProfilePath: string | null; roles: CapturedRole[] };
  userDataSha256: string | null;
  metadataOptions: { httpTokens: string | null };
  /** Recovery data in the target region. */
  imageId: string;
  snapshotIds: string[];
}

const ACTION = (op: string) => `ec2:${op}`;

function nameOf(i: Instance): string {
  return i.Tags?.find((t) => t.Key === 'Name')?.Value ?? i.InstanceId ?? '';
}

function live(i: Instance): boolean {
  const s = i.State?.Name;
  return s !== 'terminated' && s !== 'shutting-down';
}

async function describeInstances(aws: AwsContext, env: EnvRef, input: ConstructorParameters<typeof DescribeInstancesCommand>[0]): Promise<Instance[]> {
  const ec2 = aws.ec2(env);
  const out: Instance[] = [];
  let token: string | undefined;
  do {
    const page = await aws.call(env, ACTION('DescribeInstances'), () => ec2.send(new DescribeInstancesCommand({ ...input, ...(token ? { NextToken: token } : {}) })));
    for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

/** Instances this step already launched (found by the step tag: moto and expired tokens do not dedupe). */
export async function instancesOfStep(aws: AwsContext, env: EnvRef, ctx: Pick<StepContext, 'idempotencyKey'>, purpose: string): Promise<Instance[]> {
  const found = await describeInstances(aws, env, { Filters: [stepFilter(ctx, purpose)] });
  return found.filter(live);
}

async function imageByName(aws: AwsContext, env: EnvRef, name: string): Promise<Image | undefined> {
  const r = await aws.call(env, ACTION('DescribeImages'), () =>
    aws.ec2(env).send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] })),
  );
  return (r.Images ?? []).find((i) => i.State !== 'deregistered' && i.State !== 'failed');
}

async function waitImage(aws: AwsContext, env: EnvRef, imageId: string, signal: AbortSignal): Promise<Image> {
  return aws.waitFor(`image ${imageId} in ${env.region}`, signal, async () => {
    const r = await aws.call(env, ACTION('DescribeImages'), () => aws.ec2(env).send(new DescribeImagesCommand({ ImageIds: [imageId] })));
    const img = r.Images?.[0];
    if (img?.State === 'failed' || img?.State === 'invalid' || img?.State === 'error') {
      throw new ProviderFailure('ProviderError', `AWS could not build image ${imageId} in ${env.region} (${img.StateReason?.Message ?? img.State}).`);
    }
    return img?.State === 'available' ? img : undefined;
  });
}

function imageSnapshots(img: Image): string[] {
  return (img.BlockDeviceMappings ?? []).map((b) => b.Ebs?.SnapshotId).filter((s): s is string => !!s);
}

async function loadInstance(aws: AwsContext, env: EnvRef, id: string, what: string): Promise<Instance> {
  const found = await aws
    .find(env, ACTION('DescribeInstances'), () => aws.ec2(env).send(new DescribeInstancesCommand({ InstanceIds: [id] })))
    .then((r) => r?.Reservations?.[0]?.Instances?.[0]);
  if (!found || !live(found)) {
    throw new ProviderFailure('NotFound', `EC2 instance ${id} no longer exists in ${env.region}; ${what}`);
  }
  return found;
}

async function captureInstance(aws: AwsContext, env: EnvRef, inst: Instance): Promise<Omit<Ec2Capture, 'imageId' | 'snapshotIds'>> {
  const ec2 = aws.ec2(env);
  const id = inst.InstanceId ?? '';
  const groupIds = (inst.SecurityGroups ?? []).map((g) => g.GroupId).filter((g): g is string => !!g);
  const groups = groupIds.length
    ? ((await aws.call(env, ACTION('DescribeSecurityGroups'), () => ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: groupIds })))).SecurityGroups ?? [])
    : [];
  const volumeIds = (inst.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId).filter((v): v is string => !!v);
  const volumes = volumeIds.length
    ? ((await aws.call(env, ACTION('DescribeVolumes'), () => ec2.send(new DescribeVolumesCommand({ VolumeIds: volumeIds })))).Volumes ?? [])
    : [];
  const userData = await aws.find(env, ACTION('DescribeInstanceAttribute'), () =>
    ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' })),
  );
  const ud = userData?.UserData?.Value;
  let instanceProfile: string | null = null;
  let instanceProfilePath: string | null = null;
  const roles: CapturedRole[] = [];
  const profileArn = inst.IamInstanceProfile?.Arn;
  if (profileArn) {
    const m = /:instance-profile(\/.*\/|\/)([^/]+)$/.exec(profileArn);
    instanceProfile = m?.[2] ?? null;
    instanceProfilePath = m?.[1] ?? '/';
    if (instanceProfile) {
      const iam = iamScope(aws, env);
      const profile = await iam.find('iam:GetInstanceProfile', () => iam.client.send(new GetInstanceProfileCommand({ InstanceProfileName: instanceProfile ?? '' })));
      for (const r of profile?.InstanceProfile?.Roles ?? []) {
        if (!r.RoleName) continue;
        const captured = await captureRole(iam, r.RoleName);
        if (captured) roles.push(captured);
      }
    }
  }
  return {
    instanceId: id,
    name: nameOf(inst),
    instanceType: inst.InstanceType ?? 't3.micro',
    sourceImageId: inst.ImageId ?? null,
    platform: inst.PlatformDetails ?? inst.Platform ?? null,
    availabilityZone: inst.Placement?.AvailabilityZone ?? null,
    vpcId: inst.VpcId ?? null,
    subnetId: inst.SubnetId ?? null,
    keyName: inst.KeyName ?? null,
    monitoring: inst.Monitoring?.State === 'enabled',
    ebsOptimized: inst.EbsOptimized ?? false,
    tags: Object.fromEntries(Object.entries(tagRecord(inst.Tags)).filter(([k]) => !k.startsWith('dr:') && !k.startsWith('aws:'))),
    securityGroups: groups.map((g) => ({ id: g.GroupId ?? '', name: g.GroupName ?? '', description: g.Description ?? '', ingress: g.IpPermissions ?? [] })),
    blockDeviceMappings: (inst.BlockDeviceMappings ?? []).map((b) => {
      const v = volumes.find((x) => x.VolumeId === b.Ebs?.VolumeId);
      return {
        deviceName: b.DeviceName ?? '',
        volumeId: b.Ebs?.VolumeId ?? '',
        sizeGb: v?.Size ?? null,
        volumeType: v?.VolumeType ?? null,
        deleteOnTermination: b.Ebs?.DeleteOnTermination ?? true,
      };
    }),
    iam: { instanceProfile, instanceProfilePath, roles },
    userDataSha256: ud ? createHash('sha256').update(ud).digest('hex') : null,
    metadataOptions: { httpTokens: inst.MetadataOptions?.HttpTokens ?? null },
  };
}

function readCapture(item: RecoveryPointItemRef): Ec2Capture {
  const m = item.metadata as Partial<Ec2Capture>;
  const imageId = m.imageId ?? item.dataRefs.find((d) => d.kind === 'Image')?.id;
  if (!imageId || !m.instanceType) {
    throw new ProviderFailure('PreconditionFailed', `The recovery point of EC2 instance ${item.resource.name} holds no image; choose a later recovery point.`);
  }
  return { ...(m as Ec2Capture), imageId };
}

async function requireImage(aws: AwsContext, env: EnvRef, cap: Ec2Capture, label: string): Promise<void> {
  const r = await aws.find(env, ACTION('DescribeImages'), () => aws.ec2(env).send(new DescribeImagesCommand({ ImageIds: [cap.imageId] })));
  const img = r?.Images?.[0];
  if (!img || img.State === 'deregistered') {
    throw new ProviderFailure(
      'PreconditionFailed',
      `Image ${cap.imageId} of the recovery point of ${label} is gone from ${env.region}; choose another recovery point.`,
    );
  }
}

/** Launch (or find, when this step already launched it) one instance tagged for the step. */
async function launchOnce(
  aws: AwsContext,
  ctx: StepContext,
  purpose: string,
  input: Omit<ConstructorParameters<typeof RunInstancesCommand>[0], 'MinCount' | 'MaxCount' | 'ClientToken' | 'TagSpecifications'>,
  tags: AwsTag[],
): Promise<{ instance: Instance; reused: boolean }> {
  const env = ctx.target;
  const existing = await instancesOfStep(aws, env, ctx, purpose);
  if (existing[0]) return { instance: existing[0], reused: true };
  const token = clientToken(ctx, purpose);
  ctx.recordIntent({ op: 'ec2:RunInstances', purpose, clientToken: token, stepTag: stepToken(ctx, purpose), region: env.region });
  const ec2 = aws.ec2(env);
  let attempts = 0;
  for (;;) {
    try {
      const r = await aws.call(env, ACTION('RunInstances'), () =>
        ec2.send(
          new RunInstancesCommand({
            ...input,
            MinCount: 1,
            MaxCount: 1,
            ClientToken: token,
            TagSpecifications: [
              { ResourceType: 'instance', Tags: tags },
              { ResourceType: 'volume', Tags: tags },
            ],
          }),
          { abortSignal: ctx.signal },
        ),
      );
      const inst = r.Instances?.[0];
      if (!inst?.InstanceId) throw new ProviderFailure('ProviderError', 'AWS accepted RunInstances but returned no instance.');
      return { instance: inst, reused: false };
    } catch (err) {
      // A new instance profile takes a few seconds to become visible to EC2 (IAM is eventually consistent).
      const msg = err instanceof Error ? err.message : '';
      if (attempts++ < 5 && input.IamInstanceProfile && /instance profile/i.test(msg)) {
        await new Promise((r) => setTimeout(r, aws.pollIntervalMs * 40));
        continue;
      }
      throw err;
    }
  }
}

async function waitRunning(aws: AwsContext, env: EnvRef, id: string, signal: AbortSignal): Promise<Instance> {
  return aws.waitFor(`instance ${id} to run in ${env.region}`, signal, async () => {
    const r = await aws.find(env, ACTION('DescribeInstances'), () => aws.ec2(env).send(new DescribeInstancesCommand({ InstanceIds: [id] })));
    const inst = r?.Reservations?.[0]?.Instances?.[0];
    if (inst && !live(inst)) throw new ProviderFailure('ProviderError', `Instance ${id} stopped while starting (${inst.StateReason?.Message ?? inst.State?.Name}).`);
    return inst?.State?.Name === 'running' ? inst : undefined;
  });
}

async function defaultVpc(aws: AwsContext, env: EnvRef): Promise<string | undefined> {
  const r = await aws.call(env, ACTION('DescribeVpcs'), () =>
    aws.ec2(env).send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] })),
  );
  return r.Vpcs?.[0]?.VpcId;
}

/** Same-named security group in the target's default VPC, reused when it exists; rules added when missing. */
async function ensureSecurityGroup(aws: AwsContext, env: EnvRef, vpcId: string | undefined, g: Ec2SecurityGroup, tags: AwsTag[]): Promise<{ id: string; reused: boolean }> {
  const ec2 = aws.ec2(env);
  const filters = [{ Name: 'group-name', Values: [g.name] }, ...(vpcId ? [{ Name: 'vpc-id', Values: [vpcId] }] : [])];
  const found = (await aws.call(env, ACTION('DescribeSecurityGroups'), () => ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters })))).SecurityGroups?.[0];
  if (found?.GroupId) return { id: found.GroupId, reused: true };
  const created = await aws.call(env, ACTION('CreateSecurityGroup'), () =>
    ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: g.name,
        Description: g.description || `Failover copy of ${g.name}`,
        ...(vpcId ? { VpcId: vpcId } : {}),
        TagSpecifications: [{ ResourceType: 'security-group', Tags: tags }],
      }),
    ),
  );
  const id = created.GroupId ?? '';
  // Rules referencing other groups of the source region cannot be copied across regions; CIDR rules can.
  const rules = g.ingress
    .map((p) => ({ ...p, UserIdGroupPairs: [], PrefixListIds: [] }))
    .filter((p) => (p.IpRanges?.length ?? 0) + (p.Ipv6Ranges?.length ?? 0) > 0);
  if (rules.length) {
    try {
      await aws.call(env, ACTION('AuthorizeSecurityGroupIngress'), () => ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: rules })));
    } catch (err) {
      if (!(err instanceof ProviderFailure && /Duplicate/i.test(String((err.cause as { name?: string })?.name)))) throw err;
    }
  }
  return { id, reused: false };
}

async function keyExists(aws: AwsContext, env: EnvRef, keyName: string | null): Promise<boolean> {
  if (!keyName) return false;
  const r = await aws.find(env, ACTION('DescribeKeyPairs'), () => aws.ec2(env).send(new DescribeKeyPairsCommand({ KeyNames: [keyName] })));
  return (r?.KeyPairs?.length ?? 0) > 0;
}

function volumesOf(inst: Instance): string[] {
  return (inst.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId).filter((v): v is string => !!v);
}

export async function discoverEc2(aws: AwsContext, ctx: DiscoverContext): Promise<DiscoveredResource[]> {
  const instances = (await describeInstances(aws, ctx.env, {})).filter(live);
  return instances
    .filter((i) => !i.Tags?.some((t) => t.Key === DR_TAG.test))
    .map((i) => {
      const vols = i.BlockDeviceMappings?.length ?? 0;
      return {
        type: 'aws.ec2-instance' as const,
        nativeId: i.InstanceId ?? '',
        name: nameOf(i).slice(0, 256),
        region: ctx.env.region,
        tags: tagRecord(i.Tags),
        summary: `${i.InstanceType ?? 'unknown type'}, ${vols} EBS volume${vols === 1 ? '' : 's'}, ${i.State?.Name ?? 'unknown'}${i.IamInstanceProfile ? ', instance profile' : ''}`.slice(0, 256),
      };
    });
}

export function createEc2InstanceHandler(aws: AwsContext): ResourceHandler {
  return {
    type: 'aws.ec2-instance',
    usesLatestPoint: true,

    discover: (ctx) => discoverEc2(aws, ctx),

    async replicate(resource: ProtectedResourceRef, ctx: StepContext): Promise<CapturedItem> {
      const src = ctx.source;
      const inst = await loadInstance(aws, src, resource.nativeId, 'remove it from the policy or restore it.');
      const captured = await captureInstance(aws, src, inst);
      const ec2 = aws.ec2(src);
      const imageName = `dr-${(captured.name || resource.nativeId).replace(/[^\w()./-]+/g, '-').slice(0, 60)}-${stepToken(ctx, 'image').slice(0, 16)}`;
      const pointTags = [...drTags(ctx, { purpose: 'image', sourceId: resource.nativeId })];

      // The copy in the target first: when an earlier attempt got that far, the source image is not needed.
      let target = await imageByName(aws, ctx.target, imageName);
      if (!target) {
        let source = await imageByName(aws, src, imageName);
        if (!source) {
          ctx.recordIntent({ op: 'ec2:CreateImage', imageName, region: src.region });
          ctx.progress(`Creating an image of ${captured.name || resource.nativeId}`);
          const made = await aws.call(src, ACTION('CreateImage'), () =>
            ec2.send(
              new CreateImageCommand({
                InstanceId: resource.nativeId,
                Name: imageName,
                Description: `Failover Console recovery point of ${resource.nativeId}`,
                NoReboot: true,
                // Snapshots are tagged with the copy below (moto rejects snapshot tag specifications here).
                TagSpecifications: [{ ResourceType: 'image', Tags: pointTags }],
              }),
              { abortSignal: ctx.signal },
            ),
          );
          source = { ImageId: made.ImageId ?? '' };
        }
        const sourceImage = await waitImage(aws, src, source.ImageId ?? '', ctx.signal);
        const token = clientToken(ctx, 'copy');
        ctx.recordIntent({ op: 'ec2:CopyImage', imageName, sourceImageId: sourceImage.ImageId, clientToken: token, region: ctx.target.region });
        ctx.progress(`Copying image ${sourceImage.ImageId} to ${ctx.target.region}`);
        const copied = await aws.call(ctx.target, ACTION('CopyImage'), () =>
          aws.ec2(ctx.target).send(
            new CopyImageCommand({ Name: imageName, SourceImageId: sourceImage.ImageId, SourceRegion: src.region, ClientToken: token, Description: `Failover Console recovery point of ${resource.nativeId}` }),
            { abortSignal: ctx.signal },
          ),
        );
        target = { ImageId: copied.ImageId ?? '' };
      }
      const targetImage = await waitImage(aws, ctx.target, target.ImageId ?? '', ctx.signal);
      const snapshotIds = imageSnapshots(targetImage);
      await aws.call(ctx.target, ACTION('CreateTags'), () =>
        aws.ec2(ctx.target).send(new CreateTagsCommand({ Resources: [targetImage.ImageId ?? '', ...snapshotIds], Tags: pointTags })),
      );
      // The source-region image only fed the copy; keeping it would add one image per point to the source.
      const leftover = await imageByName(aws, src, imageName);
      if (leftover?.ImageId) {
        await aws.find(src, ACTION('DeregisterImage'), () => ec2.send(new DeregisterImageCommand({ ImageId: leftover.ImageId })));
        for (const snap of imageSnapshots(leftover)) {
          await aws.find(src, ACTION('DeleteSnapshot'), () => ec2.send(new DeleteSnapshotCommand({ SnapshotId: snap })));
        }
      }
      // The policy's mark on the source: what stopReplication removes.
      await aws.call(src, ACTION('CreateTags'), () =>
        ec2.send(new CreateTagsCommand({ Resources: [resource.nativeId], Tags: [{ Key: `${DR_TAG.policy}:${ctx.policyId}`.slice(0, 128), Value: ctx.target.region }] })),
      );
      const metadata: Ec2Capture = { ...captured, imageId: targetImage.ImageId ?? '', snapshotIds };
      return {
        metadata: { ...metadata },
        dataRefs: [
          { kind: 'Image', id: metadata.imageId, region: ctx.target.region },
          ...snapshotIds.map((id) => ({ kind: 'Snapshot', id, region: ctx.target.region })),
        ],
      };
    },

    async testFailover(item, ctx): Promise<CreatedResource[]> {
      const cap = readCapture(item);
      await requireImage(aws, ctx.target, cap, item.resource.name);
      const name = testName(cap.name || item.resource.name, ctx, 128);
      const tags: AwsTag[] = [...tagList(cap.tags).filter((t) => t.Key !== 'Name'), { Key: 'Name', Value: name }, ...drTags(ctx, { test: true, purpose: 'test', sourceId: cap.instanceId })];
      const { instance } = await launchOnce(aws, ctx, 'test', { ImageId: cap.imageId, InstanceType: cap.instanceType as never }, tags);
      const id = instance.InstanceId ?? '';
      return [{ kind: 'Instance', nativeId: id, name, region: ctx.target.region, sourceId: cap.instanceId }];
    },

    async reset(created, ctx): Promise<void> {
      if (created.kind !== 'Instance') return;
      const env = { ...ctx.target, region: created.region || ctx.target.region };
      await aws.find(env, ACTION('TerminateInstances'), () => aws.ec2(env).send(new TerminateInstancesCommand({ InstanceIds: [created.nativeId] }), { abortSignal: ctx.signal }));
    },

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      const cap = readCapture(item);
      const env = ctx.target;
      await requireImage(aws, env, cap, item.resource.name);
      const entries: ResourceMappingEntry[] = [];
      const marks = drTags(ctx, { purpose: 'failover', sourceId: cap.instanceId });

      // IAM first (R7: same-named role, policies and instance profile are reused).
      let profileName: string | undefined;
      if (cap.iam.instanceProfile) {
        const iam = iamScope(aws, env);
        let roleName: string | undefined;
        for (const role of cap.iam.roles) {
          const restored = await restoreRole(iam, role, cap.instanceId, marks);
          roleName ??= restored.role.name;
          entries.push(...restored.entries);
        }
        const profile = await ensureInstanceProfile(iam, {
          name: cap.iam.instanceProfile,
          ...(roleName ? { roleName } : {}),
          ...(cap.iam.instanceProfilePath ? { path: cap.iam.instanceProfilePath } : {}),
        });
        profileName = profile.name;
        entries.push({ sourceId: cap.instanceId, kind: 'InstanceProfile', name: profile.name, targetId: profile.arn, reused: profile.reused });
      }

      const vpcId = cap.securityGroups.length ? await defaultVpc(aws, env) : undefined;
      const groupIds: string[] = [];
      for (const g of cap.securityGroups) {
        if (g.name === 'default') continue;
        const sg = await ensureSecurityGroup(aws, env, vpcId, g, marks);
        groupIds.push(sg.id);
        entries.push({ sourceId: g.id, kind: 'SecurityGroup', name: g.name, targetId: sg.id, ...(sg.reused ? { reused: true } : {}) });
      }

      const tags: AwsTag[] = [...tagList(cap.tags), ...(cap.tags.Name ? [] : [{ Key: 'Name', Value: cap.name || item.resource.name }]), ...drTags(ctx, { purpose: 'failover', sourceId: cap.instanceId })];
      const keyName = (await keyExists(aws, env, cap.keyName)) ? cap.keyName : null;
      ctx.progress(`Launching ${cap.name || item.resource.name} from ${cap.imageId}`);
      const { instance } = await launchOnce(
        aws,
        ctx,
        'failover',
        {
          ImageId: cap.imageId,
          InstanceType: cap.instanceType as never,
          ...(profileName ? { IamInstanceProfile: { Name: profileName } } : {}),
          ...(groupIds.length ? { SecurityGroupIds: groupIds } : {}),
          ...(keyName ? { KeyName: keyName } : {}),
          ...(cap.monitoring ? { Monitoring: { Enabled: true } } : {}),
          ...(cap.ebsOptimized ? { EbsOptimized: true } : {}),
          ...(cap.metadataOptions.httpTokens ? { MetadataOptions: { HttpTokens: cap.metadataOptions.httpTokens as never } } : {}),
        },
        tags,
      );
      const running = await waitRunning(aws, env, instance.InstanceId ?? '', ctx.signal);
      const name = cap.name || item.resource.name;
      entries.unshift({ sourceId: cap.instanceId, kind: 'Instance', name, targetId: running.InstanceId ?? '' });
      const srcVolumes = cap.blockDeviceMappings;
      for (const b of running.BlockDeviceMappings ?? []) {
        if (!b.Ebs?.VolumeId) continue;
        const src = srcVolumes.find((v) => v.deviceName === b.DeviceName);
        entries.push({ sourceId: src?.volumeId ?? cap.instanceId, kind: 'Volume', name: `${name}:${b.DeviceName ?? ''}`, targetId: b.Ebs.VolumeId });
      }
      for (const eni of running.NetworkInterfaces ?? []) {
        if (eni.NetworkInterfaceId) entries.push({ sourceId: cap.instanceId, kind: 'NetworkInterface', name: `${name}:eth${eni.Attachment?.DeviceIndex ?? 0}`, targetId: eni.NetworkInterfaceId });
      }
      return entries;
    },

    async stopReplication(resource, ctx): Promise<void> {
      // Only the policy's own mark goes; recovery images and snapshots stay (they are recovery data).
      await aws.find(ctx.source, ACTION('DeleteTags'), () =>
        aws.ec2(ctx.source).send(new DeleteTagsCommand({ Resources: [resource.nativeId], Tags: [{ Key: `${DR_TAG.policy}:${ctx.policyId}`.slice(0, 128) }] })),
      );
    },
  };
}

export { volumesOf as ec2VolumesOf, launchOnce as ec2LaunchOnce, type EC2Client };
