// The AWS provider's conformance peer: moto on loopback, reset for every world, with one seeded
// resource per type in us-east-1 (the source) and a census of what the console could have made,
// by names and tags (moto picks ids at random, so two worlds agree only on what the console names).

import { createServer, type Server, type Socket } from 'node:net';
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
import {
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, ListBucketsCommand, PutBucketTaggingCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateDBInstanceCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { CreateClusterCommand, CreateNodegroupCommand, EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import type { ResourceTypeId } from '../../shared/catalog';
import { createAwsProvider } from '../../main/providers/aws';
import type { EnvRef, ResolvedAccount } from '../../main/providers/types';
import type { MotoServer } from '../peers/moto';
import type { ConformancePeer, ConformanceWorld } from './adapter-conformance';

const SOURCE = 'us-east-1';
const TARGET = 'us-west-2';
const MOTO_ACCOUNT = '123456789012';
/** moto accepts any key; this one is long and distinctive so a leak into a sentence is caught. */
const SECRET = 'conformance-secret-Zq8vK2pL9xW4mN7rT1yB6cD3';

const account: ResolvedAccount = {
  id: 'acct-conf-aws',
  name: 'Conformance AWS',
  provider: 'aws',
  cloud: 'aws',
  credentials: { kind: 'aws-access-key', accessKeyId: 'AKIACONFORMANCE00001', secretAccessKey: SECRET },
} as ResolvedAccount;

const envRef = (region: string): EnvRef => ({ environmentId: `env-conf-${region}`, account, region, scope: { cloud: 'aws', region, accountId: MOTO_ACCOUNT } });

const trust = (service: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
// Ids moto picks at random (the seeded source instance's, say) differ between worlds; the names do not.
const RANDOM_ID = /\b(i|vol|snap|ami|sg|subnet|vpc|eni)-[0-9a-f]{8,17}\b/g;
const tagLine = (tags: Tag[] | undefined) =>
  (tags ?? [])
    // dr:step of a per-volume operation hashes the (random) volume id too; the count of lines still
    // tells a duplicate from a clean run.
    .map((t) => `${t.Key}=${t.Key === 'dr:step' ? '*' : (t.Value ?? '').replace(RANDOM_ID, '$1-*')}`)
    .sort()
    .join(',');

function clients(endpoint: string) {
  const cfg = (region: string) => ({ region, endpoint, forcePathStyle: true, credentials: { accessKeyId: 'AKIACONFORMANCE00001', secretAccessKey: SECRET } });
  return {
    ec2: (r: string) => new EC2Client(cfg(r)),
    iam: () => new IAMClient(cfg(SOURCE)),
    s3: (r: string) => new S3Client(cfg(r)),
    ddb: (r: string) => new DynamoDBClient(cfg(r)),
    rds: (r: string) => new RDSClient(cfg(r)),
    eks: (r: string) => new EKSClient(cfg(r)),
  };
}

type Clients = ReturnType<typeof clients>;

/** One resource per type in the source, as a customer would have it (names, tags, IAM). */
async function seed(c: Clients, type: ResourceTypeId): Promise<{ nativeId: string; name: string }> {
  switch (type) {
    case 'aws.ec2-instance': {
      const ec2 = c.ec2(SOURCE);
      const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
      const ami = images.Images?.find((i) => i.RootDeviceType === 'ebs')?.ImageId ?? images.Images?.[0]?.ImageId;
      await c.iam().send(new CreateRoleCommand({ RoleName: 'web-app-role', AssumeRolePolicyDocument: trust('ec2.amazonaws.com') }));
      const policy = await c.iam().send(
        new CreatePolicyCommand({
          PolicyName: 'web-app-read-config',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::config/*' }] }),
        }),
      );
      await c.iam().send(new AttachRolePolicyCommand({ RoleName: 'web-app-role', PolicyArn: policy.Policy!.Arn }));
      await c.iam().send(new CreateInstanceProfileCommand({ InstanceProfileName: 'web-app-profile' }));
      await c.iam().send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'web-app-profile', RoleName: 'web-app-role' }));
      const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web-01-sg', Description: 'web tier' }));
      const run = await ec2.send(
        new RunInstancesCommand({
          ImageId: ami,
          InstanceType: 'm5.large',
          MinCount: 1,
          MaxCount: 1,
          SecurityGroupIds: [sg.GroupId!],
          IamInstanceProfile: { Name: 'web-app-profile' },
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web-01' }, { Key: 'team', Value: 'payments' }] }],
        }),
      );
      return { nativeId: run.Instances![0]!.InstanceId!, name: 'web-01' };
    }
    case 'aws.s3-bucket': {
      const s3 = c.s3(SOURCE);
      await s3.send(new CreateBucketCommand({ Bucket: 'media-assets' }));
      await s3.send(new PutBucketVersioningCommand({ Bucket: 'media-assets', VersioningConfiguration: { Status: 'Enabled' } }));
      await s3.send(new PutBucketTaggingCommand({ Bucket: 'media-assets', Tagging: { TagSet: [{ Key: 'team', Value: 'media' }] } }));
      return { nativeId: 'media-assets', name: 'media-assets' };
    }
    case 'aws.dynamodb': {
      const create = (region: string) =>
        c.ddb(region).send(
          new CreateTableCommand({
            TableName: 'sessions',
            AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
            StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
            Tags: region === SOURCE ? [{ Key: 'app', Value: 'web' }] : [],
          }),
        );
      const r = await create(SOURCE);
      // moto ignores UpdateTable ReplicaUpdates (PEERS.md): the replica AWS would make in the target is
      // made here; the replica calls themselves are proven in test/main/providers/aws/dynamodb-contract.test.ts.
      await create(TARGET);
      return { nativeId: r.TableDescription!.TableArn!, name: 'sessions' };
    }
    case 'aws.rds': {
      const r = await c.rds(SOURCE).send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'orders-db',
          Engine: 'postgres',
          EngineVersion: '16.4',
          DBInstanceClass: 'db.r6g.large',
          AllocatedStorage: 100,
          MasterUsername: 'app',
          MasterUserPassword: 'moto-password-1',
          BackupRetentionPeriod: 14,
          Tags: [{ Key: 'app', Value: 'orders' }],
        }),
      );
      return { nativeId: r.DBInstance!.DBInstanceArn!, name: 'orders-db' };
    }
    case 'aws.eks': {
      const iam = c.iam();
      const clusterRole = (await iam.send(new CreateRoleCommand({ RoleName: 'shop-cluster-role', AssumeRolePolicyDocument: trust('eks.amazonaws.com') }))).Role!;
      const nodeRole = (await iam.send(new CreateRoleCommand({ RoleName: 'shop-node-role', AssumeRolePolicyDocument: trust('ec2.amazonaws.com') }))).Role!;
      const policy = (
        await iam.send(
          new CreatePolicyCommand({
            PolicyName: 'shop-ebs-csi',
            PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ec2:CreateVolume'], Resource: '*' }] }),
          }),
        )
      ).Policy!;
      await iam.send(new AttachRolePolicyCommand({ RoleName: 'shop-node-role', PolicyArn: policy.Arn }));
      const subnets = (await c.ec2(SOURCE).send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }))).Subnets!;
      const cluster = (
        await c.eks(SOURCE).send(
          new CreateClusterCommand({
            name: 'shop',
            version: '1.31',
            roleArn: clusterRole.Arn,
            resourcesVpcConfig: { subnetIds: subnets.slice(0, 2).map((s) => s.SubnetId!) },
            tags: { app: 'shop' },
          }),
        )
      ).cluster!;
      await c.eks(SOURCE).send(
        new CreateNodegroupCommand({
          clusterName: 'shop',
          nodegroupName: 'apps',
          nodeRole: nodeRole.Arn,
          subnets: subnets.slice(0, 2).map((s) => s.SubnetId!),
          scalingConfig: { minSize: 1, maxSize: 3, desiredSize: 2 },
          instanceTypes: ['m6i.xlarge'],
        }),
      );
      const vol = await c.ec2(SOURCE).send(new CreateVolumeCommand({ AvailabilityZone: `${SOURCE}a`, Size: 50, VolumeType: 'gp3' }));
      await c.ec2(SOURCE).send(
        new CreateTagsCommand({ Resources: [vol.VolumeId!], Tags: [{ Key: 'kubernetes.io/cluster/shop', Value: 'owned' }, { Key: 'kubernetes.io/created-for/pvc/name', Value: 'orders-data' }] }),
      );
      return { nativeId: cluster.arn!, name: 'shop' };
    }
    default:
      throw new Error(`the AWS conformance peer cannot seed ${type}`);
  }
}

async function iamLines(c: Clients): Promise<string[]> {
  const iam = c.iam();
  const roles = (await iam.send(new ListRolesCommand({}))).Roles ?? [];
  const policies = (await iam.send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies ?? [];
  const profiles = (await iam.send(new ListInstanceProfilesCommand({}))).InstanceProfiles ?? [];
  return [
    ...roles.map((r) => `role|${r.RoleName}`),
    ...policies.map((p) => `policy|${p.PolicyName}`),
    ...profiles.map((p) => `profile|${p.InstanceProfileName}|${(p.Roles ?? []).map((r) => r.RoleName).join(',')}`),
  ].sort();
}

async function regionLines(c: Clients, region: string): Promise<string[]> {
  const ec2 = c.ec2(region);
  const reservations = (await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }] }))).Reservations ?? [];
  const instances = reservations.flatMap((r) => r.Instances ?? []).map((i) => `instance|${region}|${i.InstanceType}|${tagLine(i.Tags)}`);
  const images = ((await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }))).Images ?? []).map((i) => `image|${region}|${i.Name}|${tagLine(i.Tags)}`);
  const groups = ((await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? [])
    .filter((g) => g.GroupName !== 'default')
    .map((g) => `sg|${region}|${g.GroupName}|${tagLine(g.Tags)}`);
  const volumes = ((await ec2.send(new DescribeVolumesCommand({}))).Volumes ?? [])
    .filter((v) => (v.Tags ?? []).length > 0 && (v.Attachments ?? []).length === 0)
    .map((v) => `volume|${region}|${v.Size}|${tagLine(v.Tags)}`);
  const snapshots = ((await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? []).map((s) => `snapshot|${region}|${tagLine(s.Tags)}`);
  const tables = ((await c.ddb(region).send(new ListTablesCommand({}))).TableNames ?? []).map((t) => `table|${region}|${t}`);
  const dbs = ((await c.rds(region).send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).map(
    (d) => `db|${region}|${d.DBInstanceIdentifier}|${d.ReadReplicaSourceDBInstanceIdentifier ? 'replica' : 'primary'}`,
  );
  const eks = c.eks(region);
  const clusters = (await eks.send(new ListClustersCommand({}))).clusters ?? [];
  const nodegroups = (await Promise.all(clusters.map(async (name) => ((await eks.send(new ListNodegroupsCommand({ clusterName: name }))).nodegroups ?? []).map((n) => `nodegroup|${region}|${name}/${n}`)))).flat();
  return [...instances, ...images, ...groups, ...volumes, ...snapshots, ...tables, ...dbs, ...clusters.map((n) => `cluster|${region}|${n}`), ...nodegroups];
}

/** A loopback TCP server that takes connections and never answers: every call to it waits forever. */
export async function blackhole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

export const AWS_TYPES: readonly ResourceTypeId[] = ['aws.ec2-instance', 'aws.s3-bucket', 'aws.rds', 'aws.dynamodb', 'aws.eks'];

/** The AWS adapter's peer: `moto()` is read when a world opens (the suite's beforeAll starts it). */
export function awsPeer(moto: () => MotoServer): ConformancePeer {
  return {
    name: 'aws (moto)',
    types: AWS_TYPES,
    secrets: [SECRET],
    // Each world is a moto reset plus seeding, and a replay needs two worlds per operation: on moto the
    // suite replays failover (the step the product promises to resume, R9); the sim runner replays all three.
    replaySteps: ['failover'],
    timeoutMs: 180_000,
    async open(): Promise<ConformanceWorld> {
      const server = moto();
      await server.reset();
      const c = clients(server.url);
      const adapter = createAwsProvider({ endpoint: server.url, pollIntervalMs: 10 });
      const seeded = new Map<ResourceTypeId, { nativeId: string; name: string }>();
      return {
        adapter,
        source: envRef(SOURCE),
        target: envRef(TARGET),
        async protect(type) {
          let s = seeded.get(type);
          if (!s) seeded.set(type, (s = await seed(c, type)));
          return { id: `pr-${type}`, policyId: 'pol-conformance', type, nativeId: s.nativeId, name: s.name };
        },
        async census() {
          const buckets = ((await c.s3(SOURCE).send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => `bucket|${b.Name}`);
          const regions = await Promise.all([SOURCE, TARGET].map((r) => regionLines(c, r)));
          return [...buckets, ...regions.flat(), ...(await iamLines(c))].sort();
        },
        iamCensus: () => iamLines(c),
        async close() {
          await adapter.dispose();
        },
      };
    },
    async openStalled() {
      const hole = await blackhole();
      const adapter = createAwsProvider({ endpoint: hole.url, pollIntervalMs: 10, maxAttempts: 1 });
      return {
        adapter,
        source: envRef(SOURCE),
        async close() {
          await adapter.dispose();
          await hole.close();
        },
      };
    },
  };
}
