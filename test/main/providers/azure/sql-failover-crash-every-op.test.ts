// A SIGKILL at every ARM operation of an Azure SQL database failover (each POST/PATCH/DELETE answer
// and each poll of their long-running operations, mid-poll included), then a new process resuming
// it: the failover always converges with the geo-secondary made primary by exactly one planned
// failover POST, the selected point's settings applied, and one database on the target server.
// The process is test/fixtures/azure-failover-child.ts (the core with the Azure provider).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { composeCore } from '../../../../main/compose';
import { StaticKeyProvider } from '../../../../main/credentials/static-key-provider';
import { targetSqlServerName } from '../../../../main/providers/azure/data-naming';
import { call, SCENARIO_KEY, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { checkResponse } from '../../../peers/azure-arm/contract';
import { FAST_POLL, peerClients, peerProviderOptions } from '../../../peers/azure-arm/sdk';
import { startArmPeer, type ArmPeer } from '../../../peers/azure-arm/server';
import { azuriteAvailable, azuriteMissing, startAzurite, type AzuritePeer } from '../../../peers/azurite';

// The target store (the failover lease, the catalog manifests) is in a console storage account's
// blobs: every world gets Azurite accounts of its own, so no world sees another's lease.
if (!azuriteAvailable()) throw azuriteMissing();
let azurite: AzuritePeer;
beforeAll(async () => {
  azurite = await startAzurite({ accounts: 80 });
}, 120_000);
afterAll(async () => {
  await azurite?.stop();
});

const CHILD = resolve(import.meta.dirname, '../../../fixtures/azure-failover-child.ts');
const SRC = { location: 'westeurope', rg: 'prod-weu' };
const DST = { location: 'northeurope', rg: 'dr-neu' };

interface World {
  peer: ArmPeer;
  dir: string;
  policyId: string;
  pointId: string;
}

/** A peer with a protected SQL database replicated twice (S1, then S3); failover will use the first point. */
async function world(): Promise<World> {
  const peer = await startArmPeer({ blobDataPlane: azurite.world() });
  const c = peerClients(peer);
  await c.resources.resourceGroups.createOrUpdate(SRC.rg, { location: SRC.location });
  await c.resources.resourceGroups.createOrUpdate(DST.rg, { location: DST.location });
  await c.sql.servers.beginCreateOrUpdateAndWait(SRC.rg, 'sql-orders', { location: SRC.location, administratorLogin: 'dba', administratorLoginPassword: 'Crash-Passw0rd!' }, FAST_POLL);
  const db = await c.sql.databases.beginCreateOrUpdateAndWait(SRC.rg, 'sql-orders', 'orders', { location: SRC.location, sku: { name: 'S1', tier: 'Standard' }, tags: { app: 'orders' } }, FAST_POLL);
  const dir = mkdtempSync(join(tmpdir(), 'fc-azure-sql-crash-'));
  const core = composeCore({ dataDir: dir, keyProvider: new StaticKeyProvider(SCENARIO_KEY), startScheduler: false, startWebhooks: false, logger: stderrLogger, providers: { sim: false, aws: false, azure: peerProviderOptions(peer) } });
  try {
    const account = await call(core, 'dr:accounts.create', {
      name: 'Crash Azure',
      provider: 'azure',
      cloud: 'azure',
      credentials: { kind: 'azure-service-principal', tenantId: '7a1d3c2e-0000-4000-8000-0000000000aa', clientId: '0c9b8a7d-0000-4000-8000-0000000000bb', clientSecret: 'crash-secret-never-asked' },
    });
    const source = await call(core, 'dr:environments.create', { accountId: account.id, name: 'WEU', region: SRC.location, scope: { subscriptionId: peer.subscriptionId, resourceGroup: SRC.rg } });
    const target = await call(core, 'dr:environments.create', { accountId: account.id, name: 'NEU', region: DST.location, scope: { subscriptionId: peer.subscriptionId, resourceGroup: DST.rg } });
    const found = await call(core, 'dr:inventory.discover', { environmentId: source.id });
    const policy = await call(core, 'dr:policies.create', {
      name: 'Orders',
      sourceEnvironmentId: source.id,
      targetEnvironmentId: target.id,
      resources: found.filter((f) => f.nativeId === db.id).map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
      schedule: null,
      webhookUrl: null,
    });
    const replicate = async () => expect((await waitForJob(core, (await call(core, 'dr:replication.run', { policyId: policy.id })).jobId, 60_000)).status).toBe('succeeded');
    await replicate();
    await c.sql.databases.beginUpdateAndWait(SRC.rg, 'sql-orders', 'orders', { sku: { name: 'S3', tier: 'Standard' } }, FAST_POLL);
    await replicate();
    const points = (await call(core, 'dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 })).items;
    const older = [...points].sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0]!;
    return { peer, dir, policyId: policy.id, pointId: older.id };
  } finally {
    await core.close();
  }
}

/** Runs the child; resolves with how it ended and what it printed. */
function child(w: World, killAfter: number | null): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((ok) => {
    const args = ['--import', 'tsx', CHILD, w.dir, w.policyId, w.peer.url, w.pointId, ...(killAfter ? ['--kill-after', String(killAfter)] : [])];
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
    p.on('exit', (code, signal) => ok({ code, signal, out, err }));
  });
}

async function converged(w: World): Promise<string[]> {
  const c = peerClients(w.peer);
  const server = targetSqlServerName('sql-orders', DST.location, w.policyId);
  const problems: string[] = [];
  const dbs: string[] = [];
  for await (const d of c.sql.databases.listByServer(DST.rg, server)) dbs.push(d.name!);
  if (JSON.stringify(dbs) !== '["orders"]') problems.push(`target server holds [${dbs.join(', ')}]`);
  const db = await c.sql.databases.get(DST.rg, server, 'orders');
  if (db.secondaryType) problems.push(`still a ${db.secondaryType} secondary`);
  if (db.sku?.name !== 'S1') problems.push(`runs as ${db.sku?.name}, not the selected point's S1`);
  // Exactly one failover accepted (a POST resent after a crash before its handle was journaled is
  // refused with 409 while the first runs), and never a forced one.
  const posts = w.peer.responses.filter((r) => r.method === 'POST').map((r) => `${r.path.split('/').pop()}:${r.status}`);
  if (posts.filter((p) => p === 'failover:202').length !== 1 || posts.some((p) => p.startsWith('forceFailoverAllowDataLoss'))) problems.push(`failover POSTs: [${posts.join(', ')}]`);
  problems.push(...w.peer.responses.flatMap(checkResponse));
  return problems;
}

it('converges after a SIGKILL at every ARM operation of a SQL database failover, mid-poll included', async () => {
  // A clean run says how many operations there are.
  const clean = await world();
  const run = await child(clean, null);
  expect(run.code, run.err).toBe(0);
  const total = Number(/DONE (\d+)/.exec(run.out)?.[1]);
  expect(total).toBeGreaterThan(3);
  expect(run.out).toMatch(/ARMOP \d+ POST .*\/replicationLinks\/[^/]+\/failover/);
  expect(await converged(clean)).toEqual([]);
  await clean.peer.close();
  rmSync(clean.dir, { recursive: true, force: true });

  const failures: string[] = [];
  for (let n = 1; n <= total; n++) {
    const w = await world();
    try {
      const killed = await child(w, n);
      if (killed.signal !== 'SIGKILL') failures.push(`kill after ${n}: the child ended ${killed.code} without being killed: ${killed.err.slice(-300)}`);
      const resumed = await child(w, null);
      if (resumed.code !== 0) failures.push(`kill after ${n}: the resumed run failed: ${resumed.err.slice(-300)}`);
      else for (const p of await converged(w)) failures.push(`kill after ${n} (${/ARMOP \d+ (\S+ \S+)\n$/.exec(killed.out)?.[1] ?? '?'}): ${p}`);
    } finally {
      await w.peer.close();
      rmSync(w.dir, { recursive: true, force: true });
    }
  }
  expect(failures).toEqual([]);
}, 900_000);
