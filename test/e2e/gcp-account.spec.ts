// A Google Cloud account in the real console (headless Chromium, real core) against the GCP peer
// (every exchange held to Google's discovery documents) and fake-gcs-server (Cloud Storage): from the
// welcome panel the operator adds the account with a service-account key FILE, tests its connection
// (once with the GKE API disabled, to see the sentence that names it), adds the source and target
// environments, makes a VM policy through the wizard, replicates twice, fails over with the
// confirmation (the failover lease taken in the target's console bucket on fake-gcs-server, no
// override), and reads the instance back from the peer: exactly one in the target zone, its disks from
// the latest point's snapshots, as the job's resource mapping shows.
// Every wait is for a state (a dialog, a status text, a job's stored status), never a toast or a delay.

import { existsSync, mkdirSync } from 'node:fs';
import { Storage } from '@google-cloud/storage';
import { expect, test, type Page } from '@playwright/test';
import { consoleBucketName } from '../../main/providers/gcp/target-store';
import { parseLease, STORE_KEYS } from '../../main/providers/target-store';
import type { ResolvedAccount } from '../../main/providers/types';
import type { JobKind } from '../../shared/domain';
import { GCP_SOURCE, GCP_SOURCE_ZONE, GCP_TARGET, seedClients, seedVm, type SeedClients } from '../conformance/gcp-peer';
import { FAKE_GCS_INSTALL, fakeGcsAvailable, fakeGcsMissing, startFakeGcs, type FakeGcs } from '../peers/fake-gcs-server';
import { GOOGLE_API_INSTALL, discoveryAvailable, discoveryMissing } from '../peers/gcp/discovery';
import { fakeAuth } from '../peers/gcp/sdk';
import { startGcpPeer, type GcpPeer } from '../peers/gcp/server';
import { expectAccessible } from './console-bed';
import { CHROMIUM_PATH, openConsole, type ConsoleHandle } from './harness';

type Json = Record<string, unknown>;

const chromiumPresent = existsSync(CHROMIUM_PATH);
const ci = process.env.CI === 'true';
const skipReason = !chromiumPresent
  ? `Chromium not installed at ${CHROMIUM_PATH} (apt-get install -y chromium)`
  : !discoveryAvailable()
    ? `Google's discovery documents not downloaded; run ${GOOGLE_API_INSTALL}`
    : `fake-gcs-server not built; build with ${FAKE_GCS_INSTALL}`;
const mustRun = (chromiumPresent && discoveryAvailable() && fakeGcsAvailable()) || ci;
/** Screenshots of each key screen, for people to look at (not compared by the test). */
const SHOTS = process.env.GCP_SHOTS_DIR ?? 'test-results/gcp-account';
/** Where failover puts the instance: the target environment names no zone, so the region's b zone. */
const TARGET_ZONE = `${GCP_TARGET}-b`;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
  await expectAccessible(page, `gcp ${name}`);
}

/** Waits until no job of the kind runs and `count` succeeded; a failed one fails the test with its steps. */
async function waitForJobs(c: ConsoleHandle, policyId: string, kind: JobKind, count: number): Promise<void> {
  await expect
    .poll(
      async () => {
        const jobs = await c.call('dr:jobs.list', { policyId, kind, offset: 0, limit: 20 });
        const failed = jobs.items.find((j) => j.status === 'failed');
        if (failed) throw new Error(`${kind} job failed: ${JSON.stringify(failed)}`);
        const open = jobs.items.filter((j) => j.status === 'running' || j.status === 'queued').length;
        return open > 0 ? -1 : jobs.items.filter((j) => j.status === 'succeeded').length;
      },
      { timeout: 90_000 },
    )
    .toBe(count);
}

test.describe(mustRun ? 'Google Cloud account in Chromium against the GCP peer and fake-gcs-server' : `Google Cloud account in Chromium — ${skipReason}`, () => {
  test.skip(!mustRun, skipReason);
  let peer: GcpPeer;
  let gcs: FakeGcs;
  let seed: SeedClients;

  test.beforeAll(async () => {
    if (!discoveryAvailable()) throw discoveryMissing();
    if (!fakeGcsAvailable()) throw fakeGcsMissing();
    mkdirSync(SHOTS, { recursive: true });
    peer = await startGcpPeer();
    gcs = await startFakeGcs();
    seed = seedClients(peer);
  });
  test.afterAll(async () => {
    await seed?.close();
    await peer?.close();
    await gcs?.stop();
  });
  test.afterEach(() => {
    expect(peer.violations).toEqual([]);
  });

  test('add a Google Cloud account with a key file, test its connection, add environments, make a VM policy, replicate twice and fail over', async () => {
    const P = peer.project;
    const seeded = await seedVm(seed, 'billing-01', 'billing-app');
    const key = peer.createServiceAccountKey();
    const keyBody = key.private_key.split('\n')[1]!;
    // The clients of the account sign in with the peer's test token (a key's JWT grant would go to
    // Google's token endpoint); what the provider is given is the account as read from the vault.
    const resolved: ResolvedAccount[] = [];
    const gapic = { apiEndpoint: '127.0.0.1', port: peer.port, protocol: 'http' as const };
    const c = await openConsole({
      providers: {
        sim: false,
        aws: false,
        azure: false,
        gcp: {
          endpoints: { compute: gapic, container: gapic, storagetransfer: gapic, resourcemanager: gapic, sqladmin: `${peer.url}/`, iam: `${peer.url}/`, storage: gcs.url },
          authClientFor: (account) => {
            resolved.push(account);
            return fakeAuth();
          },
          pollIntervalMs: 20,
          retryDelayMs: 20,
        },
      },
    });
    try {
      const { page } = c;
      await page.getByRole('button', { name: 'Add a cloud account' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add cloud account' });
      await dialog.getByLabel('Account name').fill('Shop Google Cloud');
      await dialog.getByLabel('Provider').selectOption('gcp');
      await expect(dialog.getByLabel('Cloud', { exact: true })).toHaveValue('gcp');
      await dialog.getByLabel('Sign in with').selectOption('gcp-service-account-key');
      const keyFile = dialog.getByLabel('Service account key file');

      // Bad input first, refused in the dialog with a sentence and nothing added: no key yet, then a
      // person's credentials file, which is not a key.
      await dialog.getByRole('button', { name: 'Add account' }).click();
      await expect(dialog.getByText('Choose the service account key file (JSON), or paste its content.', { exact: true })).toBeVisible();
      await keyFile.setInputFiles({ name: 'application_default_credentials.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ type: 'authorized_user', client_id: 'x', client_secret: 'y', refresh_token: 'z' })) });
      const typeSentence = 'The key file\'s type must be a service-account key ("type": "service_account"); a user or external-account file is not a key.';
      await expect(dialog.getByText(typeSentence, { exact: true })).toBeVisible();
      await dialog.getByRole('button', { name: 'Add account' }).click();
      await expect(dialog.getByRole('alert').filter({ hasText: 'Some fields need attention.' })).toBeVisible();
      await expect(dialog.getByRole('alert').getByText(`keyJson: ${typeSentence}`, { exact: true })).toBeVisible();
      await shot(page, '01-key-file-refused');
      expect(await c.call('dr:accounts.list', {})).toEqual([]);

      // The key file the console downloads from IAM: read in the page, named, never shown.
      await keyFile.setInputFiles({ name: 'shop-dr-key.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(key, null, 2)) });
      await expect(dialog.getByText('Read from shop-dr-key.json; the file is not kept.', { exact: true })).toBeVisible();
      await expect(dialog.getByText(`Key of ${key.client_email} (project ${P}). It is not shown again.`, { exact: true })).toBeVisible();
      await expect(dialog.getByText(typeSentence, { exact: true })).toBeHidden();
      await shot(page, '02-key-file-read');
      await dialog.getByRole('button', { name: 'Add account' }).click();
      await expect(dialog).toBeHidden();

      // The console offers the account's first environment next: the source, where the VM runs.
      const env = page.getByRole('dialog', { name: 'Add environment' });
      await expect(env).toBeVisible();
      await env.getByLabel('Environment name').fill('Shop Iowa');
      await env.getByLabel('Region').fill(GCP_SOURCE);
      await env.getByLabel('Project id').fill(P);
      await shot(page, '03-add-source-environment');
      await env.getByRole('button', { name: 'Add environment' }).click();
      await expect(env).toBeHidden();
      await expect(page.getByRole('heading', { level: 1, name: 'Accounts' })).toBeVisible();
      const row = page.getByRole('row', { name: /Shop Google Cloud/ });
      await expect(row.getByText('Google service account key')).toBeVisible();
      // The key went into the vault (the provider is given it) and nowhere the page can read.
      const accounts = await c.call('dr:accounts.list', {});
      expect(accounts).toHaveLength(1);
      expect(accounts[0]).toMatchObject({ name: 'Shop Google Cloud', provider: 'gcp', cloud: 'gcp', credentialKind: 'gcp-service-account-key' });
      expect(JSON.stringify(accounts)).not.toContain(keyBody);
      expect(await page.content()).not.toContain(keyBody);

      // Test connection with the GKE API disabled once: the sentence names it and the command.
      peer.disableApi('container.googleapis.com');
      const test = page.getByRole('button', { name: 'Test connection of Shop Google Cloud' });
      await test.click();
      const status = row.getByRole('status');
      await expect(status).toContainText(`Connected to Google Cloud project ${P} as ${key.client_email}:`);
      const [zones] = await seed.zones.list({ project: P });
      await expect(status).toContainText(`: ${zones.length} zones listed.`);
      await expect(status).toContainText(`Not enabled: Kubernetes Engine (container.googleapis.com); enable with \`gcloud services enable container.googleapis.com --project ${P}\`.`);
      await expect(status.getByText(`Connected as ${P}`)).toBeVisible();
      await shot(page, '04-test-connection-api-disabled');
      peer.enableApi('container.googleapis.com');
      await test.click();
      await expect(status).toContainText('Every API the console needs is enabled.');
      await expect(status).not.toContainText('Not enabled');
      expect(resolved.length).toBeGreaterThan(0);
      for (const a of resolved) {
        expect(a.credentials.kind).toBe('gcp-service-account-key');
        expect(JSON.parse((a.credentials as { keyJson: string }).keyJson)).toMatchObject({ client_email: key.client_email, private_key_id: key.private_key_id });
      }

      // The target environment, from the account's row; no zone: the region's b zone.
      await page.getByRole('button', { name: 'Add environment to Shop Google Cloud' }).click();
      await expect(env).toBeVisible();
      await env.getByLabel('Environment name').fill('Shop Belgium');
      await env.getByLabel('Region').fill(GCP_TARGET);
      await env.getByLabel('Project id').fill(P);
      await env.getByRole('button', { name: 'Add environment' }).click();
      await expect(env).toBeHidden();
      await expect(row.getByRole('cell', { name: '2', exact: true })).toBeVisible();
      await shot(page, '05-accounts-tested');
      const envs = await c.call('dr:environments.list', { accountId: accounts[0]!.id });
      expect(envs.map((e) => ({ name: e.name, region: e.region, scope: e.scope })).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { name: 'Shop Belgium', region: GCP_TARGET, scope: { cloud: 'gcp', region: GCP_TARGET, projectId: P, zone: null } },
        { name: 'Shop Iowa', region: GCP_SOURCE, scope: { cloud: 'gcp', region: GCP_SOURCE, projectId: P, zone: null } },
      ]);

      // The VM policy through the wizard: account, environments, the discovered instance.
      await page.getByRole('link', { name: 'Policies', exact: true }).first().click();
      await page.getByRole('button', { name: 'Create policy' }).first().click();
      const wizard = page.getByRole('dialog', { name: 'Create policy' });
      await wizard.getByLabel('Policy name').fill('Billing on Google Cloud');
      const accountPick = wizard.getByLabel('Cloud account');
      await accountPick.selectOption((await accountPick.locator('option', { hasText: 'Shop Google Cloud' }).getAttribute('value'))!);
      await wizard.getByRole('button', { name: 'Next' }).click();
      await wizard.getByLabel('Source environment').selectOption({ label: `Shop Iowa (${GCP_SOURCE})` });
      await wizard.getByLabel('Target environment').selectOption({ label: `Shop Belgium (${GCP_TARGET})` });
      await wizard.getByRole('button', { name: 'Next' }).click();
      const pick = wizard.getByRole('checkbox', { name: 'Select billing-01', exact: true });
      await expect(pick).toBeVisible();
      await pick.check();
      await expect(wizard.getByText('1 resource selected of', { exact: false })).toBeVisible();
      await shot(page, '06-policy-resources');
      await wizard.getByRole('button', { name: 'Next' }).click();
      await wizard.getByRole('button', { name: 'Next' }).click();
      await shot(page, '07-policy-review');
      await wizard.getByRole('button', { name: 'Create policy' }).click();
      await expect(wizard).toBeHidden();
      await expect(page.getByRole('heading', { level: 1, name: 'Billing on Google Cloud' })).toBeVisible();
      const policy = (await c.call('dr:policies.list', {})).find((p) => p.name === 'Billing on Google Cloud')!;
      expect(policy.resourceCount).toBe(1);
      expect((await c.call('dr:policies.get', { policyId: policy.id })).resources).toEqual([expect.objectContaining({ type: 'gcp.vm-instance', nativeId: seeded.nativeId, name: 'billing-01' })]);

      // Replicate twice: two points, each a snapshot of both disks stored in the target's region.
      const run = page.getByRole('button', { name: 'Run replication' });
      for (let i = 1; i <= 2; i++) {
        await expect(run).toBeEnabled();
        await run.click();
        await waitForJobs(c, policy.id, 'replication', i);
      }
      const points = await c.call('dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 });
      expect(points.items).toHaveLength(2);
      const snapshots = peer.resources(`projects/${P}/global/snapshots/`);
      expect(snapshots).toHaveLength(4);
      for (const s of snapshots) expect(s).toMatchObject({ status: 'READY', storageLocations: [GCP_TARGET] });
      await page.getByRole('tab', { name: 'Recovery points' }).click();
      await expect(page.getByRole('listbox', { name: 'Recovery points' }).getByRole('option')).toHaveCount(2);
      await shot(page, '08-recovery-points');
      const latest = points.items[0]!;
      const latestSnaps = (await c.call('dr:recoveryPoints.get', { recoveryPointId: latest.id })).items[0]!.dataRefs.filter((d) => d.kind === 'Snapshot').map((d) => d.id);
      expect(latestSnaps).toHaveLength(2);

      // Failover with its confirmation: OK waits for the tick; the lease is the target's, no override offered.
      const header = page.locator('.details-header');
      await header.getByRole('button', { name: 'Failover', exact: true }).click();
      const confirm = page.getByRole('dialog', { name: 'Fail over Billing on Google Cloud' });
      await expect(confirm.getByTestId('failover-point-time')).toHaveAttribute('datetime', latest.createdAt);
      const ok = confirm.getByRole('button', { name: 'OK', exact: true });
      await expect(ok).toBeDisabled();
      await confirm.getByRole('checkbox', { name: /I understand/ }).check();
      await expect(confirm.getByText(/keeps no failover lease/)).toHaveCount(0);
      await shot(page, '09-failover-confirm');
      await ok.click();
      await expect(confirm).toBeHidden();
      await expect(page.getByRole('form', { name: 'Start without the failover lease' })).toHaveCount(0);
      await waitForJobs(c, policy.id, 'failover', 1);
      await expect(header.getByText('Failed over')).toBeVisible();

      // In the peer: exactly one instance in the target zone, its disks from the latest point's snapshots.
      const vms = peer.resources(`projects/${P}/zones/${TARGET_ZONE}/instances/`);
      expect(vms).toHaveLength(1);
      const vm = vms[0]!;
      expect(vm).toMatchObject({ name: 'billing-01', status: 'RUNNING', labels: expect.objectContaining({ team: 'payments', app: 'web' }) });
      expect(String(vm.machineType)).toMatch(new RegExp(`zones/${TARGET_ZONE}/machineTypes/e2-standard-2$`));
      const disks = peer.resources(`projects/${P}/zones/${TARGET_ZONE}/disks/`);
      expect(disks.map((d) => d.sourceSnapshot).sort()).toEqual([...latestSnaps].sort());
      expect((vm.disks as Json[]).map((d) => d.source).sort()).toEqual(disks.map((d) => d.selfLink).sort());
      // The source is left as it was: still one instance there.
      expect(peer.resources(`projects/${P}/zones/${GCP_SOURCE_ZONE}/instances/`).map((i) => i.name)).toEqual(['billing-01']);

      // The job's resource mapping in the UI names the instance the peer holds.
      const failover = (await c.call('dr:jobs.list', { policyId: policy.id, kind: 'failover', offset: 0, limit: 5 })).items[0]!;
      expect(failover.recoveryPointId).toBe(latest.id);
      const mappings = await c.call('dr:jobs.mappings', { jobId: failover.id });
      const source = peer.resources(`projects/${P}/zones/${GCP_SOURCE_ZONE}/instances/`)[0]!;
      expect(mappings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'VirtualMachine', name: 'billing-01', sourceId: source.selfLink, targetId: vm.selfLink, reused: false }),
          ...disks.map((d) => expect.objectContaining({ kind: 'Disk', name: d.name, targetId: d.selfLink, reused: false })),
        ]),
      );
      const mapping = page.getByRole('region', { name: 'Resource mapping: source to target' });
      await expect(mapping.getByRole('row')).toHaveCount(mappings.length + 1);
      const vmRow = mapping.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'billing-01', exact: true }) });
      await expect(vmRow.getByRole('cell', { name: 'VirtualMachine', exact: true })).toBeVisible();
      await expect(vmRow.getByRole('button', { name: `Copy target id ${String(vm.selfLink)}`, exact: true })).toBeVisible();
      for (const d of disks) {
        await expect(mapping.getByRole('row').filter({ has: page.getByRole('rowheader', { name: String(d.name), exact: true }) }).getByRole('button', { name: `Copy target id ${String(d.selfLink)}`, exact: true })).toBeVisible();
      }
      const jobRow = page.getByRole('table', { name: 'Jobs of this policy, newest first' }).getByRole('row').filter({ hasText: 'Failover job' });
      await expect(jobRow.getByRole('cell', { name: 'Succeeded', exact: true })).toBeVisible();
      await shot(page, '10-failover-job');
      await mapping.scrollIntoViewIfNeeded();
      // Ids too long for their column (a service account's email has no "/" to cut at) are cut, never
      // drawn over their Copy button.
      const overlaps = await mapping.evaluate((el) =>
        [...el.querySelectorAll<HTMLElement>('.long-id')].flatMap((id) => {
          const text = id.querySelector('.long-id-text')!.getBoundingClientRect();
          const copy = id.querySelector('.long-id-copy')!.getBoundingClientRect();
          return text.right > copy.left + 0.5 ? [`${id.querySelector('.long-id-text')!.getAttribute('title')} (${Math.round(text.right - copy.left)}px over)`] : [];
        }),
      );
      expect(overlaps).toEqual([]);
      await shot(page, '10b-failover-mapping');

      // The lease: an object of the console bucket in the target project and region (fake-gcs-server),
      // left as the "completed" tombstone of this job; no override in the audit log.
      await c.core.services.leases.idle();
      const lease = new Storage({ apiEndpoint: gcs.url, projectId: P }).bucket(consoleBucketName(P, GCP_TARGET)).file(STORE_KEYS.lease(policy.id));
      expect(parseLease((await lease.download())[0].toString('utf8'))).toMatchObject({ policyId: policy.id, jobId: failover.id, state: 'completed' });
      const audit = await c.call('dr:audit.list', { subjectId: policy.id, offset: 0, limit: 50 });
      expect(audit.items.map((e) => e.action).filter((a) => /override/i.test(a))).toEqual([]);
      await page.getByRole('link', { name: 'Audit log', exact: true }).first().click();
      await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
      await shot(page, '11-audit-log');
      expect((await c.call('dr:policies.get', { policyId: policy.id })).state).toBe('failed_over');
    } finally {
      await c.close();
    }
  });
});
