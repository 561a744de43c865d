// The journaled long-running operation helper (lro.ts) against the ARM peer through the real SDKs:
// intent before the PUT, the poller's state journaled as the handle, resume by restoring the poller
// (core-lro 3 restorePoller and core-lro 2 resumeFrom) with no second PUT, adoption by name when only
// the intent was journaled, deletes of what is gone; and the clients' rate policy (headers, gates).

import { restorePoller, type Disk } from '@azure/arm-compute';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AzureContext, armFamily, bucketOf, ArmHeadroom } from '../../../../main/providers/azure/clients';
import { armDelete, armLro, v2Poller, v3Poller } from '../../../../main/providers/azure/lro';
import type { EnvRef, ResolvedAccount } from '../../../../main/providers/types';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import { StepJournal } from '../../../conformance/crash-context';
import { startArmPeer, type ArmPeer } from '../../../peers/azure-arm/server';
import { peerClients, peerProviderOptions, type PeerClients } from '../../../peers/azure-arm/sdk';

const LOC = 'westeurope';
const RG = 'dr-lro';

const account: ResolvedAccount = {
  id: 'acct-azure-lro',
  name: 'LRO test',
  provider: 'azure',
  cloud: 'azure',
  credentials: { kind: 'azure-service-principal', tenantId: '11111111-1111-1111-1111-111111111111', clientId: '22222222-2222-2222-2222-222222222222', clientSecret: 'never-sent' },
};

let peer: ArmPeer;
let c: PeerClients;
let env: EnvRef;

beforeAll(async () => {
  peer = await startArmPeer({ pollsToComplete: 2 });
  c = peerClients(peer);
  await c.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
  await c.sql.servers.beginCreateOrUpdateAndWait(RG, 'sql1', { location: LOC, administratorLogin: 'dba', administratorLoginPassword: 'Pa55word!' }, { updateIntervalInMs: 5 });
  env = { environmentId: 'env-lro', account, region: LOC, scope: { cloud: 'azure', location: LOC, subscriptionId: peer.subscriptionId, resourceGroup: RG } };
});
afterAll(() => peer.close());
afterEach(() => peer.release());

const journal = (key: string) => new StepJournal({ key, jobId: 'job-lro', policyId: 'pol-lro', source: env, target: env });
const puts = (suffix: string) => peer.requests.filter((r) => r.method === 'PUT' && r.path.toLowerCase().endsWith(suffix.toLowerCase()));

function diskOp(az: AzureContext, name: string) {
  const compute = az.compute(env);
  const body = { location: LOC, creationData: { createOption: 'Empty' as const }, diskSizeGB: 8 };
  return {
    action: 'Microsoft.Compute/disks/write',
    intent: { name, diskSizeGB: 8 },
    start: () => v3Poller(compute.disks.createOrUpdate(RG, name, body, az.pollOptions(new AbortController().signal))),
    restore: (state: string) => v3Poller(restorePoller(compute, state, compute.disks.createOrUpdate, az.pollOptions(new AbortController().signal))),
    lookup: async (signal: AbortSignal) => compute.disks.get(RG, name, { abortSignal: signal }),
    stateOf: (d: Disk) => d.provisioningState,
    project: (d: Disk) => ({ id: d.id!, name: d.name! }),
  };
}

/** Waits (on the journal, not the clock) until the op has a handle row. */
async function handleJournaled(j: StepJournal, opKey: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (j.ops.rows.some((r) => r.opKey === opKey && r.kind === 'handle')) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no handle journaled for ${opKey}`);
}

describe('armLro', () => {
  it('journals the intent, then the poller state as handle, then the outcome; one PUT; polls take read tokens', async () => {
    const az = new AzureContext(peerProviderOptions(peer));
    const j = journal('plain');
    const a = j.attempt();
    const out = await armLro(az, a.ctx, env, 'disk', diskOp(az, 'd-plain'));
    expect(out).toEqual({ id: expect.stringMatching(/\/disks\/d-plain$/), name: 'd-plain' });
    expect(j.ops.rows.map((r) => r.kind)).toEqual(['intent', 'handle', 'outcome']);
    expect(j.ops.rows[0]!.material).toMatchObject({ action: 'Microsoft.Compute/disks/write', location: LOC, name: 'd-plain' });
    const op = peer.operations().find((o) => o.resourceId.endsWith('/d-plain'))!;
    expect(String(j.ops.rows[1]!.material.pollerState)).toContain(op.id);
    expect(puts('/disks/d-plain')).toHaveLength(1);
    expect(j.ops.tokens.get('azure.arm.write')).toBe(1);
    expect(j.ops.tokens.get('azure.arm.read') ?? 0).toBeGreaterThanOrEqual(2);
    // A second run of the same step answers from the journal without a call.
    const again = await armLro(az, j.attempt().ctx, env, 'disk', diskOp(az, 'd-plain'));
    expect(again).toEqual(out);
    expect(puts('/disks/d-plain')).toHaveLength(1);
  });

  it('killed mid-poll, a new process restores the poller from the handle and finishes with no second PUT (core-lro 3)', async () => {
    const j = journal('mid-poll');
    peer.hold();
    const kill = new AbortController();
    const first = new AzureContext(peerProviderOptions(peer));
    const running = armLro(first, j.attempt(null, kill.signal).ctx, env, 'disk', diskOp(first, 'd-mid')).catch((e: unknown) => e);
    await handleJournaled(j, 'disk');
    kill.abort(new Error('SIGKILL'));
    expect(await running).toBeInstanceOf(Error);
    expect(j.ops.rows.map((r) => r.kind)).toEqual(['intent', 'handle']);
    expect(peer.resource(`${env.scope.cloud === 'azure' ? `/subscriptions/${peer.subscriptionId}/resourceGroups/${RG}` : ''}/providers/Microsoft.Compute/disks/d-mid`)?.properties.provisioningState).toBe('Updating');

    const second = new AzureContext(peerProviderOptions(peer));
    peer.release();
    const out = await armLro(second, j.attempt().ctx, env, 'disk', diskOp(second, 'd-mid'));
    expect(out.name).toBe('d-mid');
    expect(puts('/disks/d-mid')).toHaveLength(1);
    expect(j.progress.some((p) => /Resuming/.test(p))).toBe(true);
  });

  it('with only an intent journaled, adopts the resource found by its name (no PUT), or PUTs when there is none', async () => {
    const j = journal('intent-only');
    const az = new AzureContext(peerProviderOptions(peer));
    const cut = j.attempt({ op: 1, phase: 'before-call' });
    await expect(armLro(az, cut.ctx, env, 'disk', diskOp(az, 'd-adopt'))).rejects.toThrow(/power cut/);
    expect(puts('/disks/d-adopt')).toHaveLength(0);
    // The PUT did reach ARM before the process died (the handle never made it to the journal).
    await c.compute.disks.createOrUpdate(RG, 'd-adopt', { location: LOC, creationData: { createOption: 'Empty' }, diskSizeGB: 8 }, { updateIntervalInMs: 5 });
    const out = await armLro(az, j.attempt().ctx, env, 'disk', diskOp(az, 'd-adopt'));
    expect(out.name).toBe('d-adopt');
    expect(puts('/disks/d-adopt')).toHaveLength(1);
    expect(j.ops.rows.at(-1)!.material).toMatchObject({ status: 'succeeded', adopted: true });

    const k = journal('intent-only-absent');
    await expect(armLro(az, k.attempt({ op: 1, phase: 'before-call' }).ctx, env, 'disk', diskOp(az, 'd-fresh'))).rejects.toThrow(/power cut/);
    await armLro(az, k.attempt().ctx, env, 'disk', diskOp(az, 'd-fresh'));
    expect(puts('/disks/d-fresh')).toHaveLength(1);
  });

  it('resumes a classic (core-lro 2) poller with resumeFrom', async () => {
    const j = journal('classic');
    const spec = (az: AzureContext) => {
      const sql = az.sql(env);
      const body = { location: LOC, sku: { name: 'S1', tier: 'Standard' } };
      return {
        action: 'Microsoft.Sql/servers/databases/write',
        intent: { server: 'sql1', name: 'db1' },
        start: async () => v2Poller(await sql.databases.beginCreateOrUpdate(RG, 'sql1', 'db1', body, az.pollOptions(new AbortController().signal))),
        restore: async (state: string) => v2Poller(await sql.databases.beginCreateOrUpdate(RG, 'sql1', 'db1', body, { ...az.pollOptions(new AbortController().signal), resumeFrom: state })),
        project: (d: { id?: string; status?: string }) => ({ id: d.id!, status: d.status! }),
      };
    };
    peer.hold();
    const kill = new AbortController();
    const first = new AzureContext(peerProviderOptions(peer));
    const running = armLro(first, j.attempt(null, kill.signal).ctx, env, 'db', spec(first)).catch((e: unknown) => e);
    await handleJournaled(j, 'db');
    kill.abort(new Error('SIGKILL'));
    await running;
    const second = new AzureContext(peerProviderOptions(peer));
    peer.release();
    const out = await armLro(second, j.attempt().ctx, env, 'db', spec(second));
    expect(out.status).toBe('Online');
    expect(puts('/databases/db1')).toHaveLength(1);
  });

  it('a failed operation fails the op with the mapped code, and the journal says so', async () => {
    const az = new AzureContext(peerProviderOptions(peer));
    const j = journal('failed');
    peer.failNextOperation({ method: 'PUT', path: /\/disks\/d-quota$/, code: 'QuotaExceeded', message: 'Disk count quota exceeded in westeurope.' });
    const err = await armLro(az, j.attempt().ctx, env, 'disk', diskOp(az, 'd-quota')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderFailure);
    expect(err).toMatchObject({ code: 'ProviderQuotaExceeded' });
    expect(j.ops.rows.at(-1)!.material).toMatchObject({ status: 'failed' });
  });

  it('armDelete deletes, and a resumed delete of something already gone succeeds without calling', async () => {
    const az = new AzureContext(peerProviderOptions(peer));
    await c.compute.disks.createOrUpdate(RG, 'd-del', { location: LOC, creationData: { createOption: 'Empty' }, diskSizeGB: 8 }, { updateIntervalInMs: 5 });
    const compute = az.compute(env);
    const del = (name: string) => ({
      action: 'Microsoft.Compute/disks/delete',
      intent: { name },
      start: () => v3Poller(compute.disks.delete(RG, name, az.pollOptions(new AbortController().signal))),
      restore: (state: string) => v3Poller(restorePoller(compute, state, compute.disks.delete, az.pollOptions(new AbortController().signal))),
      exists: async (signal: AbortSignal) => compute.disks.get(RG, name, { abortSignal: signal }).then(() => true, () => false),
    });
    const j = journal('delete');
    expect(await armDelete(az, j.attempt().ctx, env, 'del', del('d-del'))).toBeNull();
    expect(peer.list('Microsoft.Compute/disks').some((d) => d.name === 'd-del')).toBe(false);
    const k = journal('delete-gone');
    await expect(armDelete(az, k.attempt({ op: 1, phase: 'before-call' }).ctx, env, 'del', del('d-never'))).rejects.toThrow(/power cut/);
    const deletes = peer.requests.filter((r) => r.method === 'DELETE').length;
    expect(await armDelete(az, k.attempt().ctx, env, 'del', del('d-never'))).toBeNull();
    expect(peer.requests.filter((r) => r.method === 'DELETE').length).toBe(deletes);
  });
});

describe('the clients rate policy', () => {
  it('classifies actions and methods into ARM families and buckets', () => {
    expect(armFamily('Microsoft.Compute/virtualMachines/read')).toBe('azure.arm.read');
    expect(armFamily('Microsoft.Compute/disks/delete')).toBe('azure.arm.delete');
    expect(armFamily('Microsoft.Compute/snapshots/write')).toBe('azure.arm.write');
    expect(armFamily('Microsoft.Compute/virtualMachines/deallocate/action')).toBe('azure.arm.write');
    expect([bucketOf('GET'), bucketOf('PUT'), bucketOf('POST'), bucketOf('DELETE')]).toEqual(['reads', 'writes', 'writes', 'deletes']);
  });

  it('spaces requests out when ARM says the bucket is nearly empty, at the published refill rate', () => {
    let now = 0;
    const h = new ArmHeadroom(10, () => now);
    const sub = 'SUB';
    expect(h.reserve(sub, 'writes')).toBe(0); // nothing heard yet
    h.observe(sub, 'writes', '50');
    expect(h.reserve(sub, 'writes')).toBe(0);
    h.observe(sub, 'writes', '4');
    // 6 short of the floor, writes refill 10/s: 600 ms, then each further request 100 ms more.
    expect(h.reserve(sub, 'writes')).toBe(600);
    expect(h.reserve(sub, 'writes')).toBe(700);
    now += 5_000;
    expect(h.reserve(sub, 'writes')).toBe(0);
    h.observe(sub, 'reads', 'garbage');
    expect(h.remaining(sub, 'reads')).toBeUndefined();
  });

  it('reads x-ms-ratelimit-remaining-subscription-* from every answer, so a small bucket is never overrun', async () => {
    const small = await startArmPeer({ buckets: { writes: { size: 6, refillPerSecond: 20 } } });
    try {
      const sc = peerClients(small);
      await sc.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
      const az = new AzureContext({ ...peerProviderOptions(small), headroomFloor: 3 });
      const e2: EnvRef = { ...env, scope: { cloud: 'azure', location: LOC, subscriptionId: small.subscriptionId, resourceGroup: RG } };
      const groups = az.resources(e2);
      for (let i = 0; i < 12; i++) await az.call({ signal: new AbortController().signal }, e2, 'Microsoft.Resources/subscriptions/resourceGroups/write', () => groups.resourceGroups.createOrUpdate(`g${i}`, { location: LOC }));
      expect(small.responses.filter((r) => r.status === 429)).toHaveLength(0);
      expect(az.headroom.remaining(small.subscriptionId, 'writes')).toBeDefined();
    } finally {
      await small.close();
    }
  });

  it('reports each call outcome to observeCalls listeners', async () => {
    const az = new AzureContext(peerProviderOptions(peer));
    const seen: unknown[] = [];
    const off = az.observe((o) => seen.push(o));
    await az.read({ signal: new AbortController().signal }, env, 'Microsoft.Compute/disks/read', (s) => az.compute(env).disks.get(RG, 'd-plain', { abortSignal: s }));
    const dead = new AzureContext({ ...peerProviderOptions(peer), armEndpoint: 'http://127.0.0.1:9' });
    dead.observe((o) => seen.push(o));
    await expect(dead.read({ signal: new AbortController().signal }, env, 'Microsoft.Compute/disks/read', (s) => dead.compute(env).disks.get(RG, 'x', { abortSignal: s }))).rejects.toMatchObject({ code: 'ProviderOffline' });
    off();
    expect(seen).toEqual([{ accountId: account.id, reachable: true }, expect.objectContaining({ accountId: account.id, reachable: false, message: expect.stringMatching(/offline/) })]);
  });
});
