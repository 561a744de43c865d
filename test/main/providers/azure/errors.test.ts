// ARM errors mapped to the console's codes with a sentence a person can act on: from constructed SDK
// errors (the shapes RestError, MSAL's ServerError and a failed poller take) and from the real SDK
// against the ARM peer's injected faults. No secret ever reaches a sentence.

import { RestError, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapArmError, sanitizeArmMessage } from '../../../../main/providers/azure/errors';
import { SignInRequired } from '../../../../main/providers/azure/credential';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import { startArmPeer, type ArmPeer } from '../../../peers/azure-arm/server';
import { FAST_POLL, peerClients, type PeerClients } from '../../../peers/azure-arm/sdk';

const ACTION = 'Microsoft.Compute/virtualMachines/write';
const SECRET = 'sp-secret-9Qx~Lm2.Zt7Vb4Nc8Rw1';

function restError(status: number, code: string, message: string, headers: Record<string, string> = {}): RestError {
  const request = createPipelineRequest({ url: 'https://management.azure.com/x' });
  return new RestError(message, {
    code,
    statusCode: status,
    request,
    response: { status, headers: createHttpHeaders(headers), request, bodyAsText: JSON.stringify({ error: { code, message } }) },
  });
}

describe('mapArmError', () => {
  it('names the missing role action and scope from AuthorizationFailed', () => {
    const f = mapArmError(
      restError(403, 'AuthorizationFailed', "The client 'abc' with object id 'def' does not have authorization to perform action 'Microsoft.Compute/disks/write' over scope '/subscriptions/s1/resourceGroups/dr' or the scope is invalid."),
      'Microsoft.Compute/disks/write',
    );
    expect(f.code).toBe('ProviderPermissionDenied');
    expect(f.message).toContain('"Microsoft.Compute/disks/write"');
    expect(f.message).toContain('/subscriptions/s1/resourceGroups/dr');
    expect(f.retryable).toBe(false);
  });

  it('asks for admin consent on AADSTS65001 (MSAL ServerError wrapped by the bearer policy)', () => {
    const msal = Object.assign(new Error('invalid_grant: AADSTS65001: The user or administrator has not consented to use the application.'), { errorCode: 'invalid_grant' });
    const f = mapArmError(new Error('token failed', { cause: msal }), ACTION);
    expect(f.code).toBe('ProviderAuthFailed');
    expect(f.message).toMatch(/administrator .* must grant .* consent/);
  });

  it('turns a wrong client secret into a sentence that does not repeat it', () => {
    const msal = Object.assign(new Error(`invalid_client: AADSTS7000215: Invalid client secret provided. client_secret=${SECRET}`), { errorCode: 'invalid_client' });
    const f = mapArmError(msal, ACTION, { secrets: [SECRET] });
    expect(f.code).toBe('ProviderAuthFailed');
    expect(f.message).toMatch(/client secret/);
    expect(f.message).not.toContain(SECRET);
  });

  it('treats 429 as throttled and honours Retry-After', () => {
    const f = mapArmError(restError(429, 'SubscriptionRequestsThrottled', 'Number of write requests exceeded.', { 'retry-after': '17' }), ACTION);
    expect(f).toMatchObject({ code: 'ProviderThrottled', retryAfterMs: 17_000 });
    expect(f.retryable).toBe(true);
  });

  it('treats AnotherOperationInProgress as a retryable wait, and a plain Conflict as a conflict', () => {
    const busy = mapArmError(restError(409, 'AnotherOperationInProgress', 'Another operation on this or dependent resource is in progress.', { 'retry-after': '3' }), ACTION);
    expect(busy).toMatchObject({ code: 'ProviderThrottled', retryAfterMs: 3_000 });
    expect(busy.message).toMatch(/busy with another operation/);
    const conflict = mapArmError(restError(409, 'Conflict', 'The disk is attached to VM vm1.'), ACTION);
    expect(conflict.code).toBe('Conflict');
    expect(conflict.message).toContain('attached to VM vm1');
  });

  it('maps quota codes, and OperationNotAllowed only when it speaks of a quota', () => {
    expect(mapArmError(restError(409, 'QuotaExceeded', 'Cores quota exceeded.'), ACTION).code).toBe('ProviderQuotaExceeded');
    const quota = mapArmError(restError(409, 'OperationNotAllowed', "Operation could not be completed as it results in exceeding approved Total Regional Cores quota."), ACTION);
    expect(quota.code).toBe('ProviderQuotaExceeded');
    expect(quota.message).toMatch(/Request a quota increase/);
    expect(mapArmError(restError(409, 'OperationNotAllowed', 'Disk is attached and cannot be deleted.'), ACTION).code).toBe('Conflict');
  });

  it('parses the code out of a failed long-running operation', () => {
    const f = mapArmError(new Error("The long-running operation has failed. QuotaExceeded. Operation could not be completed as it results in exceeding approved standardDSv5Family Cores quota."), ACTION);
    expect(f.code).toBe('ProviderQuotaExceeded');
    expect(f.message).toContain('standardDSv5Family');
    expect(mapArmError(new Error('The long-running operation has failed. InternalServerError. Try later.'), ACTION).code).toBe('ProviderUnavailable');
  });

  it('says which resource group or subscription is missing, and what to do', () => {
    const rg = mapArmError(restError(404, 'ResourceGroupNotFound', "Resource group 'dr-target' could not be found."), ACTION);
    expect(rg).toMatchObject({ code: 'NotFound', message: expect.stringContaining('dr-target') });
    expect(rg.message).toMatch(/create it|fix the environment/);
    const sub = mapArmError(restError(404, 'SubscriptionNotFound', "The subscription 'x' could not be found."), ACTION);
    expect(sub.code).toBe('PreconditionFailed');
    expect(sub.message).toMatch(/subscription id/);
  });

  it('maps AuthenticationFailed and SignInRequired to sign-in sentences', () => {
    expect(mapArmError(restError(401, 'AuthenticationFailed', 'Authentication failed.'), ACTION).code).toBe('ProviderAuthFailed');
    expect(mapArmError(new SignInRequired(), ACTION)).toMatchObject({ code: 'ProviderAuthFailed', message: expect.stringMatching(/sign in/i) });
  });

  it('maps a refused connection to offline and keeps ProviderFailure as is', () => {
    const refused = new RestError('connect ECONNREFUSED 127.0.0.1:9', { code: 'REQUEST_SEND_ERROR' });
    (refused as { cause?: unknown }).cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(mapArmError(refused, ACTION).code).toBe('ProviderOffline');
    const pf = new ProviderFailure('NotFound', 'x');
    expect(mapArmError(pf, ACTION)).toBe(pf);
  });

  it('redacts tokens, keys and passwords from any sentence', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJl';
    const s = sanitizeArmMessage(`Bearer ${jwt} AccountKey=abcd1234; "adminPassword":"Pa55word!" ${SECRET}`, [SECRET]);
    expect(s).not.toContain(jwt);
    expect(s).not.toContain('abcd1234');
    expect(s).not.toContain('Pa55word!');
    expect(s).not.toContain(SECRET);
  });
});

describe('mapArmError on what the real SDK throws against the ARM peer', () => {
  let peer: ArmPeer;
  let c: PeerClients;
  beforeAll(async () => {
    peer = await startArmPeer();
    c = peerClients(peer);
    await c.resources.resourceGroups.createOrUpdate('rg', { location: 'westeurope' });
  });
  afterAll(() => peer.close());

  it('AuthorizationFailed from a PUT names the action', async () => {
    peer.inject({ method: 'PUT', path: /\/disks\/d1$/, status: 403, code: 'AuthorizationFailed', message: "The client 'x' does not have authorization to perform action 'Microsoft.Compute/disks/write' over scope '/subscriptions/s'." });
    const err = await c.compute.disks.createOrUpdate('rg', 'd1', { location: 'westeurope', creationData: { createOption: 'Empty' }, diskSizeGB: 4 }, FAST_POLL).catch((e: unknown) => e);
    const f = mapArmError(err, 'Microsoft.Compute/disks/write');
    expect(f.code).toBe('ProviderPermissionDenied');
    expect(f.message).toContain('Microsoft.Compute/disks/write');
  });

  it('a failed long-running operation, and a missing resource group', async () => {
    peer.failNextOperation({ method: 'PUT', path: /\/disks\/d2$/, code: 'QuotaExceeded', message: 'Disk quota exceeded for the region.' });
    const failed = await c.compute.disks.createOrUpdate('rg', 'd2', { location: 'westeurope', creationData: { createOption: 'Empty' }, diskSizeGB: 4 }, FAST_POLL).catch((e: unknown) => e);
    expect(mapArmError(failed, 'Microsoft.Compute/disks/write').code).toBe('ProviderQuotaExceeded');
    const missing = await c.compute.disks.get('nope', 'd3').catch((e: unknown) => e);
    expect(mapArmError(missing, 'Microsoft.Compute/disks/read')).toMatchObject({ code: 'NotFound', message: expect.stringContaining('nope') });
  });
});
