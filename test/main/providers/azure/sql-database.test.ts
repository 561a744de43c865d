// The Azure SQL database handler against the ARM peer, through the app's AzureContext: discovery,
// a geo-secondary on the policy's own server in the target (made once), a test copy that Reset
// deletes without touching the geo-replication, and failover that makes the geo-secondary primary
// with the selected point's settings. Every response the peer sent is held to its contract table.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqlDatabaseHandler, type SqlCapture } from '../../../../main/providers/azure/sql-database';
import { targetSqlServerName } from '../../../../main/providers/azure/data-naming';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import type { CapturedItem, ProtectedResourceRef, RecoveryPointItemRef, ResourceHandler, StepContext } from '../../../../main/providers/types';
import { checkResponse } from '../../../peers/azure-arm/contract';
import { FAST_POLL } from '../../../peers/azure-arm/sdk';
import { openDataWorld, SOURCE_LOCATION, SOURCE_RG, TARGET_RG, type DataWorld } from './data-world';

let w: DataWorld;
let h: ResourceHandler;
const warnings: string[] = [];

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function ctxOf(key: string, opts: { recoveryPointId?: string } = {}): StepContext {
  return { ...w.step(key, opts).attempt().ctx, warn: (m) => void warnings.push(m) };
}

async function seed(): Promise<ProtectedResourceRef> {
  await w.c.sql.servers.beginCreateOrUpdateAndWait(SOURCE_RG, 'sql-prod', { location: SOURCE_LOCATION, administratorLogin: 'dba', administratorLoginPassword: 'Pr0d-Passw0rd!' }, FAST_POLL);
  const db = await w.c.sql.databases.beginCreateOrUpdateAndWait(SOURCE_RG, 'sql-prod', 'orders', { location: SOURCE_LOCATION, sku: { name: 'S1', tier: 'Standard' }, tags: { app: 'orders' }, maxSizeBytes: 268435456000 }, FAST_POLL);
  return { id: 'pr-orders', policyId: 'pol-data', type: 'azure.sql-database', nativeId: db.id!, name: 'orders' };
}

const point = (item: CapturedItem, ref: ProtectedResourceRef, id: string): RecoveryPointItemRef => ({ id: `rpi-${id}`, recoveryPointId: id, resource: ref, capturedAt: new Date().toISOString(), ...item });

beforeEach(async () => {
  w = await openDataWorld();
  h = createSqlDatabaseHandler(w.az);
  warnings.length = 0;
});

afterEach(async () => {
  const problems = w.peer.responses.flatMap(checkResponse);
  await w.close();
  expect(problems).toEqual([]);
});

describe('azure.sql-database', () => {
  it('discovers databases by name with tags, leaving out master and what the console made', async () => {
    const ref = await seed();
    const found = await h.discover({ env: w.source, signal: new AbortController().signal });
    expect(found).toEqual([{ type: 'azure.sql-database', nativeId: ref.nativeId, name: 'orders', region: SOURCE_LOCATION, tags: { app: 'orders' }, summary: 'S1 on sql-prod, primary' }]);
  });

  it('replicates to a geo-secondary on its own server, test-fails over to a copy, resets it, and fails over from the selected point', async () => {
    const ref = await seed();
    const first = await h.replicate(ref, ctxOf('rep-1', { recoveryPointId: 'rp-1' }));
    const cap1 = first.metadata as unknown as SqlCapture;
    const server = targetSqlServerName('sql-prod', 'northeurope', 'pol-data');
    expect(cap1).toMatchObject({ database: 'orders', server: 'sql-prod', targetServer: server, sku: { name: 'S1' }, tags: { app: 'orders' } });
    expect(first.dataRefs.map((d) => d.kind)).toEqual(['SqlDatabase', 'ReplicationLink']);
    const secondary = await w.c.sql.databases.get(TARGET_RG, server, 'orders');
    expect(secondary).toMatchObject({ secondaryType: 'Geo', tags: { app: 'orders', 'dr:policy': 'pol-data', 'dr:role': 'replication' } });
    expect((await all(w.c.sql.replicationLinks.listByDatabase(TARGET_RG, server, 'orders')))[0]).toMatchObject({ role: 'Secondary', partnerServer: 'sql-prod' });
    // The server's new administrator password is never journaled.
    expect(JSON.stringify(w.peer.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/servers/${server}`)).map((r) => r.body))).toMatch(/administratorLoginPassword/);
    expect(warnings.some((m) => m.includes(`SQL server ${server}`) && m.includes('reset it'))).toBe(true);

    // The source changes; a second replication makes nothing new and captures the new settings.
    await w.c.sql.databases.beginUpdateAndWait(SOURCE_RG, 'sql-prod', 'orders', { sku: { name: 'S2', tier: 'Standard' }, tags: { app: 'orders', tier: 'gold' } }, FAST_POLL);
    const puts = () => w.peer.requests.filter((r) => r.method === 'PUT').length;
    const before = puts();
    const second = await h.replicate(ref, ctxOf('rep-2', { recoveryPointId: 'rp-2' }));
    expect(puts()).toBe(before);
    expect(second.metadata).toMatchObject({ sku: { name: 'S2' }, tags: { app: 'orders', tier: 'gold' } });

    // Test failover: an independent copy under a test name; Reset deletes it, geo-replication untouched.
    const p1 = point(first, ref, 'rp-1');
    const created = await h.testFailover(p1, ctxOf('test-1'));
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ kind: 'SqlDatabase', region: 'northeurope' });
    const copy = await w.c.sql.databases.get(TARGET_RG, server, created[0]!.name);
    expect(copy).toMatchObject({ sku: { name: 'S1' }, tags: { app: 'orders', 'dr:test': 'true', 'dr:role': 'test' } });
    expect(copy.secondaryType).toBeUndefined();
    await h.reset(created[0]!, ctxOf('reset-1'));
    await expect(w.c.sql.databases.get(TARGET_RG, server, created[0]!.name)).rejects.toMatchObject({ statusCode: 404 });
    expect((await w.c.sql.databases.get(TARGET_RG, server, 'orders')).secondaryType).toBe('Geo');
    // Reset never deletes a database the console did not make for a test.
    await expect(h.reset({ ...created[0]!, nativeId: secondary.id!, name: 'orders' }, ctxOf('reset-prod'))).rejects.toMatchObject({ code: 'PreconditionFailed' });
    expect((await w.c.sql.databases.get(TARGET_RG, server, 'orders')).id).toBe(secondary.id);

    // Failover from the OLDER point: the geo-secondary becomes primary with S1 and the first tags.
    const mapping = await h.failover(p1, ctxOf('failover'));
    expect(mapping).toEqual([
      { sourceId: ref.nativeId, kind: 'SqlDatabase', name: 'orders', targetId: secondary.id, reused: true },
      { sourceId: ref.nativeId.replace(/\/databases\/orders$/, ''), kind: 'SqlServer', name: server, targetId: cap1.targetServerId, reused: true },
    ]);
    const promoted = await w.c.sql.databases.get(TARGET_RG, server, 'orders');
    expect(promoted.secondaryType).toBeUndefined();
    expect(promoted).toMatchObject({ sku: { name: 'S1' }, tags: { app: 'orders', 'dr:role': 'failover' } });
    expect(promoted.tags?.tier).toBeUndefined();
    expect((await all(w.c.sql.replicationLinks.listByDatabase(TARGET_RG, server, 'orders')))[0]?.role).toBe('Primary');
    expect((await w.c.sql.databases.get(SOURCE_RG, 'sql-prod', 'orders')).secondaryType).toBe('Geo');
    expect(w.peer.requests.filter((r) => r.method === 'POST').map((r) => r.path.split('/').pop())).toEqual(['failover']);

    // Stopping replication ends the link for good; twice is fine.
    await h.stopReplication(ref, ctxOf('stop'));
    await h.stopReplication(ref, ctxOf('stop-again'));
    expect(await all(w.c.sql.replicationLinks.listByDatabase(SOURCE_RG, 'sql-prod', 'orders'))).toEqual([]);
  });

  it('resumes a failover killed mid-poll from its journaled poller state: one POST, then primary', async () => {
    const ref = await seed();
    const item = point(await h.replicate(ref, ctxOf('rep')), ref, 'rp');
    const j = w.step('failover-killed');
    w.peer.hold();
    const job = new AbortController();
    const first = h.failover(item, j.attempt(null, job.signal).ctx).then(
      () => 'finished',
      (e: unknown) => e,
    );
    // Wait for the state (the handle journaled), not for a time.
    while (!j.ops.operations().some((o) => o.opKey.startsWith('sql-failover:') && o.handle)) await new Promise((r) => setTimeout(r, 5));
    job.abort(new Error('killed'));
    expect(await first).not.toBe('finished');
    w.peer.release();
    await h.failover(item, j.attempt().ctx);
    expect(w.peer.requests.filter((r) => r.method === 'POST').length).toBe(1);
    const server = targetSqlServerName('sql-prod', 'northeurope', 'pol-data');
    expect((await all(w.c.sql.replicationLinks.listByDatabase(TARGET_RG, server, 'orders')))[0]?.role).toBe('Primary');
  });

  it('forces the failover, warning of data loss, when the planned one cannot reach the primary', async () => {
    const ref = await seed();
    const item = point(await h.replicate(ref, ctxOf('rep')), ref, 'rp');
    w.peer.failNextOperation({ method: 'POST', path: /\/failover$/, code: 'InternalServerError', message: 'The partner server could not be reached.' });
    await h.failover(item, ctxOf('failover'));
    expect(w.peer.requests.filter((r) => r.method === 'POST').map((r) => r.path.split('/').pop())).toEqual(['failover', 'forceFailoverAllowDataLoss']);
    expect(warnings.some((m) => m.includes('forced') && m.includes('lost'))).toBe(true);
    const server = targetSqlServerName('sql-prod', 'northeurope', 'pol-data');
    expect((await w.c.sql.databases.get(TARGET_RG, server, 'orders')).secondaryType).toBeUndefined();
  });

  it('refuses a database already on the target server that is not its geo-secondary, and a missing source', async () => {
    const ref = await seed();
    const server = targetSqlServerName('sql-prod', 'northeurope', 'pol-data');
    await w.c.sql.servers.beginCreateOrUpdateAndWait(TARGET_RG, server, { location: 'northeurope', administratorLogin: 'x', administratorLoginPassword: 'Y-passw0rd!' }, FAST_POLL);
    await w.c.sql.databases.beginCreateOrUpdateAndWait(TARGET_RG, server, 'orders', { location: 'northeurope' }, FAST_POLL);
    await expect(h.replicate(ref, ctxOf('rep'))).rejects.toMatchObject({ code: 'Conflict' });
    const err = await h.replicate({ ...ref, nativeId: `${ref.nativeId}-gone` }, ctxOf('rep-gone')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderFailure);
    expect((err as ProviderFailure).code).toBe('NotFound');
    expect((err as ProviderFailure).message).toMatch(/^SQL database orders-gone on server sql-prod no longer exists/);
  });
});

describe('azure.sql-database foresee', () => {
  it('tells the confirmation that a forced failover loses what was not replicated, from the point alone', async () => {
    const { foreseeSqlDatabase } = await import('../../../../main/providers/azure/sql-database');
    const ref: ProtectedResourceRef = { id: 'pr', policyId: 'p', type: 'azure.sql-database', nativeId: '/x', name: 'orders' };
    const item: RecoveryPointItemRef = { id: 'i', recoveryPointId: 'rp', resource: ref, capturedAt: '', metadata: { targetServer: 'sql-dr-1', server: 'sql-prod', database: 'orders' }, dataRefs: [] };
    expect(foreseeSqlDatabase(item)[0]).toBe('If sql-prod cannot take part, the failover of orders is forced: transactions not yet replicated to sql-dr-1 are lost.');
    expect(foreseeSqlDatabase({ ...item, metadata: {} })).toEqual([]);
  });
});

describe('azure.sql-database failover refusals', () => {
  it('does not force a failover (data loss) when the planned one is refused for permission', async () => {
    const ref = await seed();
    const item = point(await h.replicate(ref, ctxOf('rep')), ref, 'rp');
    w.peer.inject({ method: 'POST', path: /\/failover$/, status: 403, code: 'AuthorizationFailed', message: "The client 'x' does not have authorization to perform action 'Microsoft.Sql/servers/databases/replicationLinks/failover/action' over scope '/subscriptions/s'." });
    const err = await h.failover(item, ctxOf('failover')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ProviderPermissionDenied' });
    expect(w.peer.requests.filter((r) => r.method === 'POST').map((r) => r.path.split('/').pop())).toEqual(['failover']);
    const server = targetSqlServerName('sql-prod', 'northeurope', 'pol-data');
    expect((await w.c.sql.databases.get(TARGET_RG, server, 'orders')).secondaryType).toBe('Geo');
  });
});
