// Google API errors, as the real clients raise them, mapped to the console's codes and sentences.
// A loopback server answers with the error bodies Google documents (AIP-193 and the Compute Engine
// error reference); the calls go through @googleapis/sqladmin (gaxios) and @google-cloud/compute over
// its REST fallback (google-gax), so each test sees the error object those libraries really build.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuth2Client } from 'google-auth-library';
import { sqladmin } from '@googleapis/sqladmin';
import { InstancesClient } from '@google-cloud/compute';
import { mapGcpError, googleErrorFacts } from '../../../../main/providers/gcp/errors';

type Reply = { status: number; body: unknown; headers?: Record<string, string> };

// AIP-193's example of a disabled API, as Google sends it (ErrorInfo with the service and activation URL).
const serviceDisabled: Reply = {
  status: 403,
  body: {
    error: {
      code: 403,
      message:
        'Cloud SQL Admin API has not been used in project 123456789 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/sqladmin.googleapis.com/overview?project=123456789 then retry.',
      status: 'PERMISSION_DENIED',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'SERVICE_DISABLED',
          domain: 'googleapis.com',
          metadata: { service: 'sqladmin.googleapis.com', consumer: 'projects/123456789', activationUrl: 'https://console.developers.google.com/apis/api/sqladmin.googleapis.com/overview?project=123456789' },
        },
      ],
    },
  },
};
const iamDenied: Reply = {
  status: 403,
  body: {
    error: {
      code: 403,
      message: "Permission 'cloudsql.instances.promoteReplica' denied on resource (or it may not exist).",
      status: 'PERMISSION_DENIED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'iam.googleapis.com', metadata: { permission: 'cloudsql.instances.promoteReplica' } }],
    },
  },
};
// Compute Engine's legacy error list: reason + message, no ErrorInfo.
const computeDenied: Reply = {
  status: 403,
  body: { error: { code: 403, message: "Required 'compute.instances.create' permission for 'projects/dr-target/zones/europe-west1-b/instances/web-1'", errors: [{ message: "Required 'compute.instances.create' permission for 'projects/dr-target/zones/europe-west1-b/instances/web-1'", domain: 'global', reason: 'forbidden' }] } },
};
const computeQuota: Reply = {
  status: 403,
  body: { error: { code: 403, message: "Quota 'CPUS' exceeded.  Limit: 24.0 in region europe-west1.", errors: [{ message: "Quota 'CPUS' exceeded.  Limit: 24.0 in region europe-west1.", domain: 'usageLimits', reason: 'quotaExceeded' }] } },
};
const rateLimited: Reply = {
  status: 403,
  body: { error: { code: 403, message: 'Rate Limit Exceeded', errors: [{ message: 'Rate Limit Exceeded', domain: 'usageLimits', reason: 'rateLimitExceeded' }] } },
};
const exhausted: Reply = {
  status: 429,
  headers: { 'retry-after': '7' },
  body: {
    error: {
      code: 429,
      message: "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'sqladmin.googleapis.com' for consumer 'project_number:123456789'.",
      status: 'RESOURCE_EXHAUSTED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED', domain: 'googleapis.com', metadata: { service: 'sqladmin.googleapis.com', quota_metric: 'sqladmin.googleapis.com/default', quota_limit: 'defaultPerMinutePerProject' } }],
    },
  },
};
const notReady: Reply = {
  status: 400,
  body: { error: { code: 400, message: "The resource 'projects/p/zones/z/disks/d' is not ready", errors: [{ message: "The resource 'projects/p/zones/z/disks/d' is not ready", domain: 'global', reason: 'resourceNotReady' }] } },
};
const notFound: Reply = {
  status: 404,
  body: { error: { code: 404, message: "The resource 'projects/p/zones/z/instances/web-9' was not found", errors: [{ message: "The resource 'projects/p/zones/z/instances/web-9' was not found", domain: 'global', reason: 'notFound' }] } },
};
const invalidGrant: Reply = { status: 400, body: { error: 'invalid_grant', error_description: 'reauth related error (invalid_rapt)' } };

let server: Server;
let base = '';
let reply: Reply = serviceDisabled;
let lastAuth: string | undefined;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    lastAuth = req.headers.authorization;
    req.resume();
    req.on('end', () => {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A real auth client holding an access token that does not expire during the test: no token call. */
function tokenAuth(): OAuth2Client {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: 'ya29.test-token-not-a-secret', expiry_date: Date.now() + 3_600_000 });
  return auth;
}

async function viaSqlAdmin(r: Reply, auth: OAuth2Client = tokenAuth()): Promise<unknown> {
  reply = r;
  const api = sqladmin({ version: 'v1', auth, rootUrl: `${base}/` });
  return api.instances.get({ project: 'dr-target', instance: 'orders-replica' }).then(
    () => {
      throw new Error('the call should have failed');
    },
    (e: unknown) => e,
  );
}

async function viaCompute(r: Reply, port = Number(new URL(base).port)): Promise<unknown> {
  reply = r;
  const client = new InstancesClient({ fallback: true, apiEndpoint: '127.0.0.1', port, protocol: 'http', authClient: tokenAuth() } as ConstructorParameters<typeof InstancesClient>[0]);
  try {
    await client.insert({ project: 'dr-target', zone: 'europe-west1-b', requestId: '8f0e7c3e-6b1a-4c0d-9d7e-4f1a2b3c4d5e', instanceResource: { name: 'web-1' } });
    throw new Error('the call should have failed');
  } catch (e) {
    return e;
  } finally {
    await client.close();
  }
}

describe('Google API errors as the clients raise them', () => {
  it('names a disabled API and the command that enables it (gaxios, ErrorInfo SERVICE_DISABLED)', async () => {
    const err = await viaSqlAdmin(serviceDisabled);
    expect(lastAuth).toBe('Bearer ya29.test-token-not-a-secret');
    const f = mapGcpError(err, 'sqladmin.instances.get', { project: 'dr-target' });
    expect(f.code).toBe('PreconditionFailed');
    expect(f.message).toContain('The Cloud SQL Admin API (sqladmin.googleapis.com) is not enabled in project dr-target');
    expect(f.message).toContain('`gcloud services enable sqladmin.googleapis.com --project dr-target`');
    expect(f.message).toContain('https://console.developers.google.com/apis/api/sqladmin.googleapis.com/overview?project=123456789');
  });

  it('names the denied permission (gaxios, IAM_PERMISSION_DENIED) and who needs it', async () => {
    const f = mapGcpError(await viaSqlAdmin(iamDenied), 'sqladmin.instances.promoteReplica', { project: 'dr-target', principal: 'dr-console@dr-src.iam.gserviceaccount.com' });
    expect(f.code).toBe('ProviderPermissionDenied');
    expect(f.message).toMatch(/^dr-console@dr-src\.iam\.gserviceaccount\.com is not allowed to call sqladmin\.instances\.promoteReplica: grant it a role with "cloudsql\.instances\.promoteReplica" on project dr-target/);
  });

  it('names the permission from a Compute Engine legacy error over the REST fallback (google-gax)', async () => {
    const err = await viaCompute(computeDenied);
    const f = mapGcpError(err, 'compute.instances.insert', { project: 'dr-target' });
    expect(f.code).toBe('ProviderPermissionDenied');
    expect(f.message).toContain('"compute.instances.create"');
  });

  it('tells a quota (quotaExceeded, with its name) from a rate limit (rateLimitExceeded, retried)', async () => {
    const quota = mapGcpError(await viaCompute(computeQuota), 'compute.instances.insert', { project: 'dr-target' });
    expect(quota.code).toBe('ProviderQuotaExceeded');
    expect(quota.message).toContain('(CPUS)');
    expect(quota.retryable).toBe(false);
    const rate = mapGcpError(await viaCompute(rateLimited), 'compute.instances.insert', { project: 'dr-target' });
    expect(rate.code).toBe('ProviderThrottled');
    expect(rate.retryable).toBe(true);
  });

  it('retries RESOURCE_EXHAUSTED per-minute quota after the Retry-After the answer gives', async () => {
    const f = mapGcpError(await viaSqlAdmin(exhausted), 'sqladmin.instances.get', { project: 'dr-target' });
    expect(f.code).toBe('ProviderThrottled');
    expect(f.retryAfterMs).toBe(7000);
  });

  it('retries a resource that is not ready, and maps a missing one to NotFound', async () => {
    expect(mapGcpError(await viaCompute(notReady), 'compute.instances.insert').code).toBe('ProviderUnavailable');
    expect(mapGcpError(await viaSqlAdmin(notFound), 'sqladmin.instances.get').code).toBe('NotFound');
  });

  it('asks for a new sign-in when the token endpoint answers invalid_grant (reauth), without a token in the sentence', async () => {
    const auth = new OAuth2Client({ clientId: 'test-client', clientSecret: 'test-secret', endpoints: { oauth2TokenUrl: `${base}/token` } });
    auth.setCredentials({ refresh_token: '1//0gREFRESH-token-that-must-not-leak-0123456789' });
    const f = mapGcpError(await viaSqlAdmin(invalidGrant, auth), 'sqladmin.instances.get');
    expect(f.code).toBe('ProviderAuthFailed');
    expect(f.message).toContain('gcloud auth application-default login');
    expect(f.message).not.toContain('REFRESH-token');
  });

  it('reports a refused connection as offline', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const f = mapGcpError(await viaCompute(notFound, port), 'compute.instances.insert');
    expect(f.code).toBe('ProviderOffline');
    expect(f.retryable).toBe(true);
  });

  it('reads the facts of a body that is not JSON without throwing', () => {
    const facts = googleErrorFacts({ message: 'boom', response: { status: 502, data: '<html>Bad gateway</html>' } });
    expect(facts.httpStatus).toBe(502);
    expect(mapGcpError({ message: 'boom', response: { status: 502, data: '<html>' } }, 'x.y.z').code).toBe('ProviderUnavailable');
  });
});
