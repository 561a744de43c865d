// Google credentials from the account kinds: key files checked without echoing them, the JWT a key
// signs, application default credentials refreshed at a loopback token endpoint, and impersonation
// through a loopback IAM Credentials API, checked against generateAccessToken's documented request
// (POST v1/projects/-/serviceAccounts/{email}:generateAccessToken, body delegates / scope / lifetime).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicKey, createVerify, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT, type AuthClient } from 'google-auth-library';
import { CredentialInput, parseGcpServiceAccountKey } from '../../../../shared/domain';
import { authClientFor, credentialsPrincipal, credentialsProject, GCP_SCOPES } from '../../../../main/providers/gcp/credentials';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import { useTempDirs } from '../../../helpers/temp-dir';

const tempDir = useTempDirs();
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const KEY = {
  type: 'service_account',
  project_id: 'dr-source-1',
  private_key_id: 'a1b2c3d4e5f6',
  private_key: PEM,
  client_email: 'dr-console@dr-source-1.iam.gserviceaccount.com',
  client_id: '1234567890',
  token_uri: 'https://oauth2.googleapis.com/token',
};
const keyJson = JSON.stringify(KEY);

interface Seen { path: string; auth: string | undefined; body: string }
let server: Server;
let base = '';
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization, body });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/token') {
        const form = new URLSearchParams(body);
        if (form.get('refresh_token') !== '1//refresh-of-the-operator') {
          res.writeHead(400).end(JSON.stringify({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }));
          return;
        }
        res.end(JSON.stringify({ access_token: 'ya29.user-token', expires_in: 3599, token_type: 'Bearer', scope: GCP_SCOPES[0] }));
        return;
      }
      const m = /^\/v1\/projects\/-\/serviceAccounts\/([^:]+):generateAccessToken$/.exec(req.url ?? '');
      if (m && req.method === 'POST') {
        res.end(JSON.stringify({ accessToken: `ya29.impersonated-${decodeURIComponent(m[1]!)}`, expireTime: new Date(Date.now() + 3_600_000).toISOString() }));
        return;
      }
      res.writeHead(404).end(JSON.stringify({ error: { code: 404, message: 'not found', status: 'NOT_FOUND' } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function adcFile(refresh = '1//refresh-of-the-operator'): string {
  const file = join(tempDir(), 'application_default_credentials.json');
  writeFileSync(file, JSON.stringify({ type: 'authorized_user', client_id: 'cid.apps.googleusercontent.com', client_secret: 'd-FL95Q19q7MQmFpd7hHD0Ty', refresh_token: refresh }));
  return file;
}

const token = async (c: AuthClient) => (await c.getAccessToken()).token;

describe('Google service-account key files', () => {
  it('accepts a key and names its principal and project', () => {
    const parsed = CredentialInput.safeParse({ kind: 'gcp-service-account-key', keyJson });
    expect(parsed.success).toBe(true);
    const c = { kind: 'gcp-service-account-key' as const, keyJson };
    expect(credentialsPrincipal(c)).toBe(KEY.client_email);
    expect(credentialsProject(c)).toBe('dr-source-1');
  });

  it.each([
    ['not JSON', 'not json {', /is not JSON/],
    ['a user credentials file', JSON.stringify({ type: 'authorized_user', refresh_token: '1//x' }), /type must be a service-account key/],
    ['a key without its private key', JSON.stringify({ ...KEY, private_key: 'MIIEvQIBADAN' }), /private_key is not a PEM private key/],
    ['a key with a malformed e-mail', JSON.stringify({ ...KEY, client_email: 'someone@example.com' }), /client_email is not a service-account e-mail/],
  ])('refuses %s with a sentence naming the field and none of the key', (_what, text, sentence) => {
    const r = parseGcpServiceAccountKey(text);
    expect('error' in r && r.error).toMatch(sentence);
    const parsed = CredentialInput.safeParse({ kind: 'gcp-service-account-key', keyJson: text });
    expect(parsed.success).toBe(false);
    const issue = parsed.error!.issues.find((i) => i.path.includes('keyJson'));
    expect(issue?.message).toMatch(sentence);
    expect(JSON.stringify(parsed.error!.issues)).not.toContain('MIIE');
  });

  it('signs with the key: a JWT the key id names, issued by the service account, for the cloud-platform scope', async () => {
    const client = await authClientFor({ kind: 'gcp-service-account-key', keyJson });
    expect(client).toBeInstanceOf(JWT);
    // Self-signed (no token call) so the signature can be checked here with the public key.
    (client as JWT).useJWTAccessWithScope = true;
    const headers = await client.getRequestHeaders('https://compute.googleapis.com/compute/v1/projects/dr-source-1/zones');
    const bearer = headers.get('authorization')!.replace(/^Bearer /, '');
    const [h, p, sig] = bearer.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString()) as { kid: string; alg: string };
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as { iss: string; sub: string; scope: string };
    expect(header).toMatchObject({ kid: KEY.private_key_id, alg: 'RS256' });
    expect(payload).toMatchObject({ iss: KEY.client_email, sub: KEY.client_email, scope: GCP_SCOPES[0] });
    const verify = createVerify('RSA-SHA256').update(`${h}.${p}`);
    expect(verify.verify(createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })), Buffer.from(sig!, 'base64url'))).toBe(true);
  });
});

describe('application default credentials and impersonation', () => {
  it("refreshes the operator's application default credentials at the token endpoint", async () => {
    const client = await authClientFor({ kind: 'gcp-application-default' }, { adcFile: adcFile(), tokenUrl: `${base}/token` });
    expect(await token(client)).toBe('ya29.user-token');
    const call = seen.filter((s) => s.path === '/token').at(-1)!;
    expect(new URLSearchParams(call.body).get('grant_type')).toBe('refresh_token');
  });

  it('says how to sign in when this computer has no application default credentials', async () => {
    const err = await authClientFor({ kind: 'gcp-application-default' }, { adcFile: join(tempDir(), 'missing.json') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderFailure);
    expect((err as ProviderFailure).code).toBe('ProviderAuthFailed');
    expect((err as ProviderFailure).message).toContain('gcloud auth application-default login');
  });

  it('impersonates a service account from application default credentials, with the delegation chain, as generateAccessToken documents', async () => {
    const target = 'dr-failover@dr-target-1.iam.gserviceaccount.com';
    const c = { kind: 'gcp-impersonation' as const, targetServiceAccount: target, delegates: ['hop@dr-source-1.iam.gserviceaccount.com'], source: { kind: 'gcp-application-default' as const } };
    expect(CredentialInput.safeParse(c).success).toBe(true);
    expect(credentialsPrincipal(c)).toBe(target);
    expect(credentialsProject(c)).toBe('dr-target-1');
    const client = await authClientFor(c, { adcFile: adcFile(), tokenUrl: `${base}/token`, iamCredentialsEndpoint: base });
    expect(await token(client)).toBe(`ya29.impersonated-${target}`);
    const call = seen.filter((s) => s.path.includes(':generateAccessToken')).at(-1)!;
    // The source's token authorises the call; the body is the documented request.
    expect(call.auth).toBe('Bearer ya29.user-token');
    expect(JSON.parse(call.body)).toEqual({ delegates: ['projects/-/serviceAccounts/hop@dr-source-1.iam.gserviceaccount.com'], scope: GCP_SCOPES, lifetime: '3600s' });
  });

  it('refuses an impersonation target that is not a service account, changing nothing', () => {
    const r = CredentialInput.safeParse({ kind: 'gcp-impersonation', targetServiceAccount: 'alice@example.com', source: { kind: 'gcp-application-default' } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['targetServiceAccount']);
  });
});
