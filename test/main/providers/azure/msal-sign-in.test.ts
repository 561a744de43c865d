// Sign-in with @azure/msal-node against the identity peer (oauth2-mock-server over HTTPS on
// loopback): a service principal with a secret and with a certificate, interactive sign-in with the
// system-browser step driven by a plain HTTP client on the loopback redirect, and device code
// (which the mock does not implement: a contract test on routes the test adds, said below). The
// MsalTokenCredential's cache goes through the vault's credential-cache port: it round-trips and the
// data file never holds a token in clear.

import { createPublicKey, createVerify, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { generate } from 'selfsigned';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { composeCore, createProviders, type Core, type ProviderDeps } from '../../../../main/compose';
import { silentLogger } from '../../../../main/core/logger';
import {
  certificateThumbprint,
  servicePrincipalApp,
  signInInteractive,
  signInWithDeviceCode,
  userApp,
  vaultCachePlugin,
  type AppIdentity,
  type DeviceCodePrompt,
} from '../../../../main/providers/azure/auth';
import { MsalTokenCredential, SignInRequired } from '../../../../main/providers/azure/credential';
import type { CredentialCachePort } from '../../../../main/providers/types';
import { testKeyProvider } from '../../../helpers/keys';
import { useTempDirs } from '../../../helpers/temp-dir';
import { startIdentityPeer, type IdentityPeer } from '../../../peers/identity';

const ARM = ['https://management.azure.com/.default'];
const tempDir = useTempDirs();
let idp: IdentityPeer;

beforeEach(async () => {
  idp = await startIdentityPeer();
});
afterEach(async () => {
  await idp.stop();
});

const identity = (clientId = randomUUID()): AppIdentity => ({
  tenantId: randomUUID(),
  clientId,
  customAuthority: { authority: idp.url, knownAuthorities: [idp.host] },
});

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A composed core whose credential-cache port we keep, and an account to bind caches to. */
async function openCore(dataDir: string, existingAccountId?: string): Promise<{ core: Core; port: CredentialCachePort; accountId: string }> {
  let deps: ProviderDeps | undefined;
  const core = composeCore({
    dataDir,
    keyProvider: testKeyProvider(),
    startScheduler: false,
    startWebhooks: false,
    logger: silentLogger,
    providers: (d) => {
      deps = d;
      return createProviders(d, { aws: false });
    },
  });
  if (existingAccountId) return { core, port: deps!.credentialCache, accountId: existingAccountId };
  const r = await core.router.dispatch('dr:accounts.create', { name: 'Azure prod', provider: 'sim', cloud: 'azure', credentials: { kind: 'none' } }, { id: 't', trusted: true });
  if (!r.ok) throw new Error(r.error.message);
  return { core, port: deps!.credentialCache, accountId: (r.value as { id: string }).id };
}

/** Every byte SQLite may have put on disk for the data file. */
function fileBytes(dataFile: string): Buffer {
  return Buffer.concat([dataFile, `${dataFile}-wal`, `${dataFile}-journal`].filter(existsSync).map((f) => readFileSync(f)));
}

describe('MSAL against the identity peer', () => {
  it('signs a service principal in with its secret and keeps the token cache sealed in the vault', async () => {
    const dir = tempDir();
    const { core, port, accountId } = await openCore(dir);
    const id = identity();
    const credential = new MsalTokenCredential({ kind: 'service-principal', app: servicePrincipalApp(id, { kind: 'client-secret', clientSecret: 'sp-secret-value-1' }, vaultCachePlugin(port, accountId)) });

    const token = await credential.getToken(ARM);
    expect(token?.tokenType).toBe('Bearer');
    expect(token!.expiresOnTimestamp).toBeGreaterThan(Date.now());
    expect(claims(token!.token)).toMatchObject({ iss: idp.url, scope: ARM[0] });
    expect(idp.tokenRequests).toHaveLength(1);
    expect(idp.tokenRequests[0]).toMatchObject({ grant_type: 'client_credentials', client_id: id.clientId, client_secret: 'sp-secret-value-1' });

    // The cache MSAL handed over is in the port, and a second app (a later session) is served from it.
    const sealed = await port.read(accountId, 'msal');
    expect(sealed).toContain(token!.token);
    const again = new MsalTokenCredential({ kind: 'service-principal', app: servicePrincipalApp(id, { kind: 'client-secret', clientSecret: 'sp-secret-value-1' }, vaultCachePlugin(port, accountId)) });
    expect((await again.getToken(ARM))?.token).toBe(token!.token);
    expect(idp.tokenRequests).toHaveLength(1);

    await core.close();
    // On disk: ciphertext only. Neither the access token nor any of its three parts appears in clear.
    const bytes = fileBytes(core.dataFile);
    for (const part of [token!.token, ...token!.token.split('.')]) expect(bytes.includes(Buffer.from(part))).toBe(false);
    expect(bytes.includes(Buffer.from('"AccessToken"'))).toBe(false);

    // Reopened with the same key, the cache still serves the token without a sign-in.
    const second = await openCore(dir, accountId);
    const reopened = new MsalTokenCredential({ kind: 'service-principal', app: servicePrincipalApp(id, { kind: 'client-secret', clientSecret: 'sp-secret-value-1' }, vaultCachePlugin(second.port, accountId)) });
    expect((await reopened.getToken(ARM))?.token).toBe(token!.token);
    expect(idp.tokenRequests).toHaveLength(1);
    await second.core.close();
  });

  it('signs a service principal in with a certificate: a signed client assertion, no secret', async () => {
    const pems = await generate([{ name: 'commonName', value: 'failover-console-sp' }], { keySize: 2048, algorithm: 'sha256' });
    const id = identity();
    const app = servicePrincipalApp(id, { kind: 'client-certificate', certificatePem: pems.cert, privateKeyPem: pems.private });
    const token = await new MsalTokenCredential({ kind: 'service-principal', app }).getToken(ARM);
    expect(token?.token).toBeTruthy();

    const sent = idp.tokenRequests[0]!;
    expect(sent.client_secret).toBeUndefined();
    expect(sent.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    // The mock does not verify assertions; we do: signed by the certificate's key, for this client and token endpoint.
    const [h, p, s] = sent.client_assertion!.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(header.alg).toBe('PS256');
    expect(Buffer.from(String(header['x5t#S256']), 'base64url').toString('hex')).toBe(certificateThumbprint(pems.cert));
    const verify = createVerify('RSA-SHA256');
    verify.update(`${h}.${p}`);
    expect(verify.verify({ key: createPublicKey(pems.cert), padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }, Buffer.from(s, 'base64url'))).toBe(true);
    expect(claims(sent.client_assertion!)).toMatchObject({ iss: id.clientId, sub: id.clientId, aud: `${idp.url}/token` });
  });

  it('signs a person in through the system browser and a loopback redirect, then silently from the cache', async () => {
    const dir = tempDir();
    const { core, port, accountId } = await openCore(dir);
    const id = identity();
    const app = userApp(id, vaultCachePlugin(port, accountId));
    const visited: string[] = [];
    // The system browser, played by a plain HTTP client. MSAL asks for response_mode=form_post (Entra
    // ID answers with a page that POSTs code and state to the redirect URI); the mock only redirects
    // with them in the query, so the "browser" POSTs what the redirect carries to MSAL's loopback
    // listener, as the form would. The listener takes the code (PKCE) and answers the success page.
    const browser = async (url: string) => {
      visited.push(url);
      const authorize = await fetch(url, { redirect: 'manual' });
      const back = new URL(authorize.headers.get('location')!);
      visited.push(back.href);
      const form = new URLSearchParams(back.searchParams);
      back.search = '';
      const page = await fetch(back, { method: 'POST', body: form });
      expect(await page.text()).toContain('Signed in');
    };
    const result = await signInInteractive(app, ARM, browser);
    expect(result.account?.homeAccountId).toBeTruthy();
    const authorizeUrl = new URL(visited[0]!);
    expect(authorizeUrl.origin + authorizeUrl.pathname).toBe(`${idp.url}/authorize`);
    expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizeUrl.searchParams.get('response_mode')).toBe('form_post');
    expect(new URL(authorizeUrl.searchParams.get('redirect_uri')!).hostname).toBe('localhost');
    expect(idp.tokenRequests.at(-1)).toMatchObject({ grant_type: 'authorization_code', client_id: id.clientId });
    expect(idp.tokenRequests.at(-1)!.code_verifier).toBeTruthy();

    // Later: a new app over the same sealed cache finds the account and its token without a browser.
    const later = userApp(id, vaultCachePlugin(port, accountId));
    const credential = new MsalTokenCredential({ kind: 'user', app: later, homeAccountId: result.account!.homeAccountId });
    expect((await credential.getToken(ARM))?.token).toBe(result.accessToken);
    const before = idp.tokenRequests.length;
    // With the access token forced stale, MSAL redeems the cached refresh token.
    const refreshed = await later.acquireTokenSilent({ account: result.account!, scopes: ARM, forceRefresh: true });
    // (The mock's tokens carry no jti: one minted in the same second as the first is byte-identical.)
    expect(refreshed.accessToken).toBeTruthy();
    expect(idp.tokenRequests.slice(before)).toEqual([expect.objectContaining({ grant_type: 'refresh_token' })]);

    // An account the cache does not know needs a new sign-in, said as such.
    await expect(new MsalTokenCredential({ kind: 'user', app: later, homeAccountId: 'nobody.nowhere' }).getToken(ARM)).rejects.toBeInstanceOf(SignInRequired);
    await core.close();
    const bytes = fileBytes(core.dataFile);
    expect(bytes.includes(Buffer.from(refreshed.accessToken))).toBe(false);
  });

  it('device code: MSAL asks the devicecode endpoint, shows the code, and polls until the person finishes (contract test)', async () => {
    // oauth2-mock-server has no device authorization endpoint and refuses the device_code grant, so
    // this test adds both as routes on the mock (its issuer signs the tokens). What it proves is the
    // requests MSAL sends and how it handles authorization_pending, not a real authority's answers.
    const seen: Array<{ path: string; body: Record<string, string> }> = [];
    let polls = 0;
    idp.server.service.on('beforeWellKnownOpenIdConfiguration', (config: { body: Record<string, unknown> }) => {
      config.body.token_endpoint = `${idp.url}/device/token`;
    });
    idp.server.service.addRoute('POST', '/device/devicecode', (req, res: ServerResponse) => {
      const body = req.body as Record<string, string>;
      seen.push({ path: '/device/devicecode', body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ device_code: 'dev-code-1', user_code: 'FCX-42', verification_uri: `${idp.url}/device`, expires_in: 900, interval: 1, message: `To sign in, open ${idp.url}/device and enter the code FCX-42.` }));
    });
    idp.server.service.addRoute('POST', '/device/token', async (req, res: ServerResponse) => {
      const body = req.body as Record<string, string>;
      seen.push({ path: '/device/token', body });
      polls += 1;
      if (polls === 1) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'authorization_pending', error_description: 'The user has not yet completed sign-in.' }));
        return;
      }
      const clientId = body.client_id!;
      const access = await idp.server.issuer.buildToken({ scopesOrTransform: (_h, p) => Object.assign(p, { scope: body.scope }) });
      const idToken = await idp.server.issuer.buildToken({ scopesOrTransform: (_h, p) => Object.assign(p, { sub: 'jane', aud: clientId, preferred_username: 'jane@contoso.example' }) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: access, token_type: 'Bearer', expires_in: 3600, scope: body.scope, id_token: idToken, refresh_token: randomUUID() }));
    });

    const id = identity();
    const prompts: DeviceCodePrompt[] = [];
    const result = await signInWithDeviceCode(userApp(id), ARM, (p) => prompts.push(p));
    expect(prompts).toEqual([{ userCode: 'FCX-42', verificationUri: `${idp.url}/device`, message: expect.stringContaining('FCX-42'), expiresInSeconds: 900 }]);
    expect(result.accessToken).toBeTruthy();
    expect(seen[0]).toMatchObject({ path: '/device/devicecode', body: { client_id: id.clientId } });
    expect(seen[0]!.body.scope!.split(' ')).toEqual(expect.arrayContaining([ARM[0], 'openid', 'profile', 'offline_access']));
    expect(seen.slice(1).map((s) => s.body)).toEqual([
      expect.objectContaining({ grant_type: 'device_code', device_code: 'dev-code-1', client_id: id.clientId }),
      expect.objectContaining({ grant_type: 'device_code', device_code: 'dev-code-1', client_id: id.clientId }),
    ]);
  });
});
