// The composed core with the Azure provider pointed at the ARM peer (Azurite as the storage accounts'
// blob data plane), as the operator runs it: discover → replicate twice → test failover → Reset →
// failover from the OLDER (selected) point, asserting what the peer holds afterwards. SQL: the
// geo-secondary is primary with the selected point's settings. Storage: the object-replication policy
// is gone from both accounts and the target account serves the replicated container.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { composeCore, type Core } from '../../../../main/compose';
import { targetSqlServerName, targetStorageAccountName } from '../../../../main/providers/azure/data-naming';
import { CONSOLE_STORE_TAG } from '../../../../main/providers/azure/target-store';
import type { DiscoveredResource } from '../../../../shared/domain';
import { call, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { testKeyProvider } from '../../../helpers/keys';
import { checkResponse } from '../../../peers/azure-arm/contract';
import { FAST_POLL, peerClients, peerProviderOptions, type PeerClients } from '../../../peers/azure-arm/sdk';
import { startArmPeer, type ArmPeer } from '../../../peers/azure-arm/server';
import { describeAzurite, replicateObjects, startAzurite, type AzuritePeer } from '../../../peers/azurite';

const SRC = { location: 'westeurope', rg: 'prod-weu' };
const DST = { location: 'northeurope', rg: 'dr-neu' };

/** Storage accounts other than the console's own (it holds the failover lease and the catalog). */
const ours = <T extends { tags?: Record<string, string> }>(accounts: T[]) => accounts.filter((a) => !a.tags?.[CONSOLE_STORE_TAG]);

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describeAzurite('Azure SQL database and storage account through the engine (ARM peer + Azurite)', () => {
  let peer: ArmPeer;
  let azurite: AzuritePeer;
  let c: PeerClients;
  let core: Core;
  let dir = '';

  beforeAll(async () => {
    azurite = await startAzurite({ accounts: 6 });
    peer = await startArmPeer({ blobDataPlane: (name) => azurite.dataPlane(name) });
    c = peerClients(peer);
    await c.resources.resourceGroups.createOrUpdate(SRC.rg, { location: SRC.location });
    await c.resources.resourceGroups.createOrUpdate(DST.rg, { location: DST.location });
    dir = mkdtempSync(join(tmpdir(), 'fc-azure-engine-'));
    core = composeCore({ dataDir: dir, keyProvider: testKeyProvider(), startScheduler: false, startWebhooks: false, logger: stderrLogger, providers: { sim: false, aws: false, azure: peerProviderOptions(peer) } });
  }, 120_000);
  afterAll(async () => {
    await core?.close();
    const problems = peer ? peer.responses.flatMap(checkResponse) : [];
    await peer?.close();
    await azurite?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(problems).toEqual([]);
  });

  async function succeeded(jobId: string) {
    const job = await waitForJob(core, jobId, 60_000);
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    return job;
  }

  async function protect(name: string, pick: (f: DiscoveredResource) => boolean) {
    const account = await call(core, 'dr:accounts.create', {
      name: `${name} Azure`,
      provider: 'azure',
      cloud: 'azure',
      credentials: { kind: 'azure-service-principal', tenantId: '7a1d3c2e-0000-4000-8000-0000000000aa', clientId: '0c9b8a7d-0000-4000-8000-0000000000bb', clientSecret: 'engine-secret-never-asked' },
    });
    const source = await call(core, 'dr:environments.create', { accountId: account.id, name: `${name} WEU`, region: SRC.location, scope: { subscriptionId: peer.subscriptionId, resourceGroup: SRC.rg } });
    const target = await call(core, 'dr:environments.create', { accountId: account.id, name: `${name} NEU`, region: DST.location, scope: { subscriptionId: peer.subscriptionId, resourceGroup: DST.rg } });
    const found = await call(core, 'dr:inventory.discover', { environmentId: source.id });
    const picked = found.filter(pick);
    const policy = await call(core, 'dr:policies.create', {
      name,
      sourceEnvironmentId: source.id,
      targetEnvironmentId: target.id,
      resources: picked.map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
      schedule: null,
      webhookUrl: null,
    });
    return { policy, picked };
  }

  const replicate = async (policyId: string) => succeeded((await call(core, 'dr:replication.run', { policyId })).jobId);
  const oldestPoint = async (policyId: string) => {
    const points = (await call(core, 'dr:recoveryPoints.list', { policyId, offset: 0, limit: 10 })).items;
    expect(points).toHaveLength(2);
    return [...points].sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0]!;
  };
  async function testAndReset(policyId: string) {
    await succeeded((await call(core, 'dr:testFailover.run', { policyId })).jobId);
    const tests = await call(core, 'dr:testResources.list', { policyId });
    await succeeded((await call(core, 'dr:testFailover.reset', { policyId })).jobId);
    expect(await call(core, 'dr:testResources.list', { policyId })).toEqual([]);
    return tests;
  }
  async function failoverFrom(policyId: string, recoveryPointId: string) {
    const plan = await call(core, 'dr:failover.prepare', { policyId, recoveryPointId });
    expect(plan.recoveryPoint.id).toBe(recoveryPointId);
    // The failover lease is kept in the target's console storage account (Azurite): no override.
    const { jobId } = await call(core, 'dr:failover.start', { token: plan.token });
    const job = await succeeded(jobId);
    return { job, mappings: await call(core, 'dr:jobs.mappings', { jobId: job.id }), policy: await call(core, 'dr:policies.get', { policyId }) };
  }

  it('SQL: geo-secondary once, a test copy Reset deletes, and failover makes it primary with the selected point', async () => {
    await c.sql.servers.beginCreateOrUpdateAndWait(SRC.rg, 'sql-orders', { location: SRC.location, administratorLogin: 'dba', administratorLoginPassword: 'Engine-Passw0rd!' }, FAST_POLL);
    const db = await c.sql.databases.beginCreateOrUpdateAndWait(SRC.rg, 'sql-orders', 'orders', { location: SRC.location, sku: { name: 'S1', tier: 'Standard' }, tags: { app: 'orders' } }, FAST_POLL);
    const { policy, picked } = await protect('Orders SQL', (f) => f.nativeId === db.id);
    expect(picked).toEqual([expect.objectContaining({ type: 'azure.sql-database', name: 'orders', tags: { app: 'orders' } })]);

    await replicate(policy.id);
    // The source is scaled between the two points; failover will use the older one.
    await c.sql.databases.beginUpdateAndWait(SRC.rg, 'sql-orders', 'orders', { sku: { name: 'S3', tier: 'Standard' }, tags: { app: 'orders', phase: 'two' } }, FAST_POLL);
    await replicate(policy.id);
    const server = targetSqlServerName('sql-orders', DST.location, policy.id);
    expect((await all(c.sql.servers.listByResourceGroup(DST.rg))).map((s) => s.name)).toEqual([server]);
    expect((await all(c.sql.databases.listByServer(DST.rg, server))).map((d) => d.name)).toEqual(['orders']);
    const secondary = await c.sql.databases.get(DST.rg, server, 'orders');
    expect(secondary.secondaryType).toBe('Geo');

    const tests = await testAndReset(policy.id);
    expect(tests.map((t) => t.kind)).toEqual(['SqlDatabase']);
    expect((await all(c.sql.databases.listByServer(DST.rg, server))).map((d) => d.name)).toEqual(['orders']);
    expect((await all(c.sql.replicationLinks.listByDatabase(DST.rg, server, 'orders')))[0]?.role).toBe('Secondary');

    const older = await oldestPoint(policy.id);
    const { mappings, policy: after } = await failoverFrom(policy.id, older.id);
    expect(after.state).toBe('failed_over');
    expect(mappings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'SqlDatabase', sourceId: db.id, name: 'orders', targetId: secondary.id }),
        expect.objectContaining({ kind: 'SqlServer', name: server }),
      ]),
    );
    // Primary now, with the OLDER point's S1 and tags; the old primary is the geo-secondary.
    const promoted = await c.sql.databases.get(DST.rg, server, 'orders');
    expect(promoted.secondaryType).toBeUndefined();
    expect(promoted.sku?.name).toBe('S1');
    expect(promoted.tags).toMatchObject({ app: 'orders', 'dr:role': 'failover', 'dr:recovery-point': older.id });
    expect(promoted.tags?.phase).toBeUndefined();
    // Made primary through the target's replication link, then (R3: replication stops for good) the
    // link was ended: both databases standalone, the old primary no longer replicating into it.
    const linkCalls = peer.requests.filter((r) => r.path.includes('/replicationLinks/') && r.method !== 'GET').map((r) => `${r.method} ${r.path.split('/providers/Microsoft.Sql/')[1]}`);
    expect(linkCalls).toEqual([
      expect.stringMatching(new RegExp(`^POST servers/${server}/databases/orders/replicationLinks/[0-9a-f-]+/failover$`)),
      expect.stringMatching(new RegExp(`^DELETE servers/${server}/databases/orders/replicationLinks/[0-9a-f-]+$`)),
    ]);
    expect(await all(c.sql.replicationLinks.listByDatabase(DST.rg, server, 'orders'))).toEqual([]);
    expect(await all(c.sql.replicationLinks.listByDatabase(SRC.rg, 'sql-orders', 'orders'))).toEqual([]);
    expect((await c.sql.databases.get(SRC.rg, 'sql-orders', 'orders')).secondaryType).toBeUndefined();
  }, 120_000);

  it('Storage: object replication to a replica account, a test account Reset deletes, failover removes the policy on both and the target serves the container', async () => {
    const acct = await c.storage.storageAccounts.create(SRC.rg, 'stinvoices01', { location: SRC.location, sku: { name: 'Standard_GRS' }, kind: 'StorageV2', accessTier: 'Hot', tags: { team: 'billing' } }, FAST_POLL);
    const src = azurite.client('stinvoices01').getContainerClient('invoices');
    await src.createIfNotExists();
    await src.getBlockBlobClient('2030/inv-1.json').uploadData(Buffer.from('{"total":42}'));
    const { policy, picked } = await protect('Invoices storage', (f) => f.nativeId === acct.id);
    expect(picked).toEqual([expect.objectContaining({ type: 'azure.storage-account', name: 'stinvoices01', tags: { team: 'billing' } })]);

    await replicate(policy.id);
    await c.storage.storageAccounts.update(SRC.rg, 'stinvoices01', { accessTier: 'Cool', tags: { team: 'billing', phase: 'two' } });
    await replicate(policy.id);
    const replica = targetStorageAccountName('stinvoices01', DST.location, policy.id);
    expect(ours(await all(c.storage.storageAccounts.listByResourceGroup(DST.rg))).map((a) => a.name)).toEqual([replica]);
    const [onDst] = await all(c.storage.objectReplicationPolicies.list(DST.rg, replica));
    const [onSrc] = await all(c.storage.objectReplicationPolicies.list(SRC.rg, 'stinvoices01'));
    expect(onSrc?.policyId).toBe(onDst?.policyId);
    // What the storage service does between replications: copy the rule's blobs.
    expect(await replicateObjects(peer, azurite)).toBe(1);

    const tests = await testAndReset(policy.id);
    expect(tests.map((t) => t.kind)).toEqual(['StorageAccount']);
    expect(ours(await all(c.storage.storageAccounts.listByResourceGroup(DST.rg))).map((a) => a.name)).toEqual([replica]);
    expect(await all(c.storage.objectReplicationPolicies.list(DST.rg, replica))).toHaveLength(1);

    const older = await oldestPoint(policy.id);
    const { mappings, policy: after } = await failoverFrom(policy.id, older.id);
    expect(after.state).toBe('failed_over');
    const target = await c.storage.storageAccounts.getProperties(DST.rg, replica);
    expect(mappings).toEqual([expect.objectContaining({ kind: 'StorageAccount', sourceId: acct.id, name: replica, targetId: target.id })]);
    expect(target.accessTier).toBe('Hot');
    expect(target.tags).toMatchObject({ team: 'billing', 'dr:role': 'failover', 'dr:recovery-point': older.id });
    expect(target.tags?.phase).toBeUndefined();
    // The policy is gone from both accounts; the target serves the replicated container.
    expect(await all(c.storage.objectReplicationPolicies.list(DST.rg, replica))).toEqual([]);
    expect(await all(c.storage.objectReplicationPolicies.list(SRC.rg, 'stinvoices01'))).toEqual([]);
    const served = await azurite.client(replica).getContainerClient('invoices').getBlobClient('2030/inv-1.json').downloadToBuffer();
    expect(served.toString()).toBe('{"total":42}');
  }, 120_000);
});
