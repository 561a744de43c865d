// Proof that no AWS mutation escapes ctx.mutate: a finalizeRequest middleware on every SDK client of the
// provider records each request sent to moto, in order, and at the moment a mutating request (anything
// not Describe*/Get*/List*/Head*) leaves, reads the journal through a second SQLite connection (so it
// sees only what is committed): exactly one operation of the step sending it must be open (its intent
// committed, no outcome yet), and its intent must name that request's action. The step sending a
// request is known from the async context its handler runs in (AsyncLocalStorage set around every
// handler call), so steps may overlap: a step waiting for the disk gives its slot to the next one. The full lifecycle of all five types runs through the engine;
// a second test shows the recorder catching a deliberately unwrapped call.
//
// One exception, identified exactly: requests to the console's own target-store bucket
// (consoleBucketName(account, target region), main/providers/aws/target-store.ts) are the console's
// bookkeeping, not a mutation of a protected resource. The failover lease and the catalog manifests are
// written there outside any job step (the lease is taken before the failover job exists, manifests are
// published after a job ends), and they need no intent: the lease writes are conditional (If-None-Match: *
// to create, If-Match: <ETag> to change), so S3 itself is their idempotency guard, and a manifest is a
// deterministic object under a deterministic key, rewritten whole. Every other mutating request must
// still be covered, including any other S3 request.

import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CreateTagsCommand, DescribeImagesCommand, DescribeSubnetsCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, PutBucketTaggingCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateClusterCommand, CreateNodegroupCommand, EKSClient } from '@aws-sdk/client-eks';
import { AttachRolePolicyCommand, CreatePolicyCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import type { MiddlewareStack } from '@smithy/types';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { composeCore, DATA_FILE_NAME, type Core } from '../../../../main/compose';
import { createAwsProvider } from '../../../../main/providers/aws';
import { consoleBucketName } from '../../../../main/providers/aws/target-store';
import type { ProviderAdapter, ResourceHandler } from '../../../../main/providers/types';
import { call, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { testKeyProvider } from '../../../helpers/keys';
import { describeMoto, startMoto, type MotoServer } from '../../../peers/moto';

const SOURCE = 'us-east-1';
const TARGET = 'us-west-2';
const creds = { accessKeyId: 'AKIAMOTORECORDING001', secretAccessKey: 'moto-recording' };

interface Sent {
  seq: number;
  service: string;
  operation: string;
  mutating: boolean;
  /** A request to the console's own target-store bucket (lease, manifests): bookkeeping, never checked. */
  bookkeeping: boolean;
  /** For a mutating request: why it was not covered by a committed intent, or null when it was. */
  uncovered: string | null;
}

const READ = /^(Describe|Get|List|Head)/;

/**
 * The IAM action the adapter names in an intent for an SDK operation: the same word, except for the S3
 * operations whose IAM action is spelled otherwise (Service Authorization Reference, Amazon S3).
 */
const S3_ACTION: Record<string, string> = {
  PutBucketReplication: 'PutReplicationConfiguration',
  DeleteBucketReplication: 'PutReplicationConfiguration',
  PutBucketLifecycleConfiguration: 'PutLifecycleConfiguration',
  PutBucketCors: 'PutBucketCORS',
  PutBucketEncryption: 'PutEncryptionConfiguration',
  DeleteObjects: 'DeleteObjectVersion',
};
const actionOf = (service: string, operation: string) => `${service}:${service === 's3' ? (S3_ACTION[operation] ?? operation) : operation}`;

describeMoto('Every mutating AWS request has its intent committed first (request recording against moto)', () => {
  let moto: MotoServer;
  let dir = '';
  let core: Core | undefined;
  let journal: Database.Database | undefined;
  let sent: Sent[] = [];
  /** The target store's bucket in the target region of these tests, named by the store's own function. */
  let consoleBucket = '';

  beforeAll(async () => {
    moto = await startMoto();
    const who = await new STSClient({ region: TARGET, endpoint: moto.url, credentials: creds }).send(new GetCallerIdentityCommand({}));
    consoleBucket = consoleBucketName(who.Account!, TARGET);
  });
  afterAll(async () => {
    await moto?.stop();
  });
  afterEach(async () => {
    // The core first: a request still in flight while it closes must not reopen a journal on this data folder.
    await core?.close();
    core = undefined;
    journal?.close();
    journal = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    await moto.reset();
  });

  /** The step whose handler is running in the current async context. */
  const stepOf = new AsyncLocalStorage<string>();

  /** Runs every handler call of `adapter` inside its step's async context. */
  function withStep(adapter: ProviderAdapter): ProviderAdapter {
    const wrapped = new Map<string, ResourceHandler>();
    return new Proxy(adapter, {
      get(target, prop, receiver) {
        if (prop !== 'handler') return Reflect.get(target, prop, receiver) as unknown;
        return (type: Parameters<ProviderAdapter['handler']>[0]) => {
          const h = target.handler(type);
          if (!h) return undefined;
          let w = wrapped.get(type);
          if (!w) {
            const inStep =
              (name: 'replicate' | 'testFailover' | 'reset' | 'failover' | 'stopReplication') =>
              (...args: unknown[]) => {
                const ctx = args.at(-1) as { stepId: string };
                return stepOf.run(ctx.stepId, () => (h[name] as (...a: unknown[]) => Promise<unknown>).apply(h, args));
              };
            w = { ...h, discover: h.discover.bind(h), replicate: inStep('replicate'), testFailover: inStep('testFailover'), reset: inStep('reset'), failover: inStep('failover'), stopReplication: inStep('stopReplication') } as ResourceHandler;
            wrapped.set(type, w);
          }
          return w;
        };
      },
    });
  }

  /** What the journal (as committed) says about the request being sent now. */
  function check(service: string, operation: string): string | null {
    const stepId = stepOf.getStore();
    if (stepId === undefined) return `${service}:${operation} was sent outside any job step`;
    journal ??= new Database(join(dir, DATA_FILE_NAME), { readonly: true, fileMustExist: true });
    const rows = journal.prepare('SELECT step_id, op_key, kind, material FROM job_operations ORDER BY step_id, seq').all() as {
      step_id: string;
      op_key: string;
      kind: 'intent' | 'handle' | 'outcome';
      material: string;
    }[];
    const open = new Map<string, Record<string, unknown>>();
    for (const r of rows) {
      if (r.step_id !== stepId) continue;
      const key = `${r.step_id}\u0000${r.op_key}`;
      if (r.kind === 'intent') open.set(key, JSON.parse(r.material) as Record<string, unknown>);
      else if (r.kind === 'outcome') open.delete(key);
    }
    const intents = [...open.values()];
    if (intents.length === 0) return `${service}:${operation} was sent with no open intent of its step in the journal`;
    if (intents.length > 1) return `${service}:${operation} was sent while ${intents.length} operations of its step were open`;
    const expected = actionOf(service, operation);
    if (intents[0]!.action !== expected) return `${service}:${operation} was sent under the intent of ${String(intents[0]!.action)}`;
    return null;
  }

  function open(wrap?: (aws: ProviderAdapter) => ProviderAdapter): Core {
    dir = mkdtempSync(join(tmpdir(), 'fc-aws-recording-'));
    sent = [];
    return composeCore({
      dataDir: dir,
      keyProvider: testKeyProvider(),
      startScheduler: false,
      startWebhooks: false,
      logger: stderrLogger,
      // One slot: steps still overlap while one waits for the disk; requests are told apart by step.
      engine: { concurrency: 1, backoff: { maxAttempts: 1, baseMs: 5, capMs: 20 } },
      providers: () => {
        const aws = createAwsProvider({
          endpoint: moto.url,
          pollIntervalMs: 10,
          instrument: (client, service) => {
            (client.middlewareStack as MiddlewareStack<object, object>).add(
              (next, context) => async (args) => {
                const operation = String((context as { commandName?: string }).commandName ?? '').replace(/Command$/, '');
                const mutating = !READ.test(operation);
                const bucket = (args as { input?: { Bucket?: unknown } }).input?.Bucket;
                const bookkeeping = service === 's3' && bucket === consoleBucket;
                sent.push({ seq: sent.length + 1, service, operation, mutating, bookkeeping, uncovered: mutating && !bookkeeping ? check(service, operation) : null });
                return next(args);
              },
              // finalizeRequest, low priority: after signing and retries, right before the request leaves.
              { step: 'finalizeRequest', priority: 'low', name: 'drRequestRecorder' },
            );
          },
        });
        return [withStep(wrap ? wrap(aws) : aws)];
      },
    });
  }

  const ec2 = (region: string) => new EC2Client({ region, endpoint: moto.url, credentials: creds });

  async function seedAllFive(): Promise<void> {
    const e = ec2(SOURCE);
    const images = await e.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    await e.send(
      new RunInstancesCommand({
        ImageId: images.Images?.[0]?.ImageId,
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web-01' }] }],
      }),
    );
    const s3 = new S3Client({ region: SOURCE, endpoint: moto.url, credentials: creds, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'shop-assets' }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: 'shop-assets', Tagging: { TagSet: [{ Key: 'app', Value: 'shop' }] } }));
    await s3.send(new PutObjectCommand({ Bucket: 'shop-assets', Key: 'logo.png', Body: 'png' }));
    await new RDSClient({ region: SOURCE, endpoint: moto.url, credentials: creds }).send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'orders-db',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        AllocatedStorage: 20,
        MasterUsername: 'app',
        MasterUserPassword: 'moto-password-1',
        Tags: [{ Key: 'app', Value: 'orders' }],
      }),
    );
    const table = (region: string) =>
      new DynamoDBClient({ region, endpoint: moto.url, credentials: creds }).send(
        new CreateTableCommand({
          TableName: 'sessions',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    await table(SOURCE);
    // moto ignores UpdateTable ReplicaUpdates (PEERS.md): the replica AWS would create, made by hand.
    await table(TARGET);
    const iam = new IAMClient({ region: SOURCE, endpoint: moto.url, credentials: creds });
    const trust = (service: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
    const clusterRole = (await iam.send(new CreateRoleCommand({ RoleName: 'shop-cluster-role', AssumeRolePolicyDocument: trust('eks.amazonaws.com') }))).Role!;
    const nodeRole = (await iam.send(new CreateRoleCommand({ RoleName: 'shop-node-role', AssumeRolePolicyDocument: trust('ec2.amazonaws.com') }))).Role!;
    const policy = (
      await iam.send(new CreatePolicyCommand({ PolicyName: 'shop-ebs-csi', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:CreateVolume', Resource: '*' }] }) }))
    ).Policy!;
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'shop-node-role', PolicyArn: policy.Arn }));
    const subnets = (await e.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }))).Subnets!.slice(0, 2).map((s) => s.SubnetId!);
    const eks = new EKSClient({ region: SOURCE, endpoint: moto.url, credentials: creds });
    await eks.send(new CreateClusterCommand({ name: 'shop', version: '1.31', roleArn: clusterRole.Arn, resourcesVpcConfig: { subnetIds: subnets }, tags: { app: 'shop' } }));
    await eks.send(new CreateNodegroupCommand({ clusterName: 'shop', nodegroupName: 'apps', nodeRole: nodeRole.Arn, subnets, scalingConfig: { minSize: 1, maxSize: 2, desiredSize: 1 } }));
  }

  async function lifecycle(c: Core): Promise<string[]> {
    const account = await call(c, 'dr:accounts.create', { name: 'moto', provider: 'aws', cloud: 'aws', credentials: { kind: 'aws-access-key', ...creds } });
    const source = await call(c, 'dr:environments.create', { accountId: account.id, name: 'east', region: SOURCE, scope: '' });
    const target = await call(c, 'dr:environments.create', { accountId: account.id, name: 'west', region: TARGET, scope: '' });
    const found = await call(c, 'dr:inventory.discover', { environmentId: source.id });
    const policy = await call(c, 'dr:policies.create', {
      name: 'Everything',
      sourceEnvironmentId: source.id,
      targetEnvironmentId: target.id,
      resources: found.map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
      schedule: null,
      webhookUrl: null,
    });
    const statuses: string[] = [];
    const run = async (jobId: string) => statuses.push(`${(await waitForJob(c, jobId, 120_000)).status}`);
    await run((await call(c, 'dr:replication.run', { policyId: policy.id })).jobId);
    await run((await call(c, 'dr:replication.run', { policyId: policy.id })).jobId);
    await run((await call(c, 'dr:testFailover.run', { policyId: policy.id })).jobId);
    await run((await call(c, 'dr:testFailover.reset', { policyId: policy.id })).jobId);
    const plan = await call(c, 'dr:failover.prepare', { policyId: policy.id });
    await run((await call(c, 'dr:failover.start', { token: plan.token })).jobId);
    return [...new Set(found.map((f): string => f.type))].sort().concat(statuses);
  }

  it('records every request of the full lifecycle of all five types, and each mutating one had its intent committed before it was sent', async () => {
    await seedAllFive();
    core = open();
    const ran = await lifecycle(core);
    expect(ran).toEqual(['aws.dynamodb', 'aws.ec2-instance', 'aws.eks', 'aws.rds', 'aws.s3-bucket', 'succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const mutating = sent.filter((r) => r.mutating && !r.bookkeeping);
    // The console's lease and manifest writes went to its own bucket (made private and encrypted), and only plain object and bucket writes.
    const bookkeeping = sent.filter((r) => r.mutating && r.bookkeeping).map((r) => `${r.service}:${r.operation}`);
    expect(bookkeeping).toEqual(expect.arrayContaining(['s3:CreateBucket', 's3:PutObject']));
    expect(bookkeeping.filter((op) => !['s3:CreateBucket', 's3:PutPublicAccessBlock', 's3:PutBucketEncryption', 's3:PutObject', 's3:DeleteObject'].includes(op))).toEqual([]);
    // The recording saw the adapter work: many mutations across the services, and reads between them.
    expect(new Set(mutating.map((r) => r.service))).toEqual(new Set(['ec2', 's3', 'rds', 'dynamodb', 'eks', 'iam']));
    expect(mutating.map((r) => `${r.service}:${r.operation}`)).toEqual(
      expect.arrayContaining(['ec2:CreateImage', 'ec2:CopyImage', 'ec2:RunInstances', 'ec2:TerminateInstances', 's3:PutBucketReplication', 'rds:CreateDBInstanceReadReplica', 'rds:PromoteReadReplica', 'eks:CreateCluster', 'eks:CreateNodegroup', 'eks:DeleteCluster', 'dynamodb:RestoreTableFromBackup']),
    );
    expect(sent.length).toBeGreaterThan(mutating.length);
    expect(mutating.filter((r) => r.uncovered !== null)).toEqual([]);
  }, 240_000);

  it('catches a mutating request sent outside ctx.mutate (the recorder can fail)', async () => {
    const e = ec2(SOURCE);
    const images = await e.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    await e.send(new RunInstancesCommand({ ImageId: images.Images?.[0]?.ImageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web-01' }] }] }));
    // A handler that tags the source instance with the provider's own (recorded) client, journaling nothing.
    core = open((aws) => ({
      ...aws,
      kind: aws.kind,
      label: aws.label,
      simulated: aws.simulated,
      clouds: aws.clouds,
      testConnection: (a, s) => aws.testConnection(a, s),
      handler(type) {
        const h = aws.handler(type);
        if (!h || type !== 'aws.ec2-instance') return h;
        const unwrapped: ResourceHandler = {
          ...h,
          async replicate(resource, ctx) {
            const client = (aws as unknown as { aws: { ec2(env: typeof ctx.source): EC2Client } }).aws.ec2(ctx.source);
            await client.send(new CreateTagsCommand({ Resources: [resource.nativeId], Tags: [{ Key: 'unjournaled', Value: 'yes' }] }));
            return h.replicate(resource, ctx);
          },
        };
        return unwrapped;
      },
    }));
    const account = await call(core, 'dr:accounts.create', { name: 'moto', provider: 'aws', cloud: 'aws', credentials: { kind: 'aws-access-key', ...creds } });
    const source = await call(core, 'dr:environments.create', { accountId: account.id, name: 'east', region: SOURCE, scope: '' });
    const target = await call(core, 'dr:environments.create', { accountId: account.id, name: 'west', region: TARGET, scope: '' });
    const found = await call(core, 'dr:inventory.discover', { environmentId: source.id });
    const policy = await call(core, 'dr:policies.create', {
      name: 'One',
      sourceEnvironmentId: source.id,
      targetEnvironmentId: target.id,
      resources: found.map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
      schedule: null,
      webhookUrl: null,
    });
    expect((await waitForJob(core, (await call(core, 'dr:replication.run', { policyId: policy.id })).jobId, 60_000)).status).toBe('succeeded');
    const uncovered = sent.filter((r) => r.mutating && r.uncovered !== null);
    expect(uncovered).toEqual([expect.objectContaining({ service: 'ec2', operation: 'CreateTags', uncovered: 'ec2:CreateTags was sent with no open intent of its step in the journal' })]);
    // The adapter's own CreateTags calls (image, source mark) were covered.
    expect(sent.filter((r) => r.operation === 'CreateTags' && r.uncovered === null).length).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
