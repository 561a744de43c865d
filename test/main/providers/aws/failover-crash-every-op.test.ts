// Crash proof of the AWS adapter on the journal of operations: a child process runs an EC2 and an EKS
// failover against moto and SIGKILLs itself right after the N-th mutating AWS response arrived, before
// the adapter (and the journal) saw it, for every N of a clean run. A second child resumes the job; moto
// then holds exactly what a clean failover makes: no duplicate instance, volume, security group,
// cluster, node group, IAM role, policy or instance profile. The IAM entities are deleted after the
// replication so that the failover has to create them (R7 would otherwise reuse them).
// The kill points are the failover's own mutating calls: the child is told the console's target-store
// bucket (consoleBucketName, main/providers/aws/target-store.ts) and does not count the requests to it
// (the failover lease, taken before the job exists and written with conditional writes that are their own
// idempotency guard, and the catalog manifests); it reports them as bookkeeping.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateClusterCommand, CreateNodegroupCommand, EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  IAMClient,
  ListInstanceProfilesCommand,
  ListPoliciesCommand,
  ListRolesCommand,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { composeCore } from '../../../../main/compose';
import { StaticKeyProvider } from '../../../../main/credentials/static-key-provider';
import { createAwsProvider } from '../../../../main/providers/aws';
import { consoleBucketName } from '../../../../main/providers/aws/target-store';
import { call, SCENARIO_KEY, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { describeMoto, startMoto, type MotoServer } from '../../../peers/moto';

const CHILD = resolve(import.meta.dirname, '../../../fixtures/aws-failover-child.ts');
const REPO = resolve(import.meta.dirname, '../../../..');
const SOURCE = 'us-east-1';
const TARGET = 'us-west-2';
const creds = { accessKeyId: 'AKIAMOTOCRASHEVERY01', secretAccessKey: 'moto-crash' };
const trust = (service: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });

interface ChildRun {
  outcome: 'killed' | 'done' | 'failed';
  mutations: string[];
  /** Requests to the console's own target-store bucket: not counted, never a kill point. */
  bookkeeping: string[];
  stderr: string;
}

function runChild(dataDir: string, policyId: string, motoUrl: string, consoleBucket: string, killAfter?: number): Promise<ChildRun> {
  const args = ['--import', 'tsx', CHILD, dataDir, policyId, motoUrl, '--console-bucket', consoleBucket, ...(killAfter !== undefined ? ['--kill-after', String(killAfter)] : [])];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const mutations: string[] = [];
    const bookkeeping: string[] = [];
    let finished = false;
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      let nl: number;
      while ((nl = stdout.indexOf('\n')) >= 0) {
        const line = stdout.slice(0, nl);
        stdout = stdout.slice(nl + 1);
        const m = /^MUTATION \d+ (\S+)$/.exec(line);
        if (m) mutations.push(m[1]!);
        const k = /^BOOKKEEPING (\S+)$/.exec(line);
        if (k) bookkeeping.push(k[1]!);
        if (/^DONE \d+$/.test(line)) finished = true;
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 20_000) stderr += chunk;
    });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ outcome: signal === 'SIGKILL' && killAfter !== undefined && !finished ? 'killed' : code === 0 && finished ? 'done' : 'failed', mutations, bookkeeping, stderr });
    });
  });
}

describeMoto('AWS failover killed after every mutating call resumes with no duplicate (child processes, moto)', () => {
  let moto: MotoServer;
  let root = '';
  /** The target store's bucket in the target region, named by the store's own function. */
  let consoleBucket = '';
  beforeAll(async () => {
    moto = await startMoto();
    root = mkdtempSync(join(tmpdir(), 'fc-aws-crash-every-'));
    const who = await new STSClient({ region: TARGET, endpoint: moto.url, credentials: creds }).send(new GetCallerIdentityCommand({}));
    consoleBucket = consoleBucketName(who.Account!, TARGET);
  });
  afterAll(async () => {
    await moto?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const ec2 = (region: string) => new EC2Client({ region, endpoint: moto.url, credentials: creds });
  const eks = (region: string) => new EKSClient({ region, endpoint: moto.url, credentials: creds });
  const iam = () => new IAMClient({ region: SOURCE, endpoint: moto.url, credentials: creds });

  /** A fresh moto with the source resources, a policy over them and one recovery point, in a new data folder. */
  async function prepare(name: string, seed: () => Promise<void>, forgetIam: () => Promise<void>): Promise<{ dir: string; policyId: string }> {
    await moto.reset();
    await seed();
    const dir = mkdtempSync(join(root, `${name}-`));
    const core = composeCore({
      dataDir: dir,
      keyProvider: new StaticKeyProvider(SCENARIO_KEY),
      startScheduler: false,
      startWebhooks: false,
      logger: stderrLogger,
      providers: () => [createAwsProvider({ endpoint: moto.url, pollIntervalMs: 10 })],
    });
    try {
      const account = await call(core, 'dr:accounts.create', { name: 'moto', provider: 'aws', cloud: 'aws', credentials: { kind: 'aws-access-key', ...creds } });
      const source = await call(core, 'dr:environments.create', { accountId: account.id, name: 'east', region: SOURCE, scope: '' });
      const target = await call(core, 'dr:environments.create', { accountId: account.id, name: 'west', region: TARGET, scope: '' });
      const found = await call(core, 'dr:inventory.discover', { environmentId: source.id });
      const policy = await call(core, 'dr:policies.create', {
        name,
        sourceEnvironmentId: source.id,
        targetEnvironmentId: target.id,
        resources: found.map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
        schedule: null,
        webhookUrl: null,
      });
      const rep = await call(core, 'dr:replication.run', { policyId: policy.id });
      expect((await waitForJob(core, rep.jobId, 120_000)).status).toBe('succeeded');
      await forgetIam();
      return { dir, policyId: policy.id };
    } finally {
      await core.close();
    }
  }

  /** Kills at every mutating call of a clean run, resumes, and compares what moto holds with the clean run. */
  async function everyOperation(name: string, seed: () => Promise<void>, forgetIam: () => Promise<void>, counts: () => Promise<Record<string, unknown>>) {
    const clean = await prepare(name, seed, forgetIam);
    const run = await runChild(clean.dir, clean.policyId, moto.url, consoleBucket);
    expect(run.outcome, run.stderr).toBe('done');
    // The lease was written to the console's bucket, and left out of the kill points.
    expect(run.bookkeeping).toContain('s3:PutObject');
    const expected = await counts();
    const operations = run.mutations;
    expect(operations.length).toBeGreaterThan(0);
    const results: { at: number; operation: string; counts: Record<string, unknown> }[] = [];
    for (let n = 1; n <= operations.length; n++) {
      const p = await prepare(name, seed, forgetIam);
      const killed = await runChild(p.dir, p.policyId, moto.url, consoleBucket, n);
      expect(killed.outcome, `kill after mutation ${n}: ${killed.stderr}`).toBe('killed');
      expect(killed.mutations.at(-1)).toBe(operations[n - 1]);
      const resumed = await runChild(p.dir, p.policyId, moto.url, consoleBucket);
      expect(resumed.outcome, `resume after kill ${n}: ${resumed.stderr}`).toBe('done');
      results.push({ at: n, operation: operations[n - 1]!, counts: await counts() });
    }
    console.log(`${name}: SIGKILL after each of ${operations.length} mutating calls (${operations.join(', ')}), resumed each time; moto after every resume: ${JSON.stringify(expected)}`);
    // Every kill point ends where the clean run ends: nothing duplicated, nothing missing.
    expect(results).toEqual(operations.map((operation, i) => ({ at: i + 1, operation, counts: expected })));
    return { operations, expected };
  }

  it('EC2: killed after each mutating call of the failover (IAM, groups, RunInstances), the resumed failover leaves one of everything', async () => {
    const seed = async () => {
      const role = await iam().send(new CreateRoleCommand({ RoleName: 'web-app-role', AssumeRolePolicyDocument: trust('ec2.amazonaws.com') }));
      const policy = await iam().send(
        new CreatePolicyCommand({ PolicyName: 'web-app-read', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }) }),
      );
      await iam().send(new AttachRolePolicyCommand({ RoleName: role.Role!.RoleName!, PolicyArn: policy.Policy!.Arn! }));
      await iam().send(new CreateInstanceProfileCommand({ InstanceProfileName: 'web-app-profile' }));
      await iam().send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'web-app-profile', RoleName: 'web-app-role' }));
      const e = ec2(SOURCE);
      const sg = await e.send(new CreateSecurityGroupCommand({ GroupName: 'web-sg', Description: 'web' }));
      await e.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg.GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
      const images = await e.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
      await e.send(
        new RunInstancesCommand({
          ImageId: images.Images?.[0]?.ImageId,
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
          SecurityGroupIds: [sg.GroupId!],
          IamInstanceProfile: { Name: 'web-app-profile' },
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web-01' }] }],
        }),
      );
    };
    const forgetIam = async () => {
      const policies = (await iam().send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies ?? [];
      await iam().send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'web-app-profile', RoleName: 'web-app-role' }));
      await iam().send(new DeleteInstanceProfileCommand({ InstanceProfileName: 'web-app-profile' }));
      for (const p of policies) {
        await iam().send(new DetachRolePolicyCommand({ RoleName: 'web-app-role', PolicyArn: p.Arn }));
        await iam().send(new DeletePolicyCommand({ PolicyArn: p.Arn }));
      }
      await iam().send(new DeleteRoleCommand({ RoleName: 'web-app-role' }));
    };
    const counts = async () => {
      const r = await ec2(TARGET).send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] }));
      const instances = (r.Reservations ?? []).flatMap((x) => x.Instances ?? []);
      return {
        instances: instances.length,
        volumes: ((await ec2(TARGET).send(new DescribeVolumesCommand({}))).Volumes ?? []).length,
        groups: ((await ec2(TARGET).send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['web-sg'] }] }))).SecurityGroups ?? []).length,
        roles: ((await iam().send(new ListRolesCommand({}))).Roles ?? []).map((x) => x.RoleName).sort(),
        policies: ((await iam().send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies ?? []).map((x) => x.PolicyName).sort(),
        profiles: ((await iam().send(new ListInstanceProfilesCommand({}))).InstanceProfiles ?? []).map((x) => `${x.InstanceProfileName}:${(x.Roles ?? []).length}`).sort(),
      };
    };
    const { operations, expected } = await everyOperation('Web', seed, forgetIam, counts);
    expect(operations).toEqual(
      expect.arrayContaining(['iam:CreateRole', 'iam:CreatePolicy', 'iam:AttachRolePolicy', 'iam:CreateInstanceProfile', 'iam:AddRoleToInstanceProfile', 'ec2:CreateSecurityGroup', 'ec2:AuthorizeSecurityGroupIngress', 'ec2:RunInstances']),
    );
    expect(expected).toEqual({ instances: 1, volumes: 1, groups: 1, roles: ['web-app-role'], policies: ['web-app-read'], profiles: ['web-app-profile:1'] });
  }, 1_500_000);

  it('EKS: killed after each mutating call of the failover (IAM, cluster, node group, volume), the resumed failover leaves one of everything', async () => {
    const seed = async () => {
      const clusterRole = (await iam().send(new CreateRoleCommand({ RoleName: 'shop-cluster-role', AssumeRolePolicyDocument: trust('eks.amazonaws.com') }))).Role!;
      const nodeRole = (await iam().send(new CreateRoleCommand({ RoleName: 'shop-node-role', AssumeRolePolicyDocument: trust('ec2.amazonaws.com') }))).Role!;
      const policy = (
        await iam().send(new CreatePolicyCommand({ PolicyName: 'shop-ebs-csi', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:CreateVolume', Resource: '*' }] }) }))
      ).Policy!;
      await iam().send(new AttachRolePolicyCommand({ RoleName: 'shop-node-role', PolicyArn: policy.Arn }));
      const subnets = (await ec2(SOURCE).send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }))).Subnets!.slice(0, 2).map((s) => s.SubnetId!);
      await eks(SOURCE).send(new CreateClusterCommand({ name: 'shop', version: '1.31', roleArn: clusterRole.Arn, resourcesVpcConfig: { subnetIds: subnets }, tags: { app: 'shop' } }));
      await eks(SOURCE).send(new CreateNodegroupCommand({ clusterName: 'shop', nodegroupName: 'apps', nodeRole: nodeRole.Arn, subnets, scalingConfig: { minSize: 1, maxSize: 3, desiredSize: 2 } }));
      const vol = await ec2(SOURCE).send(new CreateVolumeCommand({ AvailabilityZone: `${SOURCE}a`, Size: 30, VolumeType: 'gp3' }));
      await ec2(SOURCE).send(new CreateTagsCommand({ Resources: [vol.VolumeId!], Tags: [{ Key: 'kubernetes.io/cluster/shop', Value: 'owned' }] }));
    };
    const forgetIam = async () => {
      const policies = (await iam().send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies ?? [];
      for (const p of policies) {
        await iam().send(new DetachRolePolicyCommand({ RoleName: 'shop-node-role', PolicyArn: p.Arn }));
        await iam().send(new DeletePolicyCommand({ PolicyArn: p.Arn }));
      }
      await iam().send(new DeleteRoleCommand({ RoleName: 'shop-node-role' }));
      await iam().send(new DeleteRoleCommand({ RoleName: 'shop-cluster-role' }));
    };
    const counts = async () => {
      const clusters = ((await eks(TARGET).send(new ListClustersCommand({}))).clusters ?? []).sort();
      const nodegroups: string[] = [];
      for (const c of clusters) for (const ng of (await eks(TARGET).send(new ListNodegroupsCommand({ clusterName: c }))).nodegroups ?? []) nodegroups.push(`${c}/${ng}`);
      return {
        clusters,
        nodegroups,
        volumes: ((await ec2(TARGET).send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag-key', Values: ['kubernetes.io/cluster/shop'] }] }))).Volumes ?? []).map((v) => v.Size),
        roles: ((await iam().send(new ListRolesCommand({}))).Roles ?? []).map((x) => x.RoleName).sort(),
        policies: ((await iam().send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies ?? []).map((x) => x.PolicyName).sort(),
      };
    };
    const { operations, expected } = await everyOperation('Shop', seed, forgetIam, counts);
    expect(operations).toEqual(expect.arrayContaining(['iam:CreateRole', 'iam:CreatePolicy', 'iam:AttachRolePolicy', 'eks:CreateCluster', 'eks:CreateNodegroup', 'ec2:CreateVolume']));
    expect(expected).toEqual({ clusters: ['shop'], nodegroups: ['shop/apps'], volumes: [30], roles: ['shop-cluster-role', 'shop-node-role'], policies: ['shop-ebs-csi'] });
  }, 1_500_000);
});
