// An AWS account in the real console (headless Chromium, real core) against moto: add it with access
// keys, test its connection (the account id is shown), then fail over a policy protecting an EC2
// instance and read the launched instance back from moto with the SDK.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { expect, test } from '@playwright/test';
import type { JobKind } from '../../shared/domain';
import { MOTO_INSTALL, motoAvailable, motoMissing, startMoto, type MotoServer } from '../peers/moto-server';
import { CHROMIUM_PATH, openConsole, type ConsoleHandle } from './harness';

const chromiumPresent = existsSync(CHROMIUM_PATH);
const ci = process.env.CI === 'true';
const skipReason = !chromiumPresent
  ? `Chromium not installed at ${CHROMIUM_PATH} (apt-get install -y chromium)`
  : `moto not installed; install with ${MOTO_INSTALL}`;
const mustRun = (chromiumPresent && motoAvailable()) || ci;
const creds = { accessKeyId: 'AKIAMOTOE2ETEST00001', secretAccessKey: 'moto-e2e-secret' };

async function waitForJobs(c: ConsoleHandle, policyId: string, kind: JobKind, count: number): Promise<void> {
  await expect
    .poll(
      async () => {
        const jobs = await c.call('dr:jobs.list', { policyId, kind, offset: 0, limit: 20 });
        const open = jobs.items.filter((j) => j.status === 'running' || j.status === 'queued').length;
        const failed = jobs.items.find((j) => j.status === 'failed');
        if (failed) throw new Error(`${kind} job failed: ${JSON.stringify(failed)}`);
        return open > 0 ? -1 : jobs.items.filter((j) => j.status === 'succeeded').length;
      },
      { timeout: 60_000 },
    )
    .toBe(count);
}

test.describe(mustRun ? 'AWS account in Chromium against moto' : `AWS account in Chromium against moto — ${skipReason}`, () => {
  test.skip(!mustRun, skipReason);
  let moto: MotoServer;
  test.beforeAll(async () => {
    if (!motoAvailable()) throw motoMissing();
    moto = await startMoto();
  });
  test.afterAll(async () => {
    await moto?.stop();
  });

  test('add an AWS account with access keys, test its connection, fail over a policy on it', async () => {
    const ec2 = (region: string) => new EC2Client({ region, endpoint: moto.url, credentials: creds });
    const images = await ec2('us-east-1').send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const seeded = await ec2('us-east-1').send(
      new RunInstancesCommand({
        ImageId: images.Images?.[0]?.ImageId,
        InstanceType: 't3.small',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'checkout-api' }] }],
      }),
    );
    const sourceId = seeded.Instances?.[0]?.InstanceId ?? '';

    const c = await openConsole({ providers: { aws: { endpoint: moto.url, pollIntervalMs: 20 } } });
    try {
      const { page } = c;
      await page.getByRole('button', { name: 'Create rehearsal workspace' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Policies' })).toBeVisible();

      // Add the account through the dialog; the secret goes into a password input.
      await page.getByRole('link', { name: 'Accounts', exact: true }).first().click();
      await page.getByRole('button', { name: 'Add account' }).first().click();
      const dialog = page.getByRole('dialog', { name: 'Add cloud account' });
      await dialog.getByLabel('Account name').fill('Shop AWS');
      await dialog.getByLabel('Provider').selectOption('aws');
      await expect(dialog.getByLabel('Cloud')).toHaveValue('aws');
      await dialog.getByLabel('Sign in with').selectOption('aws-access-key');
      await dialog.getByLabel('Access key id').fill(creds.accessKeyId);
      const secret = dialog.getByLabel('Secret access key');
      await expect(secret).toHaveAttribute('type', 'password');
      await secret.fill(creds.secretAccessKey);
      await dialog.getByRole('button', { name: 'Add account' }).click();
      await expect(dialog).toBeHidden();
      // The console offers the account's first environment next; those are made below through the router.
      const envDialog = page.getByRole('dialog', { name: 'Add environment' });
      await expect(envDialog).toBeVisible();
      await envDialog.getByRole('button', { name: 'Cancel' }).click();
      await expect(page.getByRole('rowheader', { name: 'Shop AWS' })).toBeVisible();
      // Nothing secret is on the page after the dialog closed.
      expect(await page.content()).not.toContain(creds.secretAccessKey);

      await page.getByRole('button', { name: 'Test connection of Shop AWS' }).click();
      await expect(page.getByText('Connected as 123456789012')).toBeVisible();

      // A policy on the account (set up through the router, as the UI would), replicated once.
      const account = (await c.call('dr:accounts.list', {})).find((a) => a.name === 'Shop AWS');
      if (!account) throw new Error('the AWS account was not created');
      const source = await c.call('dr:environments.create', { accountId: account.id, name: 'Shop us-east-1', region: 'us-east-1', scope: '' });
      const target = await c.call('dr:environments.create', { accountId: account.id, name: 'Shop eu-west-1', region: 'eu-west-1', scope: '' });
      const found = await c.call('dr:inventory.discover', { environmentId: source.id });
      const instance = found.find((r) => r.nativeId === sourceId);
      expect(instance).toMatchObject({ type: 'aws.ec2-instance', name: 'checkout-api' });
      const policy = await c.call('dr:policies.create', {
        name: 'Checkout on AWS',
        sourceEnvironmentId: source.id,
        targetEnvironmentId: target.id,
        resources: [{ type: 'aws.ec2-instance', nativeId: sourceId, name: 'checkout-api' }],
        schedule: null,
        webhookUrl: null,
      });

      await page.getByRole('link', { name: 'Policies', exact: true }).first().click();
      await page.getByRole('row', { name: /Checkout on AWS/ }).getByRole('link', { name: 'Checkout on AWS' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Checkout on AWS' })).toBeVisible();
      await page.getByRole('button', { name: 'Run replication' }).click();
      await waitForJobs(c, policy.id, 'replication', 1);

      const header = page.locator('.details-header');
      await header.getByRole('button', { name: 'Failover', exact: true }).click();
      const confirm = page.getByRole('dialog', { name: 'Fail over Checkout on AWS' });
      await confirm.getByRole('checkbox', { name: /I understand/ }).check();
      await confirm.getByRole('button', { name: 'OK', exact: true }).click();
      await waitForJobs(c, policy.id, 'failover', 1);
      await expect(header.getByText('Failed over')).toBeVisible();

      // The instance runs in the target region, from the recovery point's image, with the saved type.
      const points = await c.call('dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 5 });
      expect(points.items).toHaveLength(1);
      const r = await ec2('eu-west-1').send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] }));
      const launched = (r.Reservations ?? []).flatMap((x) => x.Instances ?? []);
      expect(launched).toHaveLength(1);
      expect(launched[0]?.InstanceType).toBe('t3.small');
      expect(launched[0]?.Tags).toEqual(expect.arrayContaining([{ Key: 'Name', Value: 'checkout-api' }]));
      const jobs = await c.call('dr:jobs.list', { policyId: policy.id, kind: 'failover', offset: 0, limit: 5 });
      const mappings = await c.call('dr:jobs.mappings', { jobId: jobs.items[0]!.id });
      expect(mappings).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'Instance', sourceId, targetId: launched[0]?.InstanceId })]));
      await expect(page.getByRole('region', { name: 'Resource mapping: source to target' }).getByText(launched[0]?.InstanceId ?? '-')).toBeVisible();
    } finally {
      await c.close();
    }
  });
  test('pick an SSO profile from ~/.aws/config, or assume a role with an external id from access keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fc-e2e-aws-'));
    const saved = { config: process.env.AWS_CONFIG_FILE, creds: process.env.AWS_SHARED_CREDENTIALS_FILE };
    writeFileSync(
      join(dir, 'config'),
      '[profile corp-admin]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\nregion = eu-west-1\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n[profile ci]\nregion = us-east-1\n',
    );
    writeFileSync(join(dir, 'credentials'), '[ci]\naws_access_key_id = AKIAEXAMPLE0000000001\naws_secret_access_key = never-shown-secret\n');
    process.env.AWS_CONFIG_FILE = join(dir, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
    const c = await openConsole({ providers: { aws: { endpoint: moto.url, pollIntervalMs: 20 } } });
    try {
      const { page } = c;
      await page.getByRole('button', { name: 'Create rehearsal workspace' }).click();
      await page.getByRole('link', { name: 'Accounts', exact: true }).first().click();

      // A named profile: the picker lists the profiles, the SSO one labelled with its start URL.
      await page.getByRole('button', { name: 'Add account' }).first().click();
      let dialog = page.getByRole('dialog', { name: 'Add cloud account' });
      await dialog.getByLabel('Account name').fill('Corp SSO');
      await dialog.getByLabel('Provider').selectOption('aws');
      await dialog.getByLabel('Sign in with').selectOption('aws-profile');
      const picker = dialog.getByLabel('Profile');
      await expect(picker.locator('option')).toHaveText(['Choose…', 'ci (us-east-1)', 'corp-admin (SSO https://corp.awsapps.com/start, eu-west-1)']);
      await picker.selectOption('corp-admin');
      await expect(dialog.getByText('aws sso login --profile corp-admin')).toBeVisible();
      expect(await page.content()).not.toContain('never-shown-secret');
      await dialog.getByRole('button', { name: 'Add account' }).click();
      await expect(dialog).toBeHidden();
      await page.getByRole('dialog', { name: 'Add environment' }).getByRole('button', { name: 'Cancel' }).click();
      // No SSO session on this machine: Test connection says what to run.
      await page.getByRole('button', { name: 'Test connection of Corp SSO' }).click();
      await expect(page.getByText(/aws sso login --profile corp-admin/).first()).toBeVisible();

      // Assume a role with an external id, from access keys.
      await page.getByRole('button', { name: 'Add account' }).first().click();
      dialog = page.getByRole('dialog', { name: 'Add cloud account' });
      await dialog.getByLabel('Account name').fill('Partner role');
      await dialog.getByLabel('Provider').selectOption('aws');
      await dialog.getByLabel('Sign in with').selectOption('aws-assume-role');
      await dialog.getByLabel('Role ARN').fill('arn:aws:iam::210987654321:role/failover-console');
      await dialog.getByLabel(/External id/).fill('partner-ext-42');
      await dialog.getByLabel('Assume the role with').selectOption('keys');
      await dialog.getByLabel('Access key id').fill(creds.accessKeyId);
      await expect(dialog.getByLabel('Secret access key')).toHaveAttribute('type', 'password');
      await dialog.getByLabel('Secret access key').fill(creds.secretAccessKey);
      await dialog.getByRole('button', { name: 'Add account' }).click();
      await expect(dialog).toBeHidden();
      await page.getByRole('dialog', { name: 'Add environment' }).getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('button', { name: 'Test connection of Partner role' }).click();
      await expect(page.getByText('Connected as 210987654321')).toBeVisible();
      const accounts = await c.call('dr:accounts.list', {});
      expect(accounts.find((a) => a.name === 'Partner role')?.credentialKind).toBe('aws-assume-role');
      expect(JSON.stringify(accounts)).not.toContain(creds.secretAccessKey);
    } finally {
      await c.close();
      if (saved.config === undefined) delete process.env.AWS_CONFIG_FILE;
      else process.env.AWS_CONFIG_FILE = saved.config;
      if (saved.creds === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE;
      else process.env.AWS_SHARED_CREDENTIALS_FILE = saved.creds;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
