// A SIGKILL at every ARM operation of an Azure storage account failover (each PATCH/PUT/DELETE
// answer), then a new process resuming it: the failover always converges with the selected point's
// settings on the replica account, the object-replication policy gone from both accounts, and the
// replicated container served by the target (Azurite). The process is
// test/fixtures/azure-failover-child.ts (the core with the Azure provider).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { composeCore } from '../../../../main/compose';
import { StaticKeyProvider } from '../../../../main/credentials/static-key-provider';
import { targetStorageAccountName } from '../../../../main/providers/azure/data-naming';
import { call, SCENARIO_KEY, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { checkResponse } from '../../../peers/azure-arm/contract';
import { FAST_POLL, peerClients, peerProviderOptions } from '../../../peers/azure-arm/sdk';
import { startArmPeer, type ArmPeer } from '../../../peers/azure-arm/server';
import { describeAzurite, replicateObjects, startAzurite, type AzuritePeer } from '../../../peers/azurite';

const CHILD = resolve(import.meta.dirname, '../../../fixtures/azure-failover-child.ts');
const SRC = { location: 'westeurope', rg: 'prod-weu' };
const DST = { location: 'northeurope', rg: 'dr-neu' };

interface World {
  peer: ArmPeer;
  azurite: AzuritePeer;
  dir: string;
  policyId: string;
  pointId: string;
}

/** A peer and Azurite with a protected storage account replicated twice (Hot, then Cool); failover will use the first point. */
async function world(): Promise<World> {
  // Three accounts: the source, its replica, and the console's own (the target store's lease and manifests).
  const azurite = await startAzurite({ accounts: 3 + 1 });
  const peer = await startArmPeer({ blobDataPlane: (name) => azurite.dataPlane(name) });
  const c = peerClients(peer);
  await c.resources.resourceGroups.createOrUpdate(SRC.rg, { location: SRC.location });
  await c.resources.resourceGroups.createOrUpdate(DST.rg, { location: DST.location });
  const acct = await c.storage.storageAccounts.create(SRC.rg, 'stcrash01', { location: SRC.location, sku: { name: 'Standard_GRS' }, kind: 'StorageV2', accessTier: 'Hot', tags: { team: 'billing' } }, FAST_POLL);
  const container = azurite.client('stcrash01').getContainerClient('invoices');
  await container.createIfNotExists();
  await container.getBlockBlobClient('inv-1.json').uploadData(Buffer.from('{"total":42}'));
  const dir = mkdtempSync(join(tmpdir(), 'fc-azure-storage-crash-'));
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
      name: 'Invoices',
      sourceEnvironmentId: source.id,
      targetEnvironmentId: target.id,
      resources: found.filter((f) => f.nativeId === acct.id).map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
      schedule: null,
      webhookUrl: null,
    });
    const replicate = async () => expect((await waitForJob(core, (await call(core, 'dr:replication.run', { policyId: policy.id })).jobId, 60_000)).status).toBe('succeeded');
    await replicate();
    await c.storage.storageAccounts.update(SRC.rg, 'stcrash01', { accessTier: 'Cool' });
    await replicate();
    expect(await replicateObjects(peer, azurite)).toBe(1);
    const points = (await call(core, 'dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 })).items;
    const older = [...points].sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0]!;
    return { peer, azurite, dir, policyId: policy.id, pointId: older.id };
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
  const replica = targetStorageAccountName('stcrash01', DST.location, w.policyId);
  const problems: string[] = [];
  const accounts: string[] = [];
  // The console's own account (the target store) is not the policy's.
  for await (const a of c.storage.storageAccounts.listByResourceGroup(DST.rg)) if (a.tags?.['dr:console-store'] !== 'true') accounts.push(a.name!);
  if (JSON.stringify(accounts) !== JSON.stringify([replica])) problems.push(`target group holds [${accounts.join(', ')}]`);
  const a = await c.storage.storageAccounts.getProperties(DST.rg, replica);
  if (a.accessTier !== 'Hot') problems.push(`access tier ${a.accessTier}, not the selected point's Hot`);
  for (const [rg, name] of [[DST.rg, replica], [SRC.rg, 'stcrash01']] as const) {
    const left: string[] = [];
    for await (const p of c.storage.objectReplicationPolicies.list(rg, name)) left.push(p.policyId!);
    if (left.length) problems.push(`policy still on ${name}: ${left.join(', ')}`);
  }
  const served = await w.azurite.client(replica).getContainerClient('invoices').getBlobClient('inv-1.json').downloadToBuffer();
  if (served.toString() !== '{"total":42}') problems.push('the target does not serve the replicated blob');
  problems.push(...w.peer.responses.flatMap(checkResponse));
  return problems;
}

describeAzurite('storage account failover under SIGKILL', () => {
  it('converges after a SIGKILL at every ARM operation of a storage account failover', async () => {
    // A clean run says how many operations there are.
    const clean = await world();
    const run = await child(clean, null);
    expect(run.code, run.err).toBe(0);
    const total = Number(/DONE (\d+)/.exec(run.out)?.[1]);
    expect(total).toBeGreaterThan(2);
    expect(run.out).toMatch(/ARMOP \d+ DELETE .*\/objectReplicationPolicies\//);
    expect(await converged(clean)).toEqual([]);
    await clean.peer.close();
    await clean.azurite.stop();
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
        await w.azurite.stop();
        rmSync(w.dir, { recursive: true, force: true });
      }
    }
    expect(failures).toEqual([]);
  }, 900_000);
});
