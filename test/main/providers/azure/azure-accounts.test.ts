// The Azure account experience through the router, as the dialogs drive it: a person signs in
// (system browser on a loopback redirect, or a device code) against the identity peer
// (oauth2-mock-server over HTTPS), the tenants it reaches are listed from the ARM peer, the account
// is added from the finished sign-in (its MSAL cache moves into the vault, sealed), and the account's
// subscriptions and resource groups are listed with MSAL's token reaching ARM. Service principals
// with a certificate, the sentences for refusals, and what the contracts refuse.

import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { generate } from 'selfsigned';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { composeCore, createProviders, type Core } from '../../../../main/compose';
import { silentLogger } from '../../../../main/core/logger';
import type { CredentialInput } from '../../../../shared/domain';
import type { Channel, RequestOf, ResponseOf } from '../../../../shared/ipc/contract';
import { CredentialInput as CredentialInputSchema } from '../../../../shared/domain';
import { contract } from '../../../../shared/ipc/contract';
import { testKeyProvider } from '../../../helpers/keys';
import { useTempDirs } from '../../../helpers/temp-dir';
import { browseSignIn, startIdentityPeer, type IdentityPeer } from '../../../peers/identity';
import { startArmPeer, type ArmPeer } from '../../../peers/azure-arm/server';
import { bearerOverHttp, peerClients, peerProviderOptions } from '../../../peers/azure-arm/sdk';
import { checkResponse } from '../../../peers/azure-arm/contract';

const tempDir = useTempDirs();
let idp: IdentityPeer;
let arm: ArmPeer;
const TENANT = randomUUID();
const OTHER_TENANT = randomUUID();
const SUB = randomUUID();
const CLIENT = randomUUID();

beforeEach(async () => {
  idp = await startIdentityPeer();
  arm = await startArmPeer({
    subscriptionIds: [SUB],
    subscriptionNames: { [SUB]: 'Shop production' },
    tenants: [
      { tenantId: TENANT, displayName: 'Contoso', defaultDomain: 'contoso.example' },
      { tenantId: OTHER_TENANT, displayName: 'Fabrikam (managed)', defaultDomain: 'fabrikam.example' },
    ],
  });
});
afterEach(async () => {
  // Every answer the peer gave holds to its contract row.
  for (const r of arm.responses) expect(checkResponse(r), `${r.operation} ${r.status}`).toEqual([]);
  await arm.close();
  await idp.stop();
});

interface Harness {
  core: Core;
  call<C extends Channel>(c: C, req: RequestOf<C>): Promise<ResponseOf<C>>;
  fail<C extends Channel>(c: C, req: RequestOf<C>): Promise<{ code: string; message: string; details?: { path?: string; message: string }[] }>;
  browsed: string[];
}

function open(browser: (url: string) => Promise<void> = async (url) => void (await browseSignIn(url))): Harness {
  const browsed: string[] = [];
  const core = composeCore({
    dataDir: tempDir(),
    keyProvider: testKeyProvider(),
    startScheduler: false,
    startWebhooks: false,
    logger: silentLogger,
    // The Azure provider on the ARM peer (its test token policy); the dialogs' lists below send MSAL's token.
    providers: (d) => createProviders(d, { aws: false, azure: { ...peerProviderOptions(arm), customAuthority: { authority: idp.url, knownAuthorities: [idp.host] } } }),
    azure: {
      endpoints: {
        customAuthority: { authority: idp.url, knownAuthorities: [idp.host] },
        armEndpoint: arm.url,
        armClientOptions: { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } },
        armPipeline: bearerOverHttp(),
      },
      openBrowser: async (url) => {
        browsed.push(url);
        await browser(url);
      },
      waitMs: 2_000,
    },
  });
  const call = async <C extends Channel>(c: C, req: RequestOf<C>) => {
    const r = await core.router.dispatch(c, req, { id: 't', trusted: true });
    if (!r.ok) throw new Error(`${c}: ${r.error.code} ${r.error.message}`);
    return r.value as ResponseOf<C>;
  };
  const fail = async <C extends Channel>(c: C, req: RequestOf<C>) => {
    const r = await core.router.dispatch(c, req, { id: 't', trusted: true });
    if (r.ok) throw new Error(`${c} succeeded`);
    return r.error as { code: string; message: string; details?: { path?: string; message: string }[] };
  };
  return { core, call, fail, browsed };
}

/** Waits for states, as the dialog does: asks again until the sign-in is in one of them. */
async function until(h: Harness, signInId: string, states: string[]) {
  let seq = -1;
  for (;;) {
    const v = await h.call('dr:azureSignIn.wait', { signInId, afterSeq: seq });
    if (states.includes(v.state)) return v;
    if (['signed-in', 'failed', 'cancelled'].includes(v.state)) throw new Error(`sign-in ended ${v.state}: ${v.message}`);
    seq = v.seq;
  }
}

function fileBytes(dataFile: string): Buffer {
  return Buffer.concat([dataFile, `${dataFile}-wal`, `${dataFile}-journal`].filter(existsSync).map((f) => readFileSync(f)));
}

/** The device-code endpoints oauth2-mock-server lacks, as the existing MSAL contract test adds them. */
function deviceCodeRoutes(opts: { pendingPolls: number; forever?: boolean }) {
  const seen: Array<{ path: string; body: Record<string, string> }> = [];
  let polls = 0;
  idp.server.service.on('beforeWellKnownOpenIdConfiguration', (config: { body: Record<string, unknown> }) => {
    config.body.token_endpoint = `${idp.url}/device/token`;
  });
  idp.server.service.addRoute('POST', '/device/devicecode', (req, res: ServerResponse) => {
    seen.push({ path: '/device/devicecode', body: req.body as Record<string, string> });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ device_code: 'dev-1', user_code: 'FCX-42Q', verification_uri: `${idp.url}/device`, expires_in: 900, interval: 1, message: `To sign in, open ${idp.url}/device and enter the code FCX-42Q.` }));
  });
  idp.server.service.addRoute('POST', '/device/token', async (req, res: ServerResponse) => {
    const body = req.body as Record<string, string>;
    seen.push({ path: '/device/token', body });
    polls += 1;
    if (opts.forever || polls <= opts.pendingPolls) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'authorization_pending', error_description: 'AADSTS70016: the user has not yet finished.' }));
      return;
    }
    const access = await idp.server.issuer.buildToken({ scopesOrTransform: (_h, p) => Object.assign(p, { scope: body.scope, tid: TENANT }) });
    const idToken = await idp.server.issuer.buildToken({
      scopesOrTransform: (_h, p) => Object.assign(p, { sub: 'dana', oid: 'dana-oid', tid: TENANT, aud: body.client_id, preferred_username: 'dana@contoso.example' }),
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ access_token: access, token_type: 'Bearer', expires_in: 3600, scope: body.scope, id_token: idToken, refresh_token: randomUUID(), client_info: Buffer.from(JSON.stringify({ uid: 'dana-oid', utid: TENANT })).toString('base64url') }));
  });
  return seen;
}

describe('Azure sign-in and directory through the router', () => {
  it('signs a person in through the system browser, lists tenants, adds the account from the sign-in, and lists subscriptions and resource groups with its token', async () => {
    const h = open();
    try {
      const started = await h.call('dr:azureSignIn.start', { method: 'browser', cloud: 'AzurePublicCloud', tenantId: 'organizations', clientId: CLIENT });
      expect(started.state).toBe('starting');
      const done = await until(h, started.signInId, ['signed-in']);
      expect(done.username).toBeTruthy();
      expect(done.deviceCode).toBeNull();
      expect(h.browsed).toHaveLength(1);
      expect(new URL(h.browsed[0]!).searchParams.get('client_id')).toBe(CLIENT);

      const tenants = await h.call('dr:azure.tenants', { signInId: started.signInId });
      expect(tenants).toEqual([
        { tenantId: TENANT, displayName: 'Contoso', defaultDomain: 'contoso.example' },
        { tenantId: OTHER_TENANT, displayName: 'Fabrikam (managed)', defaultDomain: 'fabrikam.example' },
      ]);
      // MSAL's token (issued by the identity peer) is what ARM got.
      const tenantsReq = arm.requests.find((r) => r.path === '/tenants')!;
      expect(tenantsReq.authorization).toMatch(/^Bearer ey/);
      expect(tenantsReq.apiVersion).toBe('2022-12-01');

      const account = await h.call('dr:accounts.create', {
        name: 'Contoso Azure',
        provider: 'azure',
        cloud: 'azure',
        credentials: { kind: 'azure-user', method: 'browser', cloud: 'AzurePublicCloud', tenantId: TENANT, clientId: CLIENT, signInId: started.signInId },
      });
      expect(account.credentialKind).toBe('azure-user');
      // The sign-in was claimed: it cannot make a second account.
      const again = await h.fail('dr:accounts.create', {
        name: 'Second',
        provider: 'azure',
        cloud: 'azure',
        credentials: { kind: 'azure-user', method: 'browser', cloud: 'AzurePublicCloud', tenantId: TENANT, clientId: CLIENT, signInId: started.signInId },
      });
      expect(again.message).toBe('This sign-in is no longer open; sign in again.');

      // The sealed credentials name the MSAL account; the token cache is in the vault, sealed.
      const resolved = h.core.services.providers.resolveAccount(account.id).credentials as Extract<CredentialInput, { kind: 'azure-user' }>;
      expect(resolved).toMatchObject({ kind: 'azure-user', tenantId: TENANT, clientId: CLIENT, method: 'browser' });
      expect(resolved.homeAccountId).toBeTruthy();
      expect(resolved.signInId).toBeUndefined();
      const sealed = h.core.db.prepare('SELECT name FROM credential_caches WHERE account_id = ?').all(account.id);
      expect(sealed).toEqual([{ name: 'msal' }]);

      const tokenRequestsBefore = idp.tokenRequests.length;
      const subs = await h.call('dr:azure.subscriptions', { accountId: account.id });
      expect(subs).toEqual([{ subscriptionId: SUB, displayName: 'Shop production', state: 'Enabled', tenantId: TENANT }]);
      // Silently from the sealed cache: no new browser, at most a refresh-token redemption.
      expect(h.browsed).toHaveLength(1);
      expect(idp.tokenRequests.slice(tokenRequestsBefore).every((r) => r.grant_type === 'refresh_token')).toBe(true);

      await peerClients(arm).resources.resourceGroups.createOrUpdate('rg-shop-prod', { location: 'westeurope' });
      await peerClients(arm).resources.resourceGroups.createOrUpdate('rg-shop-data', { location: 'westeurope' });
      expect(await h.call('dr:azure.resourceGroups', { accountId: account.id, subscriptionId: SUB })).toEqual([
        { name: 'rg-shop-data', location: 'westeurope' },
        { name: 'rg-shop-prod', location: 'westeurope' },
      ]);
      expect(await h.call('dr:azure.testScope', { accountId: account.id, subscriptionId: SUB })).toEqual({
        ok: true,
        resourceGroups: 2,
        message: `Connected: 2 resource groups in subscription ${SUB}.`,
      });
      // The account's Test connection (the provider's) finds the subscription and counts its groups.
      expect(await h.call('dr:accounts.test', { accountId: account.id })).toEqual({
        ok: true,
        identity: SUB,
        message: `Connected to Azure subscription Shop production (${SUB}): 2 resource groups visible.`,
      });

      await h.core.close();
      const bytes = fileBytes(h.core.dataFile);
      const lastToken = arm.requests.at(-1)!.authorization!.slice('Bearer '.length);
      for (const part of lastToken.split('.')) expect(bytes.includes(Buffer.from(part))).toBe(false);
    } finally {
      await h.core.close();
    }
  });

  it('Cancel of a browser sign-in releases MSAL\'s loopback listener (the browser never came back)', async () => {
    const opened: string[] = [];
    const h = open(async (url) => void opened.push(url));
    try {
      const s = await h.call('dr:azureSignIn.start', { method: 'browser', cloud: 'AzurePublicCloud', tenantId: 'organizations', clientId: CLIENT });
      await until(h, s.signInId, ['waiting-for-browser']);
      const redirect = new URL(new URL(opened[0]!).searchParams.get('redirect_uri')!);
      // Listening while the person is (supposedly) in the browser.
      expect((await fetch(redirect)).status).toBe(200);
      expect(await h.call('dr:azureSignIn.cancel', { signInId: s.signInId })).toMatchObject({ state: 'cancelled' });
      // Until MSAL has closed it: the listener refuses connections.
      for (;;) {
        const up = await fetch(redirect).then(
          () => true,
          () => false,
        );
        if (!up) break;
        await new Promise((r) => setImmediate(r));
      }
      expect((await h.call('dr:azureSignIn.wait', { signInId: s.signInId, afterSeq: -1 })).state).toBe('cancelled');
    } finally {
      await h.core.close();
    }
  });

  it('signs the same person in again to an existing account (its cloud, tenant and app registration), and refuses someone else', async () => {
    const h = open();
    try {
      const first = await h.call('dr:azureSignIn.start', { method: 'browser', cloud: 'AzurePublicCloud', tenantId: TENANT, clientId: CLIENT });
      await until(h, first.signInId, ['signed-in']);
      const account = await h.call('dr:accounts.create', {
        name: 'Contoso Azure',
        provider: 'azure',
        cloud: 'azure',
        credentials: { kind: 'azure-user', method: 'browser', cloud: 'AzurePublicCloud', tenantId: TENANT, clientId: CLIENT, signInId: first.signInId },
      });
      const before = h.core.db.prepare<[string], { sealed: Buffer }>('SELECT sealed FROM credential_caches WHERE account_id = ?').get(account.id)!.sealed;

      const again = await h.call('dr:azureSignIn.startForAccount', { accountId: account.id, method: 'browser' });
      await until(h, again.signInId, ['signed-in']);
      expect(new URL(h.browsed[1]!).searchParams.get('client_id')).toBe(CLIENT);
      expect(await h.call('dr:azureSignIn.renew', { accountId: account.id, signInId: again.signInId })).toMatchObject({ id: account.id, credentialKind: 'azure-user' });
      const after = h.core.db.prepare<[string], { sealed: Buffer }>('SELECT sealed FROM credential_caches WHERE account_id = ?').get(account.id)!.sealed;
      expect(after.equals(before)).toBe(false);
      const audit = await h.call('dr:audit.list', { subjectId: account.id, offset: 0, limit: 10 });
      expect(audit.items.map((e) => e.action)).toContain('account.signIn');
      expect(await h.call('dr:azure.subscriptions', { accountId: account.id })).toHaveLength(1);

      // Someone else (the device-code person) cannot take the account over.
      deviceCodeRoutes({ pendingPolls: 0 });
      const other = await h.call('dr:azureSignIn.startForAccount', { accountId: account.id, method: 'device-code' });
      await until(h, other.signInId, ['signed-in']);
      const refused = await h.fail('dr:azureSignIn.renew', { accountId: account.id, signInId: other.signInId });
      expect(refused.message).toMatch(/^Contoso Azure was added for .+; sign in as them, or add a new account for dana@contoso\.example\.$/);
      const sim = await h.call('dr:accounts.create', { name: 'Rehearsal', provider: 'sim', cloud: 'azure', credentials: { kind: 'none' } });
      expect((await h.fail('dr:azureSignIn.startForAccount', { accountId: sim.id, method: 'browser' })).message).toBe('Rehearsal is not an account a person signs in to.');
    } finally {
      await h.core.close();
    }
  });

  it('device code: the code and verification address come through the wait, then the sign-in finishes and becomes an account in Azure Government', async () => {
    const seen = deviceCodeRoutes({ pendingPolls: 1 });
    const h = open();
    try {
      const s = await h.call('dr:azureSignIn.start', { method: 'device-code', cloud: 'AzureUSGovernment', tenantId: TENANT, clientId: CLIENT });
      const waiting = await until(h, s.signInId, ['waiting-for-code', 'signed-in']);
      if (waiting.state === 'waiting-for-code') {
        expect(waiting.deviceCode).toMatchObject({ userCode: 'FCX-42Q', verificationUri: `${idp.url}/device`, message: expect.stringContaining('FCX-42Q') });
      }
      const done = await until(h, s.signInId, ['signed-in']);
      expect(done.username).toBe('dana@contoso.example');
      expect(done.homeTenantId).toBe(TENANT);
      expect(seen[0]).toMatchObject({ path: '/device/devicecode', body: { client_id: CLIENT } });
      // Azure Government's ARM audience is what the token is asked for.
      expect(seen[0]!.body.scope!.split(' ')).toContain('https://management.usgovcloudapi.net/.default');
      expect(h.browsed).toHaveLength(0);
      const account = await h.call('dr:accounts.create', {
        name: 'Gov',
        provider: 'azure',
        cloud: 'azure',
        credentials: { kind: 'azure-user', method: 'device-code', cloud: 'AzureUSGovernment', tenantId: TENANT, clientId: CLIENT, signInId: s.signInId },
      });
      expect(h.core.services.providers.resolveAccount(account.id).credentials).toMatchObject({ kind: 'azure-user', cloud: 'AzureUSGovernment', method: 'device-code', username: 'dana@contoso.example' });
    } finally {
      await h.core.close();
    }
  });

  it('device code: Cancel while the person has not finished ends the sign-in, and it cannot become an account', async () => {
    deviceCodeRoutes({ pendingPolls: 0, forever: true });
    const h = open();
    try {
      const s = await h.call('dr:azureSignIn.start', { method: 'device-code', cloud: 'AzurePublicCloud', tenantId: 'organizations', clientId: CLIENT });
      const waiting = await until(h, s.signInId, ['waiting-for-code']);
      expect(waiting.deviceCode?.userCode).toBe('FCX-42Q');
      const cancelled = await h.call('dr:azureSignIn.cancel', { signInId: s.signInId });
      expect(cancelled).toMatchObject({ state: 'cancelled', deviceCode: null, message: 'Sign-in was cancelled.' });
      // It stays cancelled (MSAL's poll that was under way does not bring it back).
      const later = await h.call('dr:azureSignIn.wait', { signInId: s.signInId, afterSeq: cancelled.seq });
      expect(later.state).toBe('cancelled');
      const refused = await h.fail('dr:accounts.create', {
        name: 'Never',
        provider: 'azure',
        cloud: 'azure',
        credentials: { kind: 'azure-user', method: 'device-code', cloud: 'AzurePublicCloud', tenantId: TENANT, clientId: CLIENT, signInId: s.signInId },
      });
      expect(refused.message).toBe('Finish signing in before adding the account.');
      expect(await h.call('dr:accounts.list', {})).toHaveLength(0);
    } finally {
      await h.core.close();
    }
  });

  it('a service principal with a certificate lists subscriptions; an ARM refusal is a sentence; the test names the group count', async () => {
    const h = open();
    try {
      const cert = await generate([{ name: 'commonName', value: 'failover-console' }], { keySize: 2048, algorithm: 'sha256' });
      const account = await h.call('dr:accounts.create', {
        name: 'SP cert',
        provider: 'azure',
        cloud: 'azure',
        credentials: { kind: 'azure-service-principal-certificate', tenantId: TENANT, clientId: CLIENT, certificatePem: cert.cert, privateKeyPem: cert.private },
      });
      expect(await h.call('dr:azure.subscriptions', { accountId: account.id })).toHaveLength(1);
      const assertion = idp.tokenRequests.find((r) => r.grant_type === 'client_credentials')!;
      expect(assertion.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      expect(assertion.client_secret).toBeUndefined();
      expect(await h.call('dr:azure.testScope', { accountId: account.id, subscriptionId: SUB })).toMatchObject({ ok: true, resourceGroups: 0, message: `Connected: 0 resource groups in subscription ${SUB}.` });

      arm.inject({ method: 'GET', path: /resourcegroups$/i, status: 403, code: 'AuthorizationFailed', message: "The client does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/read'." });
      const refused = await h.call('dr:azure.testScope', { accountId: account.id, subscriptionId: SUB });
      expect(refused).toMatchObject({ ok: false, resourceGroups: null });
      // The provider core's sentence, naming the action to grant.
      expect(refused.message).toContain('Microsoft.Resources/subscriptions/resourceGroups/read');

      const missing = randomUUID();
      const notFound = await h.call('dr:azure.testScope', { accountId: account.id, subscriptionId: missing });
      expect(notFound).toMatchObject({ ok: false, resourceGroups: null });
      expect(notFound.message).toMatch(/subscription/i);
      // The certificate's private key never came back out.
      expect(JSON.stringify(await h.call('dr:accounts.list', {}))).not.toContain('PRIVATE KEY');
    } finally {
      await h.core.close();
    }
  });

  it('refuses what only a finished sign-in may say, a sign-in that does not exist, and a non-Azure account', async () => {
    const h = open();
    try {
      const madeUp = await h.fail('dr:accounts.create', {
        name: 'Forged',
        provider: 'azure',
        cloud: 'azure',
        credentials: { kind: 'azure-user', method: 'browser', cloud: 'AzurePublicCloud', tenantId: TENANT, clientId: CLIENT, homeAccountId: 'someone.else' },
      });
      expect(madeUp).toMatchObject({ code: 'ValidationFailed', message: 'Sign in to Azure first; the account is added from the finished sign-in.' });
      const gone = await h.fail('dr:azureSignIn.wait', { signInId: 'signin_nope', afterSeq: 0 });
      expect(gone.message).toBe('This sign-in is no longer open; sign in again.');
      const sim = await h.call('dr:accounts.create', { name: 'Rehearsal', provider: 'sim', cloud: 'azure', credentials: { kind: 'none' } });
      const notAzure = await h.fail('dr:azure.subscriptions', { accountId: sim.id });
      expect(notAzure.message).toBe('Rehearsal is not an Azure account.');
      expect(await h.call('dr:accounts.list', {})).toHaveLength(1);
    } finally {
      await h.core.close();
    }
  });
});

describe('the Azure credential and sign-in contracts', () => {
  const uuid = '11111111-2222-4333-8444-555555555555';
  const problems = (v: unknown) => {
    const r = CredentialInputSchema.safeParse(v);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('takes each Azure kind with its cloud, and says which field is wrong', () => {
    expect(problems({ kind: 'azure-service-principal', tenantId: uuid, clientId: uuid, clientSecret: 's', cloud: 'AzureChinaCloud' })).toEqual([]);
    // Saved before the cloud choice: still valid (Azure public).
    expect(problems({ kind: 'azure-service-principal', tenantId: uuid, clientId: uuid, clientSecret: 's' })).toEqual([]);
    expect(problems({ kind: 'azure-service-principal', tenantId: 'contoso', clientId: uuid, clientSecret: 's' })).toEqual(['tenantId: must be a tenant id (a GUID)']);
    expect(problems({ kind: 'azure-service-principal', tenantId: uuid, clientId: uuid, clientSecret: 's', cloud: 'AzureGermany' })[0]).toMatch(/^cloud: /);
    expect(
      problems({ kind: 'azure-service-principal-certificate', tenantId: uuid, clientId: 'x', certificatePem: 'MIIB', privateKeyPem: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----' }),
    ).toEqual(['clientId: must be an application (client) id (a GUID)', 'certificatePem: must be a PEM certificate (-----BEGIN CERTIFICATE-----)']);
    expect(problems({ kind: 'azure-user', method: 'device-code', cloud: 'AzurePublicCloud', tenantId: uuid, clientId: uuid, signInId: 'signin_1' })).toEqual([]);
    expect(problems({ kind: 'azure-user', method: 'carrier-pigeon', cloud: 'AzurePublicCloud', tenantId: uuid, clientId: uuid })[0]).toMatch(/^method: /);
  });

  it('a sign-in starts only with a known method, cloud, a tenant id or "organizations", and nothing else', () => {
    const start = contract['dr:azureSignIn.start'].request;
    expect(start.safeParse({ method: 'browser', cloud: 'AzurePublicCloud', tenantId: 'organizations', clientId: uuid }).success).toBe(true);
    expect(start.safeParse({ method: 'browser', cloud: 'AzurePublicCloud', tenantId: 'common', clientId: uuid }).success).toBe(false);
    expect(start.safeParse({ method: 'browser', cloud: 'AzurePublicCloud', tenantId: uuid, clientId: uuid, authority: 'https://evil.example' }).success).toBe(false);
    const source = contract['dr:azure.tenants'].request;
    expect(source.safeParse({ signInId: 'signin_1' }).success).toBe(true);
    expect(source.safeParse({ signInId: 'signin_1', accountId: 'acc_1' }).success).toBe(false);
    expect(contract['dr:azure.resourceGroups'].request.safeParse({ accountId: 'acc_1', subscriptionId: 'shop' }).error?.issues[0]?.message).toBe('must be a subscription id (a GUID)');
  });
});
