// Crash proof of the AKS and flexible-server failovers on the journal of operations: child processes
// (test/fixtures/azure-failover-child.ts) run the policy's failover against the ARM peer of this test,
// each SIGKILLing itself right after its K-th mutating ARM response or long-running-operation poll
// arrived (before the adapter or the journal saw it: a kill mid-poll of a long-running PUT or PATCH),
// and the next child resumes the same job, until one finishes. The peer then holds exactly what one
// clean failover makes: one cluster with its pools and one disk, each PUT once; each server's
// replication stopped by one PATCH; no test copy, no second server.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { composeCore } from '../../../../main/compose';
import { StaticKeyProvider } from '../../../../main/credentials/static-key-provider';
import { createAzureProvider } from '../../../../main/providers/azure';
import { replicaName } from '../../../../main/providers/azure/dr-shared';
import { call, SCENARIO_KEY, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { checkResponse } from '../../../peers/azure-arm/contract';
import { peerClients, peerProviderOptions } from '../../../peers/azure-arm/sdk';
import { startArmPeer, type ArmPeer } from '../../../peers/azure-arm/server';
import { describeAzurite, startAzurite, type AzuritePeer } from '../../../peers/azurite';
import { seedFlexAks } from '../../../conformance/azure-flex-rows';

const CHILD = resolve(import.meta.dirname, '../../../fixtures/azure-failover-child.ts');
const REPO = resolve(import.meta.dirname, '../../../..');
const SRC = { group: 'dr-source', location: 'westeurope' };
const DST = { group: 'dr-target', location: 'northeurope' };
/** Every child dies at its 3rd counted ARM response: each run gets a little further than the last. */
const KILL_AFTER = 3;

function runChild(dataDir: string, policyId: string, armUrl: string, pointId: string, killAfter: number): Promise<'killed' | 'done' | string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, policyId, armUrl, pointId, '--kill-after', String(killAfter)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      if (err.length < 20_000) err += c;
    });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (/^DONE \d+$/m.test(out) && code === 0) done('done');
      else if (signal === 'SIGKILL') done('killed');
      else done(`failed (${code ?? signal}): ${err.slice(-2000)}`);
    });
  });
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

// The target store (the failover lease, the catalog manifests) is in a console storage account's blobs: Azurite.
describeAzurite('AKS and flexible-server failover killed again and again resumes with no duplicate (child processes, ARM peer, Azurite)', () => {
  let peer: ArmPeer;
  let azurite: AzuritePeer;
  let dir = '';
  beforeAll(async () => {
    azurite = await startAzurite({ accounts: 2 });
    peer = await startArmPeer({ blobDataPlane: azurite.world() });
    dir = mkdtempSync(join(tmpdir(), 'fc-azure-crash-'));
  }, 120_000);
  afterAll(async () => {
    const problems = peer ? peer.responses.flatMap(checkResponse) : [];
    await peer?.close();
    await azurite?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(problems).toEqual([]);
  });

  it('converges on one cluster, one pool set, one disk and two standalone servers', async () => {
    const c = peerClients(peer);
    await c.resources.resourceGroups.createOrUpdate(SRC.group, { location: SRC.location });
    await c.resources.resourceGroups.createOrUpdate(DST.group, { location: DST.location });
    const shop = await seedFlexAks(c, 'azure.aks', SRC);
    const my = await seedFlexAks(c, 'azure.mysql-flexible', SRC);
    const pg = await seedFlexAks(c, 'azure.postgresql-flexible', SRC);

    // The policy and two points, made by a core on the data folder the children open.
    const core = composeCore({ dataDir: dir, keyProvider: new StaticKeyProvider(SCENARIO_KEY), startScheduler: false, startWebhooks: false, logger: stderrLogger, providers: () => [createAzureProvider(peerProviderOptions(peer))] });
    let policyId: string | undefined;
    let olderId: string | undefined;
    try {
      const account = await call(core, 'dr:accounts.create', {
        name: 'Azure peer',
        provider: 'azure',
        cloud: 'azure',
        credentials: { kind: 'azure-service-principal', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', clientId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', clientSecret: 'peer-never-asked' },
      });
      const source = await call(core, 'dr:environments.create', { accountId: account.id, name: 'West Europe', region: SRC.location, scope: `${peer.subscriptionId}/${SRC.group}` });
      const target = await call(core, 'dr:environments.create', { accountId: account.id, name: 'North Europe', region: DST.location, scope: `${peer.subscriptionId}/${DST.group}` });
      const found = await call(core, 'dr:inventory.discover', { environmentId: source.id });
      const policy = await call(core, 'dr:policies.create', { name: 'Crash', sourceEnvironmentId: source.id, targetEnvironmentId: target.id, resources: found.map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })), schedule: null, webhookUrl: null });
      policyId = policy.id;
      for (let i = 0; i < 2; i++) {
        const job = await waitForJob(core, (await call(core, 'dr:replication.run', { policyId })).jobId, 60_000);
        expect(job.status).toBe('succeeded');
      }
      const points = (await call(core, 'dr:recoveryPoints.list', { policyId, offset: 0, limit: 10 })).items;
      olderId = [...points].sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0]!.id;
    } finally {
      await core.close();
    }
    if (!policyId || !olderId) throw new Error('the policy and its points were not made');
    const before = peer.requests.length;

    const outcomes: string[] = [];
    for (let run = 0; run < 60; run++) {
      const outcome = await runChild(dir, policyId, peer.url, olderId, KILL_AFTER);
      outcomes.push(outcome);
      if (outcome !== 'killed') break;
    }
    expect(outcomes.at(-1), outcomes.join('\n')).toBe('done');
    // It really was killed along the way, more than once.
    expect(outcomes.filter((o) => o === 'killed').length).toBeGreaterThan(2);

    const sent = peer.requests.slice(before);
    const puts = (suffix: string) => sent.filter((r) => r.method === 'PUT' && r.path.toLowerCase().endsWith(suffix.toLowerCase())).length;
    // One cluster, its User pool and its disk, each PUT exactly once.
    expect((await all(c.aks.managedClusters.listByResourceGroup(DST.group))).map((k) => k.name)).toEqual(['shop']);
    expect(puts(`/resourceGroups/${DST.group}/providers/Microsoft.ContainerService/managedClusters/shop`)).toBe(1);
    expect(puts('/managedClusters/shop/agentPools/apps')).toBe(1);
    expect((await all(c.aks.agentPools.list(DST.group, 'shop'))).map((p) => p.name).sort()).toEqual(['apps', 'system']);
    const restored = await c.aks.managedClusters.get(DST.group, 'shop');
    const disks = await all(c.compute.disks.listByResourceGroup(restored.nodeResourceGroup!));
    expect(disks.map((d) => d.name)).toEqual(['pvc-0a1b2c']);
    expect(puts('/disks/pvc-0a1b2c')).toBe(1);

    // Each server: the one replica, standalone, stopped by one PATCH; its source lists no replica.
    const myName = replicaName('orders-my', my.nativeId, policyId);
    const pgName = replicaName('ledger-pg', pg.nativeId, policyId);
    expect((await all(c.mysql.servers.listByResourceGroup(DST.group))).map((s) => [s.name, s.replicationRole])).toEqual([[myName, 'None']]);
    expect((await all(c.postgres.servers.listByResourceGroup(DST.group))).map((s) => [s.name, s.replicationRole])).toEqual([[pgName, 'Primary']]);
    const stops = (name: string, body: unknown) => sent.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/flexibleServers/${name}`) && JSON.stringify(r.body) === JSON.stringify(body)).length;
    expect(stops(myName, { properties: { replicationRole: 'None' } })).toBe(1);
    expect(stops(pgName, { properties: { replica: { promoteMode: 'Standalone', promoteOption: 'Forced' } } })).toBe(1);
    expect(await all(c.mysql.replicas.listByServer(SRC.group, 'orders-my'))).toEqual([]);
    expect(await all(c.postgres.replicas.listByServer(SRC.group, 'ledger-pg'))).toEqual([]);
    expect(peer.list().filter((r) => r.name.startsWith('drtest-'))).toEqual([]);
    expect(shop.name).toBe('shop');
  }, 600_000);
});
