// Amazon EC2 instances: a point is an AMI of the instance copied to the target region; failover runs
// the instance from it with the saved settings and recreates IAM (same-named reused, R7) and groups,
// then reads the instance back and says what the target does not carry.

import { createHash } from 'node:crypto';
import {
  CopyImageCommand,
  CreateImageCommand,
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
  RunInstancesCommand,
  TerminateInstancesCommand,
  paginateDescribeInstances,
  waitUntilImageAvailable,
  waitUntilInstanceRunning,
  type BlockDeviceMapping,
  type EC2Client,
  type Image,
  type Instance,
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
import type { AwsContext, CallContext } from './clients';
import { captureReferencedGroups, ensureSecurityGroups, missingRules, toCapturedGroup, translateRules, type Ec2SecurityGroup } from './ec2-security-groups';
import { captureRole, ensureInstanceProfile, iamScope, restoreRole, verifyRoles, type CapturedRole } from './iam';
import { DR_TAG, clientToken, drTags, stepFilter, stepToken, tagList, tagRecord, testName, type AwsTag } from './naming';

export type { Ec2SecurityGroup } from './ec2-security-groups';

export interface Ec2Volume {
  deviceName: string;
  volumeId: string;
  sizeGb: number | null;
  volumeType: string | null;
  deleteOnTermination: boolean;
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
  /** Groups the instance's group rules reference (recreated with them); absent in older points. */
  referencedGroups?: Ec2SecurityGroup[];
  blockDeviceMappings: Ec2Volume[];
  iam: { instanceProfile: string | null; instanceProfilePath: string | null; roles: CapturedRole[] };
  userDataSha256: string | null;
  metadataOptions: { httpTokens: string | null };
  /** Recovery data in the target region. */
  imageId: string;
  snapshotIds: string[];
  /** Device names the target image carries a snapshot for; absent in older points. */
  imageDevices?: string[];
}

const ACTION = (op: string) => `ec2:${op}`;

function nameOf(i: Instance): string {
  return i.Tags?.find((t) => t.Key === 'Name')?.Value ?? i.InstanceId ?? '';
}

function live(i: Instance): boolean {
  const s = i.State?.Name;
  return s !== 'terminated' && s !== 'shutting-down';
}

async function describeInstances(aws: AwsContext, ctx: CallContext, env: EnvRef, input: ConstructorParameters<typeof DescribeInstancesCommand>[0]): Promise<Instance[]> {
  const pages = await aws.pages(ctx, env, 'ec2:DescribeInstances', paginateDescribeInstances, aws.ec2(env), input ?? {});
  return pages.flatMap((p) => (p.Reservations ?? []).flatMap((r) => r.Instances ?? []));
}

/** Instances this step already launched (found by the step tag: moto and expired tokens do not dedupe). */
export async function instancesOfStep(aws: AwsContext, ctx: StepContext, env: EnvRef, purpose: string): Promise<Instance[]> {
  const found = await describeInstances(aws, ctx, env, { Filters: [stepFilter(ctx, purpose)] });
  return found.filter(live);
}

async function imageByName(aws: AwsContext, ctx: StepContext, env: EnvRef, name: string): Promise<Image | undefined> {
  const r = await aws.read(ctx, env, ACTION('DescribeImages'), (signal) =>
    aws.ec2(env).send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }), { abortSignal: signal }),
  );
  return (r.Images ?? []).find((i) => i.State !== 'deregistered' && i.State !== 'failed');
}

/** The SDK's ImageAvailable waiter (at most 10 minutes, its documented maximum), then the image. */
async function waitImage(aws: AwsContext, ctx: StepContext, env: EnvRef, imageId: string): Promise<Image> {
  await aws.wait(ctx, env, 'ec2:ImageAvailable', `image ${imageId} in ${env.region}`, waitUntilImageAvailable, aws.ec2(env), { ImageIds: [imageId] });
  const r = await aws.read(ctx, env, ACTION('DescribeImages'), (signal) => aws.ec2(env).send(new DescribeImagesCommand({ ImageIds: [imageId] }), { abortSignal: signal }));
  const img = r.Images?.[0];
  if (!img) throw new ProviderFailure('ProviderUnavailable', `Image ${imageId} was available in ${env.region} and then could not be read; the console will retry.`);
  return img;
}

function imageSnapshots(img: Image): string[] {
  return (img.BlockDeviceMappings ?? []).map((b) => b.Ebs?.SnapshotId).filter((s): s is string => !!s);
}

async function loadInstance(aws: AwsContext, ctx: StepContext, env: EnvRef, id: string, what: string): Promise<Instance> {
  const found = await aws
    .lookup(ctx, env, ACTION('DescribeInstances'), (signal) => aws.ec2(env).send(new DescribeInstancesCommand({ InstanceIds: [id] }), { abortSignal: signal }))
    .then((r) => r?.Reservations?.[0]?.Instances?.[0]);
  if (!found || !live(found)) {
    throw new ProviderFailure('NotFound', `EC2 instance ${id} no longer exists in ${env.region}; ${what}`);
  }
  return found;
}

async function captureInstance(aws: AwsContext, ctx: StepContext, env: EnvRef, inst: Instance): Promise<Omit<Ec2Capture, 'imageId' | 'snapshotIds'>> {
  const ec2 = aws.ec2(env);
  const id = inst.InstanceId ?? '';
  const groupIds = (inst.SecurityGroups ?? []).map((g) => g.GroupId).filter((g): g is string => !!g);
  const groups = groupIds.length
    ? ((await aws.read(ctx, env, ACTION('DescribeSecurityGroups'), (signal) => ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: groupIds }), { abortSignal: signal }))).SecurityGroups ?? [])
    : [];
  const securityGroups = groups.map(toCapturedGroup);
  const referencedGroups = await captureReferencedGroups(aws, ctx, env, securityGroups);
  const volumeIds = (inst.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId).filter((v): v is string => !!v);
  const volumes = volumeIds.length
    ? ((await aws.read(ctx, env, ACTION('DescribeVolumes'), (signal) => ec2.send(new DescribeVolumesCommand({ VolumeIds: volumeIds }), { abortSignal: signal }))).Volumes ?? [])
    : [];
  const userData = await aws.lookup(ctx, env, ACTION('DescribeInstanceAttribute'), (signal) =>
    ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' }), { abortSignal: signal }),
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
      const iam = iamScope(aws, env, ctx);
      const name = instanceProfile;
      const profile = await iam.find('iam:GetInstanceProfile', (signal) => iam.client.send(new GetInstanceProfileCommand({ InstanceProfileName: name }), { abortSignal: signal }));
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
    securityGroups,
    referencedGroups,
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

async function requireImage(aws: AwsContext, ctx: StepContext, env: EnvRef, cap: Ec2Capture, label: string): Promise<Image> {
  const r = await aws.lookup(ctx, env, ACTION('DescribeImages'), (signal) => aws.ec2(env).send(new DescribeImagesCommand({ ImageIds: [cap.imageId] }), { abortSignal: signal }));
  const img = r?.Images?.[0];
  if (!img || img.State === 'deregistered') {
    throw new ProviderFailure(
      'PreconditionFailed',
      `Image ${cap.imageId} of the recovery point of ${label} is gone from ${env.region}; choose another recovery point.`,
    );
  }
  return img;
}

const volumeLabel = (v: Ec2Volume) => `${v.deviceName}${v.sizeGb ? ` (${v.sizeGb} GiB${v.volumeType ? ` ${v.volumeType}` : ''})` : ''}`;

/**
 * What a (test) failover of this point will not carry, known from the point alone: volumes its image has
 * no snapshot for, rules that cannot cross regions. Shown in the failover confirmation.
 */
export function foreseeEc2(item: RecoveryPointItemRef): string[] {
  const m = item.metadata as Partial<Ec2Capture>;
  if (!m.blockDeviceMappings) return [];
  const label = m.name || item.resource.name;
  const out: string[] = [];
  const devices = m.imageDevices;
  const lost = devices ? m.blockDeviceMappings.filter((v) => !devices.includes(v.deviceName)) : m.blockDeviceMappings.slice(m.snapshotIds?.length ?? 0);
  if (lost.length) {
    out.push(`EC2 instance ${label}: the recovery point's image has no snapshot of volume${lost.length === 1 ? '' : 's'} ${lost.map(volumeLabel).join(', ')}; failover launches the instance without ${lost.length === 1 ? 'it' : 'them'}.`);
  }
  const groups = [...(m.securityGroups ?? []), ...(m.referencedGroups ?? [])];
  const ids = new Map(groups.map((g) => [g.id, g.id]));
  const names = new Map(groups.map((g) => [g.id, g.name]));
  for (const g of m.securityGroups ?? []) {
    for (const n of [...translateRules(g, ids, names).notCarried, ...translateRules(g, ids, names, 'egress').notCarried]) out.push(`EC2 instance ${label}: ${n} will not be carried.`);
  }
  return out;
}

/** Launch (or adopt, when an earlier attempt of this step launched it) one instance tagged for the step. */
async function launchOnce(
  aws: AwsContext,
  ctx: StepContext,
  purpose: string,
  input: Omit<ConstructorParameters<typeof RunInstancesCommand>[0], 'MinCount' | 'MaxCount' | 'ClientToken' | 'TagSpecifications'>,
  tags: AwsTag[],
): Promise<{ instanceId: string }> {
  const env = ctx.target;
  const token = clientToken(ctx, purpose);
  const ec2 = aws.ec2(env);
  return aws.mutate(ctx, env, `run-instances:${purpose}`, {
    action: ACTION('RunInstances'),
    intent: { purpose, clientToken: token, stepTag: stepToken(ctx, purpose) },
    // moto (and AWS once a token expired) does not dedupe on ClientToken: look the step's instance up by tag.
    resume: async () => {
      const [found] = await instancesOfStep(aws, ctx, env, purpose);
      return found?.InstanceId ? { instanceId: found.InstanceId } : undefined;
    },
    call: async (signal) => {
      for (let attempt = 0; ; attempt++) {
        try {
          const r = await ec2.send(
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
            { abortSignal: signal },
          );
          const id = r.Instances?.[0]?.InstanceId;
          if (!id) throw new ProviderFailure('ProviderError', 'AWS accepted RunInstances but returned no instance.');
          return { instanceId: id };
        } catch (err) {
          // A new instance profile takes a few seconds to become visible to EC2 (IAM is eventually
          // consistent); the same ClientToken makes the repeated call safe.
          const msg = err instanceof Error ? err.message : '';
          if (attempt < 5 && input.IamInstanceProfile && /instance profile/i.test(msg)) {
            await aws.pause(aws.pollIntervalMs * 40, signal, 'the instance profile to reach EC2');
            continue;
          }
          throw err;
        }
      }
    },
  });
}

/** The SDK's InstanceRunning waiter (at most 10 minutes, its documented maximum), then the instance. */
async function waitRunning(aws: AwsContext, ctx: StepContext, env: EnvRef, id: string): Promise<Instance> {
  await aws.wait(ctx, env, 'ec2:InstanceRunning', `instance ${id} to run in ${env.region}`, waitUntilInstanceRunning, aws.ec2(env), { InstanceIds: [id] });
  return loadInstance(aws, ctx, env, id, 'it stopped right after starting.');
}

async function keyExists(aws: AwsContext, ctx: StepContext, env: EnvRef, keyName: string | null): Promise<boolean> {
  if (!keyName) return false;
  const r = await aws.lookup(ctx, env, ACTION('DescribeKeyPairs'), (signal) => aws.ec2(env).send(new DescribeKeyPairsCommand({ KeyNames: [keyName] }), { abortSignal: signal }));
  return (r?.KeyPairs?.length ?? 0) > 0;
}

function volumesOf(inst: Instance): string[] {
  return (inst.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId).filter((v): v is string => !!v);
}

/** The point's volume sizes and types for the devices the image carries (RunInstances applies them). */
function blockDevices(cap: Ec2Capture, image: Image): BlockDeviceMapping[] {
  const out: BlockDeviceMapping[] = [];
  for (const b of image.BlockDeviceMappings ?? []) {
    const v = cap.blockDeviceMappings.find((x) => x.deviceName === b.DeviceName);
    if (!v || !b.Ebs) continue;
    const snapshotGb = b.Ebs.VolumeSize ?? 0;
    out.push({
      DeviceName: v.deviceName,
      Ebs: {
        // The image's own snapshot, named again (moto needs it; AWS accepts it): only size and type change.
        ...(b.Ebs.SnapshotId ? { SnapshotId: b.Ebs.SnapshotId } : {}),
        ...(v.sizeGb && v.sizeGb >= snapshotGb ? { VolumeSize: v.sizeGb } : {}),
        ...(v.volumeType ? { VolumeType: v.volumeType as never } : {}),
        DeleteOnTermination: v.deleteOnTermination,
      },
    });
  }
  return out;
}

/**
 * Reads the launched instance back and compares it with the point: returns what was not carried
 * (warnings) and what the product document promises but is missing (failures).
 */
async function compareWithPoint(
  aws: AwsContext,
  ctx: StepContext,
  env: EnvRef,
  cap: Ec2Capture,
  inst: Instance,
  opts: { full: boolean; tags: AwsTag[]; groups?: { ids: Map<string, string>; names: Map<string, string> }; profileName?: string },
): Promise<{ warnings: string[]; failures: string[] }> {
  const label = cap.name || cap.instanceId;
  const warnings: string[] = [];
  const failures: string[] = [];
  if (inst.InstanceType !== cap.instanceType) warnings.push(`EC2 instance ${label} runs as ${inst.InstanceType ?? 'an unknown type'}, not ${cap.instanceType} as in the recovery point.`);

  // Volumes: every captured device, at its size and type.
  const targetVolumeIds = volumesOf(inst);
  const volumes = targetVolumeIds.length
    ? ((await aws.read(ctx, env, ACTION('DescribeVolumes'), (signal) => aws.ec2(env).send(new DescribeVolumesCommand({ VolumeIds: targetVolumeIds }), { abortSignal: signal }))).Volumes ?? [])
    : [];
  const lost: Ec2Volume[] = [];
  for (const v of cap.blockDeviceMappings) {
    const mapped = (inst.BlockDeviceMappings ?? []).find((b) => b.DeviceName === v.deviceName);
    const vol = volumes.find((x) => x.VolumeId === mapped?.Ebs?.VolumeId);
    if (!mapped || !vol) {
      lost.push(v);
      continue;
    }
    if (v.sizeGb && vol.Size !== undefined && vol.Size < v.sizeGb) warnings.push(`Volume ${v.deviceName} of EC2 instance ${label} is ${vol.Size} GiB in ${env.region}, not ${v.sizeGb} GiB as in the recovery point.`);
    if (v.volumeType && vol.VolumeType && vol.VolumeType !== v.volumeType) warnings.push(`Volume ${v.deviceName} of EC2 instance ${label} is ${vol.VolumeType} in ${env.region}, not ${v.volumeType} as in the recovery point.`);
  }
  if (lost.length) {
    warnings.push(
      `EC2 instance ${label} was launched with ${cap.blockDeviceMappings.length - lost.length} of its ${cap.blockDeviceMappings.length} volumes: ${lost.map(volumeLabel).join(', ')} ${lost.length === 1 ? 'was' : 'were'} not carried (the recovery point's image has no snapshot of ${lost.length === 1 ? 'it' : 'them'}).`,
    );
  }

  // Tags the step put on the instance (the point's own and the console's).
  const have = tagRecord(inst.Tags);
  const missingTags = opts.tags.filter((t) => have[t.Key] !== t.Value).map((t) => t.Key);
  if (missingTags.length) warnings.push(`EC2 instance ${label} lacks the tag${missingTags.length === 1 ? '' : 's'} ${missingTags.join(', ')} of the recovery point.`);

  if (!opts.full) return { warnings, failures };

  // Security groups and their rules.
  if (opts.groups) {
    const attached = new Set((inst.SecurityGroups ?? []).map((g) => g.GroupId));
    for (const g of cap.securityGroups) {
      if (g.name === 'default') continue;
      const id = opts.groups.ids.get(g.id);
      if (!id || !attached.has(id)) warnings.push(`EC2 instance ${label} is not in security group ${g.name} in ${env.region}.`);
    }
    const groups = [...cap.securityGroups, ...(cap.referencedGroups ?? [])];
    for (const m of await missingRules(aws, ctx, env, groups, opts.groups)) warnings.push(`EC2 instance ${label}: ${m}.`);
  }
  if (cap.keyName && inst.KeyName !== cap.keyName) warnings.push(`EC2 instance ${label} has no key pair ${cap.keyName}: it does not exist in ${env.region}; import it, then attach it.`);
  if (cap.monitoring && inst.Monitoring?.State !== 'enabled' && inst.Monitoring?.State !== 'pending') warnings.push(`EC2 instance ${label} has detailed monitoring off; the recovery point has it on.`);
  if (cap.metadataOptions.httpTokens && inst.MetadataOptions?.HttpTokens && inst.MetadataOptions.HttpTokens !== cap.metadataOptions.httpTokens) {
    warnings.push(`EC2 instance ${label} has instance metadata tokens ${inst.MetadataOptions.HttpTokens}, not ${cap.metadataOptions.httpTokens}.`);
  }
  // The product document promises the IAM roles and policies: a missing one fails the step.
  if (opts.profileName && !new RegExp(`instance-profile/(.*/)?${opts.profileName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`).test(inst.IamInstanceProfile?.Arn ?? '')) {
    failures.push(`EC2 instance ${label} has no instance profile ${opts.profileName} in ${env.region}`);
  }
  return { warnings, failures };
}

function report(ctx: StepContext, result: { warnings: string[]; failures: string[] }, label: string): void {
  for (const w of result.warnings) ctx.warn?.(w);
  if (result.failures.length) {
    throw new ProviderFailure('ProviderError', `The failover of EC2 instance ${label} did not carry what it must: ${result.failures.join('; ')}.`);
  }
}

export async function discoverEc2(aws: AwsContext, ctx: DiscoverContext): Promise<DiscoveredResource[]> {
  const instances = (await describeInstances(aws, ctx, ctx.env, {})).filter(live);
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
    usesLatestPoint: false,

    discover: (ctx) => discoverEc2(aws, ctx),

    foresee: (item) => foreseeEc2(item),

    async replicate(resource: ProtectedResourceRef, ctx: StepContext): Promise<CapturedItem> {
      const src = ctx.source;
      const inst = await loadInstance(aws, ctx, src, resource.nativeId, 'remove it from the policy or restore it.');
      const captured = await captureInstance(aws, ctx, src, inst);
      const ec2 = aws.ec2(src);
      const imageName = `dr-${(captured.name || resource.nativeId).replace(/[^\w()./-]+/g, '-').slice(0, 60)}-${stepToken(ctx, 'image').slice(0, 16)}`;
      const pointTags = [...drTags(ctx, { role: 'replication', purpose: 'image', sourceId: resource.nativeId })];

      // The copy in the target first: when an earlier attempt got that far, the source image is not needed.
      let targetImageId = (await imageByName(aws, ctx, ctx.target, imageName))?.ImageId;
      if (!targetImageId) {
        let sourceImageId = (await imageByName(aws, ctx, src, imageName))?.ImageId;
        if (!sourceImageId) {
          ctx.progress(`Creating an image of ${captured.name || resource.nativeId}`);
          const made = await aws.mutate(ctx, src, 'create-image', {
            action: ACTION('CreateImage'),
            intent: { imageName, instanceId: resource.nativeId },
            // Image names are unique per account and region: an earlier attempt's image is found by name.
            resume: async () => {
              const found = await imageByName(aws, ctx, src, imageName);
              return found?.ImageId ? { imageId: found.ImageId } : undefined;
            },
            call: async (signal, op) => {
              const r = await ec2.send(
                new CreateImageCommand({
                  InstanceId: resource.nativeId,
                  Name: imageName,
                  Description: `Failover Console recovery point of ${resource.nativeId}`,
                  NoReboot: true,
                  // Snapshots are tagged with the copy below (moto rejects snapshot tag specifications here).
                  TagSpecifications: [{ ResourceType: 'image', Tags: pointTags }],
                }),
                { abortSignal: signal },
              );
              if (r.ImageId) await op.handle({ imageId: r.ImageId });
              return { imageId: r.ImageId ?? '' };
            },
          });
          sourceImageId = made.imageId;
        }
        const sourceImage = await waitImage(aws, ctx, src, sourceImageId);
        const token = clientToken(ctx, 'copy');
        ctx.progress(`Copying image ${sourceImage.ImageId} to ${ctx.target.region}`);
        const copied = await aws.mutate(ctx, ctx.target, 'copy-image', {
          action: ACTION('CopyImage'),
          intent: { imageName, sourceImageId: sourceImage.ImageId ?? null, clientToken: token },
          resume: async () => {
            const found = await imageByName(aws, ctx, ctx.target, imageName);
            return found?.ImageId ? { imageId: found.ImageId } : undefined;
          },
          call: async (signal) => {
            const r = await aws.ec2(ctx.target).send(
              new CopyImageCommand({ Name: imageName, SourceImageId: sourceImage.ImageId, SourceRegion: src.region, ClientToken: token, Description: `Failover Console recovery point of ${resource.nativeId}` }),
              { abortSignal: signal },
            );
            return { imageId: r.ImageId ?? '' };
          },
        });
        targetImageId = copied.imageId;
      }
      const targetImage = await waitImage(aws, ctx, ctx.target, targetImageId);
      const snapshotIds = imageSnapshots(targetImage);
      await aws.mutate(ctx, ctx.target, 'tag-image', {
        action: ACTION('CreateTags'),
        intent: { resources: [targetImage.ImageId ?? '', ...snapshotIds] },
        call: async (signal) => {
          await aws.ec2(ctx.target).send(new CreateTagsCommand({ Resources: [targetImage.ImageId ?? '', ...snapshotIds], Tags: pointTags }), { abortSignal: signal });
          return { tagged: true };
        },
      });
      // The source-region image only fed the copy; keeping it would add one image per point to the source.
      const leftover = await imageByName(aws, ctx, src, imageName);
      if (leftover?.ImageId) {
        const leftoverId = leftover.ImageId;
        await aws.mutate(ctx, src, 'deregister-source-image', {
          action: ACTION('DeregisterImage'),
          intent: { imageId: leftoverId },
          absentOk: true,
          call: async (signal) => {
            await ec2.send(new DeregisterImageCommand({ ImageId: leftoverId }), { abortSignal: signal });
            return { deregistered: leftoverId };
          },
        });
        for (const snap of imageSnapshots(leftover)) {
          await aws.mutate(ctx, src, `delete-source-snapshot:${snap}`, {
            action: ACTION('DeleteSnapshot'),
            intent: { snapshotId: snap },
            absentOk: true,
            call: async (signal) => {
              await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snap }), { abortSignal: signal });
              return { deleted: snap };
            },
          });
        }
      }
      // The policy's mark on the source: what stopReplication removes.
      await aws.mutate(ctx, src, 'mark-source', {
        action: ACTION('CreateTags'),
        intent: { resource: resource.nativeId },
        call: async (signal) => {
          await ec2.send(new CreateTagsCommand({ Resources: [resource.nativeId], Tags: [{ Key: `${DR_TAG.policy}:${ctx.policyId}`.slice(0, 128), Value: ctx.target.region }] }), { abortSignal: signal });
          return { tagged: true };
        },
      });
      const imageDevices = (targetImage.BlockDeviceMappings ?? []).filter((b) => b.Ebs?.SnapshotId).map((b) => b.DeviceName ?? '');
      const metadata: Ec2Capture = { ...captured, imageId: targetImage.ImageId ?? '', snapshotIds, imageDevices };
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
      const image = await requireImage(aws, ctx, ctx.target, cap, item.resource.name);
      const name = testName(cap.name || item.resource.name, ctx, 128);
      const tags: AwsTag[] = [...tagList(cap.tags).filter((t) => t.Key !== 'Name'), { Key: 'Name', Value: name }, ...drTags(ctx, { role: 'test', purpose: 'test', sourceId: cap.instanceId })];
      const devices = blockDevices(cap, image);
      const { instanceId } = await launchOnce(aws, ctx, 'test', { ImageId: cap.imageId, InstanceType: cap.instanceType as never, ...(devices.length ? { BlockDeviceMappings: devices } : {}) }, tags);
      // A test copy carries the image, the type, the volumes and the tags (no IAM, no groups): compare those.
      const launched = await loadInstance(aws, ctx, ctx.target, instanceId, 'it stopped right after launch.');
      report(ctx, await compareWithPoint(aws, ctx, ctx.target, cap, launched, { full: false, tags }), cap.name || item.resource.name);
      return [{ kind: 'Instance', nativeId: instanceId, name, region: ctx.target.region, sourceId: cap.instanceId }];
    },

    async reset(created, ctx): Promise<void> {
      if (created.kind !== 'Instance') return;
      const env = { ...ctx.target, region: created.region || ctx.target.region };
      await aws.mutate(ctx, env, `terminate-instances:${created.nativeId}`, {
        action: ACTION('TerminateInstances'),
        intent: { instanceId: created.nativeId },
        absentOk: true,
        call: async (signal) => {
          await aws.ec2(env).send(new TerminateInstancesCommand({ InstanceIds: [created.nativeId] }), { abortSignal: signal });
          return { terminated: created.nativeId };
        },
      });
    },

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      const cap = readCapture(item);
      const env = ctx.target;
      const image = await requireImage(aws, ctx, env, cap, item.resource.name);
      const entries: ResourceMappingEntry[] = [];
      const marks = drTags(ctx, { role: 'failover', purpose: 'failover', sourceId: cap.instanceId });
      const failures: string[] = [];

      // IAM first (R7: same-named role, policies and instance profile are reused).
      let profileName: string | undefined;
      if (cap.iam.instanceProfile) {
        const iam = iamScope(aws, env, ctx);
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
          tags: marks,
        });
        profileName = profile.name;
        entries.push({ sourceId: cap.instanceId, kind: 'InstanceProfile', name: profile.name, targetId: profile.arn, reused: profile.reused });
        failures.push(...(await verifyRoles(iam, cap.iam.roles)));
      }

      // Groups, with the groups their rules reference, then the rules.
      const groups = await ensureSecurityGroups(aws, ctx, env, cap.securityGroups, cap.referencedGroups ?? [], marks);
      entries.push(...groups.entries);
      for (const n of groups.notCarried) ctx.warn?.(`EC2 instance ${cap.name || item.resource.name}: ${n} was not carried.`);
      const groupIds = cap.securityGroups.filter((g) => g.name !== 'default').flatMap((g) => (groups.ids.get(g.id) ? [groups.ids.get(g.id)!] : []));

      const tags: AwsTag[] = [...tagList(cap.tags), ...(cap.tags.Name ? [] : [{ Key: 'Name', Value: cap.name || item.resource.name }]), ...marks];
      const keyName = (await keyExists(aws, ctx, env, cap.keyName)) ? cap.keyName : null;
      const devices = blockDevices(cap, image);
      ctx.progress(`Launching ${cap.name || item.resource.name} from ${cap.imageId}`);
      const { instanceId } = await launchOnce(
        aws,
        ctx,
        'failover',
        {
          ImageId: cap.imageId,
          InstanceType: cap.instanceType as never,
          ...(profileName ? { IamInstanceProfile: { Name: profileName } } : {}),
          ...(groupIds.length ? { SecurityGroupIds: [...new Set(groupIds)] } : {}),
          ...(keyName ? { KeyName: keyName } : {}),
          ...(cap.monitoring ? { Monitoring: { Enabled: true } } : {}),
          ...(cap.ebsOptimized ? { EbsOptimized: true } : {}),
          ...(cap.metadataOptions.httpTokens ? { MetadataOptions: { HttpTokens: cap.metadataOptions.httpTokens as never } } : {}),
          ...(devices.length ? { BlockDeviceMappings: devices } : {}),
        },
        tags,
      );
      ctx.progress(`Waiting for ${cap.name || item.resource.name} to run in ${env.region}`);
      const running = await waitRunning(aws, ctx, env, instanceId);
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
      ctx.progress(`Comparing ${name} in ${env.region} with the recovery point`);
      const compared = await compareWithPoint(aws, ctx, env, cap, running, { full: true, tags, groups, ...(profileName ? { profileName } : {}) });
      report(ctx, { warnings: compared.warnings, failures: [...failures, ...compared.failures] }, name);
      return entries;
    },

    async stopReplication(resource, ctx): Promise<void> {
      // Only the policy's own mark goes; recovery images and snapshots stay (they are recovery data).
      await aws.mutate(ctx, ctx.source, 'unmark-source', {
        action: ACTION('DeleteTags'),
        intent: { resource: resource.nativeId },
        absentOk: true,
        call: async (signal) => {
          await aws.ec2(ctx.source).send(new DeleteTagsCommand({ Resources: [resource.nativeId], Tags: [{ Key: `${DR_TAG.policy}:${ctx.policyId}`.slice(0, 128) }] }), { abortSignal: signal });
          return { untagged: true };
        },
      });
    },
  };
}

export { volumesOf as ec2VolumesOf, launchOnce as ec2LaunchOnce, type EC2Client };
