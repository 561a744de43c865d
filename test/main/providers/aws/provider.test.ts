// The AWS provider as the core sees it, against moto: five types registered, Test connection with
// access keys, a named profile and an assumed role (external id), an expired SSO session explained,
// and discovery across the types of one region.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { RESOURCE_TYPES } from '../../../../shared/catalog';
import { createAwsProvider, type AwsProvider } from '../../../../main/providers/aws';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import type { ResolvedAccount } from '../../../../main/providers/types';
import { useTempDirs } from '../../../helpers/temp-dir';
import { describeMoto, startMoto, type MotoServer } from '../../../peers/moto';
import { env, motoAccount } from './step-context';

const creds = { accessKeyId: 'AKIAMOTOPROVIDER0001', secretAccessKey: 'moto-provider' };
const account = (id: string, credentials: ResolvedAccount['credentials']): ResolvedAccount => ({ id, name: id, provider: 'aws', cloud: 'aws', credentials });

describeMoto('AWS provider against moto', () => {
  const tempDir = useTempDirs('fc-aws-provider-');
  let moto: MotoServer;
  let provider: AwsProvider;
  const saved = { config: process.env.AWS_CONFIG_FILE, creds: process.env.AWS_SHARED_CREDENTIALS_FILE, home: process.env.HOME };
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  afterEach(async () => {
    provider?.close();
    await moto.reset();
    for (const [k, v] of [['AWS_CONFIG_FILE', saved.config], ['AWS_SHARED_CREDENTIALS_FILE', saved.creds], ['HOME', saved.home]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const fresh = () => (provider = createAwsProvider({ endpoint: moto.url, pollIntervalMs: 10 }));
  const signal = () => AbortSignal.timeout(20_000);

  it('serves all five AWS types and nothing else', () => {
    const p = fresh();
    for (const t of RESOURCE_TYPES) expect(p.handler(t.id)?.type, t.id).toBe(t.cloud === 'aws' ? t.id : undefined);
    expect(p).toMatchObject({ kind: 'aws', simulated: false, clouds: ['aws'] });
  });

  it('tests the connection with access keys and shows the account id', async () => {
    const check = await fresh().testConnection(account('acc-keys', { kind: 'aws-access-key', ...creds }), signal());
    expect(check.identity).toBe('123456789012');
    expect(check.message).toContain('123456789012');
  });

  it('uses a named profile from AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config'), '[profile moto-dev]\nregion = us-east-1\n');
    writeFileSync(join(dir, 'credentials'), `[moto-dev]\naws_access_key_id = ${creds.accessKeyId}\naws_secret_access_key = ${creds.secretAccessKey}\n`);
    process.env.AWS_CONFIG_FILE = join(dir, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
    const check = await fresh().testConnection(account('acc-profile', { kind: 'aws-profile', profile: 'moto-dev' }), signal());
    expect(check.identity).toBe('123456789012');
  });

  it('assumes a role (with external id) from access keys', async () => {
    const check = await fresh().testConnection(
      account('acc-role', {
        kind: 'aws-assume-role',
        roleArn: 'arn:aws:iam::210987654321:role/failover-console',
        externalId: 'shop-dr-7',
        sessionName: 'dr-console',
        source: { kind: 'aws-access-key', ...creds },
      }),
      signal(),
    );
    // moto answers GetCallerIdentity for the assumed role's session: the role's account.
    expect(check.identity).toBe('210987654321');
    expect(check.message).toMatch(/assumed-role\/failover-console\/dr-console/);
  });

  it('an SSO profile without a live session says to run aws sso login', async () => {
    const dir = tempDir();
    process.env.HOME = dir;
    writeFileSync(
      join(dir, 'config'),
      '[profile corp-admin]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\nregion = us-east-1\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n',
    );
    process.env.AWS_CONFIG_FILE = join(dir, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
    await expect(fresh().testConnection(account('acc-sso', { kind: 'aws-profile', profile: 'corp-admin' }), signal())).rejects.toSatisfy(
      (e) =>
        e instanceof ProviderFailure &&
        e.code === 'ProviderAuthFailed' &&
        e.message === 'Your AWS SSO session for profile corp-admin expired: run `aws sso login --profile corp-admin`, then retry.',
    );
  });

  it('discovers instances, buckets and tables of one region with names and tags', async () => {
    const p = fresh();
    const c = { region: 'us-east-1', endpoint: moto.url, credentials: creds };
    const images = await new EC2Client(c).send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    await new EC2Client(c).send(
      new RunInstancesCommand({ ImageId: images.Images?.[0]?.ImageId, MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web-01' }] }] }),
    );
    await new S3Client({ ...c, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'assets-prod' }));
    await new DynamoDBClient(c).send(
      new CreateTableCommand({
        TableName: 'orders',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        Tags: [{ Key: 'team', Value: 'orders' }],
      }),
    );
    const found = await p.discover(env('us-east-1', motoAccount()), signal());
    expect(found.map((f) => [f.type, f.name]).sort()).toEqual([
      ['aws.dynamodb', 'orders'],
      ['aws.ec2-instance', 'web-01'],
      ['aws.s3-bucket', 'assets-prod'],
    ]);
    expect(found.find((f) => f.name === 'orders')?.tags).toEqual({ team: 'orders' });
    for (const f of found) expect(f.summary.length).toBeGreaterThan(0);
    expect(await p.discover(env('eu-west-1', motoAccount()), signal())).toEqual([]);
  });
});
