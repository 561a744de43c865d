// The Azure walk in the real console (headless Chromium, real core, real SQLite), all through the UI
// as an operator would: add a service-principal account (tokens from the identity peer, over HTTPS,
// through MSAL), Test connection, a source and a target environment from the account's resource
// groups on the ARM peer, the policy wizard with the VM (seeded through the real SDK) and a webhook
// with a Standard Webhooks secret, Run replication twice, Failover with its confirmation. Then the
// peer holds exactly one VM, one NIC and the VM's disks in the target group, made from the point's
// snapshots; the failover lease is a blob of the console's storage account on Azurite (no override);
// the webhook's body verifies with the standardwebhooks library and lists the VM, its disks, NIC,
// virtual network and public IP with ARM ids in the product document's order and shape.
// Every wait is for a state (a dialog, a status, a job's stored status), never a toast or a delay.

import { existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { expect, test, type Page } from '@playwright/test';
import { Webhook } from 'standardwebhooks';
import { consoleStorageAccountName, CONSOLE_CONTAINER } from '../../main/providers/azure/target-store';
import { parseLease, STORE_KEYS } from '../../main/providers/target-store';
import { contractProblems, seedVm, SOURCE_LOCATION, SOURCE_RG, SUBSCRIPTION, TARGET_LOCATION, TARGET_RG, worldProviderOptions } from '../conformance/azure-peer';
import { bearerOverHttp, peerClients } from '../peers/azure-arm/sdk';
import { startArmPeer, type ArmPeer } from '../peers/azure-arm/server';
import { AZURITE_INSTALL, azuriteAvailable, azuriteMissing, startAzurite, type AzuritePeer } from '../peers/azurite';
import { startIdentityPeer, type IdentityPeer } from '../peers/identity';
import { expectAccessible, waitForJobs } from './console-bed';
import { CHROMIUM_PATH, openConsole, type ConsoleHandle } from './harness';

const chromiumPresent = existsSync(CHROMIUM_PATH);
const ci = process.env.CI === 'true';
const skipReason = !chromiumPresent
  ? `Chromium not installed at ${CHROMIUM_PATH} (apt-get install -y chromium)`
  : `Azurite not installed; install with ${AZURITE_INSTALL}`;
const mustRun = (chromiumPresent && azuriteAvailable()) || ci;
/** Screenshots of the walk's key screens, for people to look at (not compared by the test). */
const SHOTS = process.env.AZURE_SHOTS_DIR ?? 'test-results/azure-failover';

const TENANT = '7a1d3c2e-0000-4000-8000-0000000000aa';
const CLIENT = '0c9b8a7d-0000-4000-8000-0000000000bb';
const SP_SECRET = 'walk-sp-secret-Zq4~Lm8.Rt2Vx6';
const POLICY = 'Payments VM on Azure';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback webhook receiver keeping each request's headers and exact body. */
function webhookReceiver(): Promise<{ server: Server; url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      ok({ server, deliveries, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/failover-hook` });
    }),
  );
}

/** The style rules of the app's stylesheet that sit inside another style rule (a lost `}` nests everything after it). */
function nestedStyleRules(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const sheet of document.styleSheets) {
      for (const rule of sheet.cssRules) {
        if (rule instanceof CSSStyleRule && rule.cssRules.length > 0) out.push(`${rule.selectorText} holds ${rule.cssRules.length} rules`);
      }
    }
    return out;
  });
}

test.describe(mustRun ? 'Azure failover walk in Chromium against the identity, ARM and Azurite peers' : `Azure failover walk in Chromium — ${skipReason}`, () => {
  test.skip(!mustRun, skipReason);
  let idp: IdentityPeer;
  let azurite: AzuritePeer;
  let arm: ArmPeer;

  test.beforeAll(() => {
    mkdirSync(SHOTS, { recursive: true });
  });
  test.beforeEach(async () => {
    if (!azuriteAvailable()) throw azuriteMissing();
    idp = await startIdentityPeer();
    azurite = await startAzurite({ accounts: 2 });
    // Storage accounts made through ARM (the console's target store) get their blob endpoint on Azurite.
    arm = await startArmPeer({ subscriptionIds: [SUBSCRIPTION], subscriptionNames: { [SUBSCRIPTION]: 'Payments production' }, blobDataPlane: (name) => azurite.dataPlane(name) });
    const rg = peerClients(arm).resources.resourceGroups;
    await rg.createOrUpdate(SOURCE_RG, { location: SOURCE_LOCATION });
    await rg.createOrUpdate(TARGET_RG, { location: TARGET_LOCATION });
  });
  test.afterEach(async () => {
    expect(contractProblems(arm)).toEqual([]);
    await arm?.close();
    await azurite?.stop();
    await idp?.stop();
  });

  async function open(): Promise<ConsoleHandle> {
    const authority = { authority: idp.url, knownAuthorities: [idp.host] };
    return openConsole({
      // The provider's ARM clients and the dialogs' lists both send MSAL's token from the identity peer.
      providers: { sim: false, aws: false, azure: worldProviderOptions(arm, idp) },
      azure: {
        endpoints: {
          customAuthority: authority,
          armEndpoint: arm.url,
          armClientOptions: { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } },
          armPipeline: bearerOverHttp(),
        },
      },
      ignoreHTTPSErrors: true,
    });
  }

  async function addEnvironment(page: Page, name: string, group: string, location: string): Promise<void> {
    const env = page.getByRole('dialog', { name: 'Add environment' });
    await expect(env).toBeVisible();
    await expect(env.getByLabel('Subscription')).toHaveValue(SUBSCRIPTION);
    // A text field while the groups are listed; the list once they are.
    const groups = env.getByRole('combobox', { name: 'Resource group' });
    await expect(groups.locator('option', { hasText: `${group} (${location})` })).toHaveCount(1);
    await groups.selectOption(group);
    // The group's location fills the empty region.
    await expect(env.getByLabel('Region')).toHaveValue(location);
    await env.getByRole('button', { name: 'Test connection' }).click();
    await expect(env.getByRole('status').filter({ hasText: `Connected: 2 resource groups in subscription ${SUBSCRIPTION}.` })).toBeVisible();
    await env.getByLabel('Environment name').fill(name);
    await env.getByRole('button', { name: 'Add environment' }).click();
    await expect(env).toBeHidden();
    await expect(page.getByRole('rowheader', { name, exact: true })).toBeVisible();
  }

  test('add a service principal, test it, two environments, a policy with the VM and a signed webhook, replicate twice, fail over: one VM in the target, the lease on Azurite, the webhook as the document shows', async () => {
    // Dozens of ARM calls, two replications and a failover through the UI: room for a machine 2x slower or busy.
    test.setTimeout(360_000);
    const seeded = await seedVm(peerClients(arm));
    const hook = await webhookReceiver();
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const c = await open();
    try {
      const { page } = c;
      expect(await nestedStyleRules(page)).toEqual([]);

      // First run: add a cloud account (no rehearsal workspace).
      await page.getByRole('button', { name: 'Add a cloud account' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add cloud account' });
      await dialog.getByLabel('Account name').fill('Payments Azure');
      await dialog.getByLabel('Provider').selectOption('azure');
      await expect(dialog.getByLabel('Cloud', { exact: true })).toHaveValue('azure');
      await dialog.getByLabel('Sign in with').selectOption('azure-service-principal');
      await dialog.getByLabel('Tenant id').fill(TENANT);
      await dialog.getByLabel('Application (client) id').fill(CLIENT);
      await expect(dialog.getByLabel('Client secret')).toHaveAttribute('type', 'password');
      await dialog.getByLabel('Client secret').fill(SP_SECRET);
      await page.screenshot({ path: `${SHOTS}/01-add-account.png` });
      await expectAccessible(page, 'azure walk add account');
      await dialog.getByRole('button', { name: 'Add account' }).click();
      await expect(dialog).toBeHidden();

      // The source environment in the dialog the console offers next; the target from the account's row.
      await addEnvironment(page, 'Payments West Europe', SOURCE_RG, SOURCE_LOCATION);
      await page.getByRole('button', { name: 'Add environment to Payments Azure' }).click();
      await addEnvironment(page, 'Payments North Europe', TARGET_RG, TARGET_LOCATION);
      await page.getByRole('button', { name: 'Test connection of Payments Azure' }).click();
      await expect(page.getByText(`Connected to Azure subscription Payments production (${SUBSCRIPTION}): 2 resource groups visible.`)).toBeVisible();
      // The two environments' scopes differ in their resource group, which stays in view.
      for (const [name, group] of [['Payments West Europe', SOURCE_RG], ['Payments North Europe', TARGET_RG]] as const) {
        await expect(page.getByRole('row', { name: new RegExp(name) }).locator('.long-id-tail', { hasText: `resourceGroups/${group}` })).toBeVisible();
      }
      await page.screenshot({ path: `${SHOTS}/02-accounts-tested.png`, fullPage: true });
      await expectAccessible(page, 'azure walk accounts');
      expect(idp.tokenRequests).toEqual(expect.arrayContaining([expect.objectContaining({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: SP_SECRET })]));
      expect(await page.content()).not.toContain(SP_SECRET);

      // The policy wizard: account, environments, the VM, the webhook with its secret, review.
      await page.getByRole('link', { name: 'Policies', exact: true }).first().click();
      await page.getByRole('button', { name: 'Create policy' }).first().click();
      const form = page.getByRole('dialog', { name: 'Create policy' });
      await form.getByLabel('Policy name').fill(POLICY);
      await form.getByLabel('Cloud account').selectOption({ label: 'Payments Azure — Microsoft Azure' });
      await form.getByRole('button', { name: 'Next' }).click();
      await form.getByLabel('Source environment').selectOption({ label: 'Payments West Europe (westeurope)' });
      await form.getByLabel('Target environment').selectOption({ label: 'Payments North Europe (northeurope)' });
      await form.getByRole('button', { name: 'Next' }).click();
      const vmBox = form.getByRole('checkbox', { name: 'Select vm01' });
      await expect(vmBox).toBeVisible();
      await expect(form.getByRole('row', { name: /vm01/ }).getByText(/Standard_D2s_v5, 2 disks, 1 NIC in vnet01, public IP vm01-ip/)).toBeVisible();
      await vmBox.check();
      await expect(form.getByText('1 resource selected of 1')).toBeVisible();
      await page.screenshot({ path: `${SHOTS}/03-policy-resources.png` });
      await expectAccessible(page, 'azure walk policy resources');
      await form.getByRole('button', { name: 'Next' }).click();
      await form.getByLabel('Webhook URL').fill(hook.url);
      await form.getByLabel('Webhook signing secret').fill(secret);
      await form.getByRole('button', { name: 'Next' }).click();
      await expect(form.getByText('Signed with the new secret')).toBeVisible();
      await expect(form.getByText(hook.url)).toBeVisible();
      await page.screenshot({ path: `${SHOTS}/04-policy-review.png` });
      await expectAccessible(page, 'azure walk policy review');
      await form.getByRole('button', { name: 'Create policy' }).click();
      await expect(form).toBeHidden();
      await expect(page.getByRole('heading', { level: 1, name: POLICY })).toBeVisible();
      const policy = (await c.call('dr:policies.list', {})).find((p) => p.name === POLICY)!;
      expect(JSON.stringify(await c.call('dr:policies.get', { policyId: policy.id }))).not.toContain(secret);

      // Replicate twice, each run waited for by its stored state.
      const run = page.getByRole('button', { name: 'Run replication' });
      for (let i = 1; i <= 2; i++) {
        await expect(run).toBeEnabled();
        await run.click();
        await waitForJobs(c, policy.id, 'replication', i);
      }
      const points = (await c.call('dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 })).items;
      expect(points.map((p) => p.status)).toEqual(['succeeded', 'succeeded']);
      const latest = points[0]!;

      // Failover with its confirmation: the latest point, the webhook named, no lease override offered.
      const header = page.locator('.details-header');
      await header.getByRole('button', { name: 'Failover', exact: true }).click();
      const confirm = page.getByRole('dialog', { name: `Fail over ${POLICY}` });
      await expect(confirm.getByTestId('failover-point-time')).toHaveAttribute('datetime', latest.createdAt);
      await expect(confirm.getByText(hook.url)).toBeVisible();
      await expect(confirm.getByText(/keeps no failover lease/)).toHaveCount(0);
      const ok = confirm.getByRole('button', { name: 'OK', exact: true });
      await expect(ok).toBeDisabled();
      await confirm.getByRole('checkbox', { name: /I understand/ }).check();
      await page.screenshot({ path: `${SHOTS}/05-failover-confirm.png` });
      await expectAccessible(page, 'azure walk failover confirmation');
      await ok.click();
      await expect(confirm).toBeHidden();
      await expect(page.getByRole('region', { name: 'Start without the failover lease' })).toHaveCount(0);
      await waitForJobs(c, policy.id, 'failover', 1);
      await expect(header.getByText('Failed over')).toBeVisible();
      const job = (await c.call('dr:jobs.list', { policyId: policy.id, kind: 'failover', offset: 0, limit: 5 })).items[0]!;
      expect(job.recoveryPointId).toBe(latest.id);

      // The peer: exactly one VM, one NIC and the VM's two disks in the target group, from the point's snapshots.
      const inTarget = (type: string) => arm.list(type).filter((r) => r.id.toLowerCase().includes(`/resourcegroups/${TARGET_RG}/`));
      const vms = inTarget('Microsoft.Compute/virtualMachines');
      expect(vms.map((v) => v.name)).toEqual(['vm01']);
      const vm = vms[0]!;
      expect(vm).toMatchObject({ location: TARGET_LOCATION, properties: { provisioningState: 'Succeeded', hardwareProfile: { vmSize: 'Standard_D2s_v5' } } });
      const nics = inTarget('Microsoft.Network/networkInterfaces');
      expect(nics.map((n) => n.name)).toEqual(['vm01898_z1']);
      const disks = inTarget('Microsoft.Compute/disks');
      expect(disks.map((d) => d.name).sort()).toEqual(['vm01_DataDisk_0', 'vm01_OsDisk_1']);
      const pointCopies = new Set(
        inTarget('Microsoft.Compute/snapshots')
          .filter((s) => s.tags?.['dr:recovery-point'] === latest.id)
          .map((s) => s.id.toLowerCase()),
      );
      expect(pointCopies.size).toBe(2);
      for (const d of disks) {
        expect(pointCopies.has(String((d.properties.creationData as { sourceResourceId: string }).sourceResourceId).toLowerCase()), `${d.name} is made from the point's snapshot`).toBe(true);
        expect(d.managedBy).toBe(vm.id);
      }
      const vnet = inTarget('Microsoft.Network/virtualNetworks');
      const pip = inTarget('Microsoft.Network/publicIPAddresses');
      const nsg = inTarget('Microsoft.Network/networkSecurityGroups');
      expect(vnet.map((v) => v.name)).toEqual(['vnet01']);
      expect(pip.map((p) => p.name)).toEqual(['vm01-ip']);
      expect(nsg.map((g) => g.name)).toEqual(['vm01-nsg']);

      // The lease: the console storage account's blob on Azurite, left as the "completed" tombstone.
      await c.core.services.leases.idle();
      const leaseBlob = azurite
        .client(consoleStorageAccountName(SUBSCRIPTION, TARGET_LOCATION))
        .getContainerClient(CONSOLE_CONTAINER)
        .getBlockBlobClient(STORE_KEYS.lease(policy.id));
      expect(await leaseBlob.exists()).toBe(true);
      expect(parseLease((await leaseBlob.downloadToBuffer()).toString('utf8'))).toMatchObject({ policyId: policy.id, jobId: job.id, state: 'completed' });
      const audit = await c.call('dr:audit.list', { subjectId: policy.id, offset: 0, limit: 50 });
      expect(audit.items.map((e) => e.action).filter((a) => /override/i.test(a))).toEqual([]);

      // The webhook: delivered once, signed by Standard Webhooks, the document's entries in its order.
      await expect.poll(async () => (await c.call('dr:webhooks.list', { jobId: job.id })).map((d) => d.status), { timeout: 60_000 }).toEqual(['delivered']);
      expect(hook.deliveries).toHaveLength(1);
      const delivery = hook.deliveries[0]!;
      const headers = { 'webhook-id': String(delivery.headers['webhook-id']), 'webhook-timestamp': String(delivery.headers['webhook-timestamp']), 'webhook-signature': String(delivery.headers['webhook-signature']) };
      const verified = new Webhook(secret).verify(delivery.body, headers);
      expect(() => new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(delivery.body, headers)).toThrow();
      const src = (provider: string, name: string) => `/subscriptions/${SUBSCRIPTION}/resourceGroups/${SOURCE_RG}/providers/${provider}/${name}`;
      const tgt = (provider: string, name: string) => `/subscriptions/${SUBSCRIPTION}/resourceGroups/${TARGET_RG}/providers/${provider}/${name}`;
      const entry = (type: string, provider: string, name: string) => ({ ResourceId: src(provider, name), ResourceType: type, ResourceName: name, TargetResourceId: tgt(provider, name) });
      const expected = {
        PolicyName: POLICY,
        ResourceMapping: [
          entry('VirtualMachine', 'Microsoft.Compute/virtualMachines', 'vm01'),
          entry('Disk', 'Microsoft.Compute/disks', 'vm01_OsDisk_1'),
          entry('Disk', 'Microsoft.Compute/disks', 'vm01_DataDisk_0'),
          entry('NetworkInterface', 'Microsoft.Network/networkInterfaces', 'vm01898_z1'),
          entry('VirtualNetwork', 'Microsoft.Network/virtualNetworks', 'vnet01'),
          entry('PublicIPAddress', 'Microsoft.Network/publicIPAddresses', 'vm01-ip'),
          entry('NetworkSecurityGroup', 'Microsoft.Network/networkSecurityGroups', 'vm01-nsg'),
        ],
      };
      expect(verified).toEqual(expected);
      // The document's shape to the byte: PascalCase keys in its order, nothing else.
      expect(delivery.body).toBe(JSON.stringify(expected));
      expect(expected.ResourceMapping[0]!.ResourceId).toBe(seeded.nativeId);
      // The target ids are what the peer holds.
      const byType = (t: string) => expected.ResourceMapping.filter((m) => m.ResourceType === t).map((m) => m.TargetResourceId.toLowerCase()).sort();
      expect(byType('VirtualMachine')).toEqual([vm.id.toLowerCase()]);
      expect(byType('Disk')).toEqual(disks.map((d) => d.id.toLowerCase()).sort());
      expect(byType('NetworkInterface')).toEqual([nics[0]!.id.toLowerCase()]);
      expect(byType('VirtualNetwork')).toEqual([vnet[0]!.id.toLowerCase()]);
      expect(byType('PublicIPAddress')).toEqual([pip[0]!.id.toLowerCase()]);

      // The job view: its mapping rows show each target id's resource group, and the delivery.
      const steps = page.getByRole('region', { name: 'Steps of the selected job' });
      await expect(steps.getByRole('cell', { name: 'Stop replication', exact: true })).toBeVisible();
      const jobRow = page.getByRole('table', { name: 'Jobs of this policy, newest first' }).getByRole('row').filter({ hasText: 'Failover job' });
      await expect(jobRow.getByRole('cell', { name: 'Succeeded', exact: true })).toBeVisible();
      await page.getByRole('tab', { name: 'Resources' }).click();
      await page.getByRole('tab', { name: 'Jobs' }).click();
      const panel = page.getByRole('region', { name: 'Resource mapping: source to target' });
      await expect(panel.getByRole('row')).toHaveCount(expected.ResourceMapping.length + 1);
      // Source and target differ only in their resource group: each id keeps it in view.
      const vmRow = panel.getByRole('row', { name: /^vm01 VirtualMachine/ });
      await expect(vmRow.getByRole('cell').nth(1).locator('.long-id-tail', { hasText: SOURCE_RG })).toBeVisible();
      await expect(vmRow.getByRole('cell').nth(2).locator('.long-id-tail', { hasText: TARGET_RG })).toBeVisible();
      await expect(page.getByRole('region', { name: 'Webhook deliveries' }).getByRole('cell', { name: 'Delivered', exact: true })).toBeVisible();
      await page.getByRole('heading', { name: 'Failover job' }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await page.screenshot({ path: `${SHOTS}/06-failover-job.png` });
      await page.getByRole('heading', { name: 'Resource mapping' }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await page.screenshot({ path: `${SHOTS}/07-mapping-webhook.png` });
      await expectAccessible(page, 'azure walk failover job');
      await page.getByRole('tab', { name: 'Resources' }).click();
      await page.screenshot({ path: `${SHOTS}/08-failed-over-policy.png` });
    } finally {
      await c.close();
      hook.server.close();
    }
  });
});
