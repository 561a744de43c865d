// Azure accounts in the real console (headless Chromium, real core): a service principal typed into
// the Add account dialog signs in against the identity peer (oauth2-mock-server over HTTPS) and the
// Add environment dialog lists its subscription and resource groups from the ARM peer with MSAL's
// token, tests the subscription, and the account's Test connection counts the groups. A person
// signs in through the system browser, played by a second Chromium page: authorize, Entra ID's
// form_post page, MSAL's loopback redirect. Device code: the code shown large, then Cancel.
// Every wait is for a state (a dialog, a status text, a selected value), never a toast or a delay.

import { existsSync, mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { expect, test, type Page } from '@playwright/test';
import { generate } from 'selfsigned';
import { startArmPeer, type ArmPeer } from '../peers/azure-arm/server';
import { bearerOverHttp, peerClients, peerProviderOptions } from '../peers/azure-arm/sdk';
import { checkResponse } from '../peers/azure-arm/contract';
import { emulateFormPost, startIdentityPeer, type IdentityPeer } from '../peers/identity';
import { CHROMIUM_PATH, openConsole, type ConsoleHandle } from './harness';
import { expectAccessible } from './console-bed';

const chromiumPresent = existsSync(CHROMIUM_PATH);
const ci = process.env.CI === 'true';
const mustRun = chromiumPresent || ci;
const skipReason = `Chromium not installed at ${CHROMIUM_PATH} (apt-get install -y chromium)`;
/** Screenshots of what this spec builds, for people to look at (not compared by the test). */
const SHOTS = process.env.AZURE_SHOTS_DIR ?? 'test-results/azure-account';

const TENANT = randomUUID();
const SUB = randomUUID();
const CLIENT = randomUUID();

test.describe(mustRun ? 'Azure account in Chromium against the identity and ARM peers' : `Azure account in Chromium — ${skipReason}`, () => {
  test.skip(!mustRun, skipReason);
  let idp: IdentityPeer;
  let arm: ArmPeer;

  test.beforeAll(() => {
    mkdirSync(SHOTS, { recursive: true });
  });
  test.beforeEach(async () => {
    idp = await startIdentityPeer();
    arm = await startArmPeer({
      subscriptionIds: [SUB],
      subscriptionNames: { [SUB]: 'Shop production' },
      tenants: [
        { tenantId: TENANT, displayName: 'Contoso', defaultDomain: 'contoso.example' },
        { tenantId: randomUUID(), displayName: 'Fabrikam (managed)', defaultDomain: 'fabrikam.example' },
      ],
    });
    const rg = peerClients(arm).resources.resourceGroups;
    await rg.createOrUpdate('rg-shop-prod', { location: 'westeurope' });
    await rg.createOrUpdate('rg-shop-dr', { location: 'northeurope' });
  });
  test.afterEach(async () => {
    for (const r of arm.responses) expect(checkResponse(r), `${r.operation} ${r.status}`).toEqual([]);
    await arm?.close();
    await idp?.stop();
  });

  const authority = () => ({ authority: idp.url, knownAuthorities: [idp.host] });

  async function open(openBrowser?: (url: string) => Promise<void>): Promise<ConsoleHandle> {
    return openConsole({
      // The provider's ARM clients use the peer's test token; the dialogs' lists send MSAL's own token.
      providers: { aws: false, azure: { ...peerProviderOptions(arm), customAuthority: authority() } },
      azure: {
        endpoints: {
          customAuthority: authority(),
          armEndpoint: arm.url,
          armClientOptions: { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } },
          armPipeline: bearerOverHttp(),
        },
        ...(openBrowser ? { openBrowser } : {}),
      },
      ignoreHTTPSErrors: true,
    });
  }

  async function startAddAccount(page: Page, name: string, choice: string) {
    await page.getByRole('button', { name: 'Create rehearsal workspace' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Policies' })).toBeVisible();
    await page.getByRole('link', { name: 'Accounts', exact: true }).first().click();
    await page.getByRole('button', { name: 'Add account' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add cloud account' });
    await dialog.getByLabel('Account name').fill(name);
    await dialog.getByLabel('Provider').selectOption('azure');
    await expect(dialog.getByLabel('Cloud', { exact: true })).toHaveValue('azure');
    await dialog.getByLabel('Sign in with').selectOption(choice);
    return dialog;
  }

  test('a service principal signs in against the identity peer; Add environment lists the subscription and groups, tests it, and Test connection counts the groups', async () => {
    const c = await open();
    try {
      const { page } = c;
      const dialog = await startAddAccount(page, 'Shop Azure', 'azure-service-principal');
      await expect(dialog.getByLabel('Azure cloud')).toHaveValue('AzurePublicCloud');
      // Bad input first: sentences on the fields, nothing sent.
      await dialog.getByLabel('Tenant id').fill('contoso');
      await dialog.getByRole('button', { name: 'Add account' }).click();
      await expect(dialog.getByText('Enter the tenant id: a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47.', { exact: true })).toBeVisible();
      await expect(dialog.getByText('Enter the client secret’s value.', { exact: true })).toBeVisible();
      await page.screenshot({ path: `${SHOTS}/sp-validation.png` });
      await expectAccessible(page, 'azure sp-validation');
      expect((await c.call('dr:accounts.list', {})).filter((a) => a.provider === 'azure')).toHaveLength(0);

      await dialog.getByLabel('Tenant id').fill(TENANT);
      await dialog.getByLabel('Application (client) id').fill(CLIENT);
      const secret = dialog.getByLabel('Client secret');
      await expect(secret).toHaveAttribute('type', 'password');
      await secret.fill('sp-e2e-secret-value');
      await dialog.getByRole('button', { name: 'Add account' }).click();
      await expect(dialog).toBeHidden();

      // The environment dialog lists what the account sees in ARM, with MSAL's token from the identity peer.
      const env = page.getByRole('dialog', { name: 'Add environment' });
      await expect(env).toBeVisible();
      const sub = env.getByLabel('Subscription');
      await expect(sub).toHaveValue(SUB);
      await expect(sub.locator('option', { hasText: 'Shop production' })).toHaveCount(1);
      // A text field while the groups are listed, the list once they are: wait for the list.
      const groups = env.getByRole('combobox', { name: 'Resource group' });
      await expect(groups.locator('option', { hasText: 'rg-shop-prod (westeurope)' })).toHaveCount(1);
      await groups.selectOption('rg-shop-prod');
      // The group's location fills the empty region.
      await expect(env.getByLabel('Region')).toHaveValue('westeurope');
      await env.getByRole('button', { name: 'Test connection' }).click();
      await expect(env.getByRole('status').filter({ hasText: `Connected: 2 resource groups in subscription ${SUB}.` })).toBeVisible();
      await page.screenshot({ path: `${SHOTS}/add-environment-azure.png` });
      await expectAccessible(page, 'azure add-environment-azure');
      expect(idp.tokenRequests).toEqual(expect.arrayContaining([expect.objectContaining({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: 'sp-e2e-secret-value' })]));
      const listed = arm.requests.find((r) => r.path === '/subscriptions');
      expect(listed?.authorization).toMatch(/^Bearer ey/);

      await env.getByLabel('Environment name').fill('Shop West Europe');
      await env.getByRole('button', { name: 'Add environment' }).click();
      await expect(env).toBeHidden();
      const azureAccount = (await c.call('dr:accounts.list', {})).find((a) => a.provider === 'azure')!;
      const envs = await c.call('dr:environments.list', { accountId: azureAccount.id });
      expect(envs.map((e) => ({ region: e.region, scope: e.scope }))).toEqual([
        { region: 'westeurope', scope: { cloud: 'azure', location: 'westeurope', subscriptionId: SUB, resourceGroup: 'rg-shop-prod' } },
      ]);
      expect(await page.content()).not.toContain('sp-e2e-secret-value');

      await page.getByRole('button', { name: 'Test connection of Shop Azure' }).click();
      await expect(page.getByText(`Connected to Azure subscription Shop production (${SUB}): 2 resource groups visible.`)).toBeVisible();
      await expect(page.getByText(`Connected as ${SUB}`)).toBeVisible();
      await page.screenshot({ path: `${SHOTS}/accounts-azure-tested.png` });
      await expectAccessible(page, 'azure accounts-azure-tested');
    } finally {
      await c.close();
    }
  });

  test('a service principal with a certificate: PEM checked with a sentence, the key never shown again, subscription listed with its assertion', async () => {
    const pems = await generate([{ name: 'commonName', value: 'failover-console-e2e' }], { keySize: 2048, algorithm: 'sha256' });
    const c = await open();
    try {
      const { page } = c;
      const dialog = await startAddAccount(page, 'Shop Azure (certificate)', 'azure-service-principal-certificate');
      await dialog.getByLabel('Tenant id').fill(TENANT);
      await dialog.getByLabel('Application (client) id').fill(CLIENT);
      await dialog.getByLabel('Certificate (PEM)').fill('MIIB-not-a-pem');
      await dialog.getByLabel('Private key (PEM)').fill(pems.private);
      await dialog.getByRole('button', { name: 'Add account' }).click();
      await expect(dialog.getByText('Paste the certificate in PEM form, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.', { exact: true })).toBeVisible();
      await page.screenshot({ path: `${SHOTS}/certificate-validation.png` });
      await expectAccessible(page, 'azure certificate-validation');
      await dialog.getByLabel('Certificate (PEM)').fill(pems.cert);
      await dialog.getByRole('button', { name: 'Add account' }).click();
      await expect(dialog).toBeHidden();
      const env = page.getByRole('dialog', { name: 'Add environment' });
      await expect(env.getByLabel('Subscription')).toHaveValue(SUB);
      await env.getByRole('button', { name: 'Cancel' }).click();
      await expect(page.getByRole('row', { name: /Shop Azure \(certificate\)/ }).getByText('Service principal with a certificate')).toBeVisible();
      expect(idp.tokenRequests).toEqual(expect.arrayContaining([expect.objectContaining({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' })]));
      const keyBody = pems.private.split('\n')[1]!;
      expect(await page.content()).not.toContain(keyBody);
    } finally {
      await c.close();
    }
  });

  test('a person signs in through the system browser (a Chromium page on the loopback redirect), picks the tenant, and the account lists its subscription', async () => {
    emulateFormPost(idp);
    let handle: ConsoleHandle | null = null;
    const visited: string[] = [];
    const c = await open(async (url) => {
      // The system browser: another page of the same Chromium, following Entra ID's pages to MSAL's listener.
      const browser = await handle!.page.context().newPage();
      visited.push(url);
      await browser.goto(url);
      await expect(browser.getByText('Signed in. You can close this window and return to Failover Console.')).toBeVisible();
      visited.push(browser.url());
      await browser.close();
    });
    handle = c;
    try {
      const { page } = c;
      const dialog = await startAddAccount(page, 'Dana at Contoso', 'azure-browser');
      await dialog.getByLabel('Application (client) id').fill(CLIENT);
      await page.screenshot({ path: `${SHOTS}/browser-before.png` });
      await expectAccessible(page, 'azure browser-before');
      await dialog.getByRole('button', { name: 'Sign in with the browser' }).click();
      await expect(dialog.getByText(/Signed in as/)).toBeVisible();
      expect(new URL(visited[0]!).searchParams.get('response_mode')).toBe('form_post');
      expect(new URL(visited[1]!).hostname).toBe('localhost');
      expect(idp.tokenRequests.at(-1)).toMatchObject({ grant_type: 'authorization_code', client_id: CLIENT });
      // The tenants the sign-in reaches; the first (home) one is chosen.
      const tenant = dialog.getByLabel('Tenant', { exact: true });
      await expect(tenant).toHaveValue(TENANT);
      await expect(tenant.locator('option')).toHaveCount(2);
      await page.screenshot({ path: `${SHOTS}/browser-signed-in.png` });
      await expectAccessible(page, 'azure browser-signed-in');
      await dialog.getByRole('button', { name: 'Add account' }).click();
      await expect(dialog).toBeHidden();
      const env = page.getByRole('dialog', { name: 'Add environment' });
      await expect(env.getByLabel('Subscription')).toHaveValue(SUB);
      await env.getByRole('button', { name: 'Cancel' }).click();
      const account = (await c.call('dr:accounts.list', {})).find((a) => a.provider === 'azure');
      expect(account).toMatchObject({ name: 'Dana at Contoso', provider: 'azure', credentialKind: 'azure-user' });
      await expect(page.getByRole('row', { name: /Dana at Contoso/ }).getByText('Signed-in person (Entra ID)')).toBeVisible();

      // The saved sign-in expired: sign in again, the same person, from the account's row.
      await page.getByRole('button', { name: 'Sign in again to Dana at Contoso' }).click();
      const again = page.getByRole('dialog', { name: 'Sign in again to Dana at Contoso' });
      await again.getByRole('button', { name: 'Sign in with the browser' }).click();
      await expect(again.getByText(/Signed in as/)).toBeVisible();
      await page.screenshot({ path: `${SHOTS}/sign-in-again.png` });
      await expectAccessible(page, 'azure sign-in-again');
      await again.getByRole('button', { name: 'Save sign-in' }).click();
      await expect(again).toBeHidden();
      const audit = await c.call('dr:audit.list', { subjectId: account!.id, offset: 0, limit: 10 });
      expect(audit.items.map((e) => e.action)).toContain('account.signIn');
      expect(visited.filter((u) => u.includes('/authorize'))).toHaveLength(2);
    } finally {
      await c.close();
    }
  });

  test('device code: the code is shown large with a copy button while the console waits, and Cancel ends the sign-in', async () => {
    // oauth2-mock-server has no device-code endpoint: the routes MSAL calls, always "pending" here.
    idp.server.service.on('beforeWellKnownOpenIdConfiguration', (config: { body: Record<string, unknown> }) => {
      config.body.token_endpoint = `${idp.url}/device/token`;
    });
    idp.server.service.addRoute('POST', '/device/devicecode', (_req, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ device_code: 'dev-1', user_code: 'FCX-42QZ', verification_uri: 'https://microsoft.com/devicelogin', expires_in: 900, interval: 1, message: 'To sign in, use a web browser to open https://microsoft.com/devicelogin and enter the code FCX-42QZ.' }));
    });
    idp.server.service.addRoute('POST', '/device/token', (_req, res: ServerResponse) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'authorization_pending', error_description: 'AADSTS70016: pending' }));
    });
    const c = await open();
    try {
      const { page } = c;
      const dialog = await startAddAccount(page, 'Locked-down laptop', 'azure-device-code');
      await dialog.getByLabel('Azure cloud').selectOption('AzureUSGovernment');
      await dialog.getByRole('button', { name: 'Get a sign-in code' }).click();
      await expect(dialog.getByText('Enter the application (client) id of the app registration: a GUID.', { exact: true })).toBeVisible();
      await dialog.getByLabel('Application (client) id').fill(CLIENT);
      await dialog.getByRole('button', { name: 'Get a sign-in code' }).click();
      const code = dialog.getByRole('status', { name: 'Sign-in code' });
      await expect(code).toHaveText('FCX-42QZ');
      await expect(dialog.getByText('https://microsoft.com/devicelogin')).toBeVisible();
      await expect(dialog.getByRole('button', { name: 'Copy code' })).toBeVisible();
      await expect(dialog.getByText('Waiting for you to enter the code and sign in…')).toBeVisible();
      await page.screenshot({ path: `${SHOTS}/device-code.png` });
      await expectAccessible(page, 'azure device-code');
      await page.emulateMedia({ colorScheme: 'dark' });
      await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
      await page.screenshot({ path: `${SHOTS}/device-code-dark.png` });
      await expectAccessible(page, 'azure device-code (dark)');
      await page.emulateMedia({ colorScheme: 'light' });
      // Adding before the sign-in finished is refused with a sentence.
      await dialog.getByRole('button', { name: 'Add account' }).click();
      await expect(dialog.getByText('Sign in first; the account is added from the finished sign-in.', { exact: true })).toBeVisible();
      await dialog.getByRole('button', { name: 'Cancel sign-in' }).click();
      await expect(dialog.getByRole('alert').filter({ hasText: 'Sign-in was cancelled.' })).toBeVisible();
      await expect(code).toBeHidden();
      await expect(dialog.getByRole('button', { name: 'Sign in again' })).toBeVisible();
      await page.screenshot({ path: `${SHOTS}/device-code-cancelled.png` });
      await expectAccessible(page, 'azure device-code-cancelled');
      expect((await c.call('dr:accounts.list', {})).filter((a) => a.provider === 'azure')).toHaveLength(0);
    } finally {
      await c.close();
    }
  });
});
