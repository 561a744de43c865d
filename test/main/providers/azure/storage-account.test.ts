// The Azure storage account handler against the ARM peer with Azurite as every account's blob data
// plane: a replica account in the target with the source's settings and containers, object
// replication made destination-first and the blobs copied as the service would, a test account
// that Reset deletes, and failover that applies the selected point and deletes the policy on both
// accounts, after which the target account serves the replicated container.

import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { blobAccountName, createStorageAccountHandler, type StorageCapture } from '../../../../main/providers/azure/storage-account';
import { targetStorageAccountName } from '../../../../main/providers/azure/data-naming';
import type { CapturedItem, ProtectedResourceRef, RecoveryPointItemRef, ResourceHandler, StepContext } from '../../../../main/providers/types';
import { checkResponse } from '../../../peers/azure-arm/contract';
import { FAST_POLL } from '../../../peers/azure-arm/sdk';
import { describeAzurite, replicateObjects, startAzurite, type AzuritePeer } from '../../../peers/azurite';
import { openDataWorld, SOURCE_LOCATION, SOURCE_RG, TARGET_RG, type DataWorld } from './data-world';

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

it('reads the signing account of a blob endpoint, host-style and IP-style', () => {
  expect(blobAccountName('https://media01.blob.core.windows.net/')).toBe('media01');
  expect(blobAccountName('http://127.0.0.1:10000/peerblob3/')).toBe('peerblob3');
});

describeAzurite('azure.storage-account (ARM peer + Azurite)', () => {
  let azurite: AzuritePeer;
  let w: DataWorld;
  let h: ResourceHandler;
  const warnings: string[] = [];
  const ctxOf = (key: string, recoveryPointId?: string): StepContext => ({ ...w.step(key, recoveryPointId ? { recoveryPointId } : {}).attempt().ctx, warn: (m) => void warnings.push(m) });
  const point = (item: CapturedItem, ref: ProtectedResourceRef, id: string): RecoveryPointItemRef => ({ id: `rpi-${id}`, recoveryPointId: id, resource: ref, capturedAt: new Date().toISOString(), ...item });

  beforeAll(async () => {
    azurite = await startAzurite({ accounts: 8 });
  }, 120_000);
  afterAll(async () => {
    await azurite?.stop();
  });
  beforeEach(async () => {
    w = await openDataWorld(azurite);
    h = createStorageAccountHandler(w.az);
    warnings.length = 0;
  });
  afterEach(async () => {
    const problems = w.peer.responses.flatMap(checkResponse);
    await w.close();
    expect(problems).toEqual([]);
  });

  async function seed(name: string): Promise<ProtectedResourceRef> {
    const acct = await w.c.storage.storageAccounts.create(
      SOURCE_RG,
      name,
      { location: SOURCE_LOCATION, sku: { name: 'Standard_GRS' }, kind: 'StorageV2', accessTier: 'Hot', minimumTlsVersion: 'TLS1_2', tags: { team: 'billing' }, networkRuleSet: { defaultAction: 'Deny', ipRules: [{ iPAddressOrRange: '203.0.113.0/24' }] } },
      FAST_POLL,
    );
    const invoices = azurite.client(name).getContainerClient('invoices');
    await invoices.createIfNotExists();
    await invoices.getBlockBlobClient('2026/inv-1.json').uploadData(Buffer.from('{"total":42}'));
    return { id: `pr-${name}`, policyId: 'pol-data', type: 'azure.storage-account', nativeId: acct.id!, name };
  }

  it('discovers accounts with tags and leaves out the console’s own', async () => {
    const ref = await seed('billingdocs');
    const found = await h.discover({ env: w.source, signal: new AbortController().signal });
    expect(found).toEqual([{ type: 'azure.storage-account', nativeId: ref.nativeId, name: 'billingdocs', region: SOURCE_LOCATION, tags: { team: 'billing' }, summary: 'Standard_GRS, StorageV2, Hot' }]);
  });

  it('replicates through object replication, test-fails over, resets, and fails over from the selected point', async () => {
    const ref = await seed('billingdocs');
    const first = await h.replicate(ref, ctxOf('rep-1', 'rp-1'));
    const cap = first.metadata as unknown as StorageCapture;
    const replica = targetStorageAccountName('billingdocs', 'northeurope', 'pol-data');
    expect(cap).toMatchObject({ account: 'billingdocs', sku: 'Standard_GRS', kind: 'StorageV2', accessTier: 'Hot', containers: ['invoices'], targetAccount: replica, tags: { team: 'billing' } });
    expect(cap.settings).toMatchObject({ minimumTlsVersion: 'TLS1_2', networkRules: { defaultAction: 'Deny', ipRules: ['203.0.113.0/24'] } });
    // As the service requires: versioning and the change feed on the source, versioning on the replica.
    expect(await w.c.storage.blobServices.getServiceProperties(SOURCE_RG, 'billingdocs')).toMatchObject({ isVersioningEnabled: true, changeFeed: { enabled: true } });
    expect((await w.c.storage.blobServices.getServiceProperties(TARGET_RG, replica)).isVersioningEnabled).toBe(true);
    const [onDst] = await all(w.c.storage.objectReplicationPolicies.list(TARGET_RG, replica));
    const [onSrc] = await all(w.c.storage.objectReplicationPolicies.list(SOURCE_RG, 'billingdocs'));
    expect(onDst?.policyId).toBe(cap.policyId);
    expect(onSrc?.policyId).toBe(cap.policyId);
    expect(onSrc?.rules?.map((r) => r.ruleId)).toEqual(onDst?.rules?.map((r) => r.ruleId));
    // The service copies the blobs; the test world does it for the peer.
    expect(await replicateObjects(w.peer, azurite)).toBe(1);

    // Settings change at the source; replication twice makes nothing new.
    await w.c.storage.storageAccounts.update(SOURCE_RG, 'billingdocs', { accessTier: 'Cool', tags: { team: 'billing', cost: 'low' } });
    const writes = () => w.peer.requests.filter((r) => r.method === 'PUT').length;
    const before = writes();
    const second = await h.replicate(ref, ctxOf('rep-2', 'rp-2'));
    expect(w.peer.requests.filter((r) => r.method === 'PUT').slice(before).map((r) => r.path)).toEqual([]);
    expect(second.metadata).toMatchObject({ accessTier: 'Cool', policyId: cap.policyId });
    expect(await all(w.c.storage.objectReplicationPolicies.list(TARGET_RG, replica))).toHaveLength(1);

    // Test failover: an account of its own with the point's settings; Reset deletes it, replication untouched.
    const p1 = point(first, ref, 'rp-1');
    const created = await h.testFailover(p1, ctxOf('test-1'));
    expect(created).toHaveLength(1);
    const test = await w.c.storage.storageAccounts.getProperties(TARGET_RG, created[0]!.name);
    expect(test).toMatchObject({ accessTier: 'Hot', sku: { name: 'Standard_GRS' }, tags: { team: 'billing', 'dr:test': 'true' } });
    expect(await azurite.client(created[0]!.name).getContainerClient('invoices').exists()).toBe(true);
    await h.reset(created[0]!, ctxOf('reset-1'));
    await expect(w.c.storage.storageAccounts.getProperties(TARGET_RG, created[0]!.name)).rejects.toMatchObject({ statusCode: 404 });
    await h.reset(created[0]!, ctxOf('reset-again'));
    await expect(h.reset({ ...created[0]!, nativeId: cap.targetAccountId, name: replica }, ctxOf('reset-replica'))).rejects.toMatchObject({ code: 'PreconditionFailed' });
    expect(await all(w.c.storage.objectReplicationPolicies.list(TARGET_RG, replica))).toHaveLength(1);

    // Failover from the OLDER point: Hot, its tags; the policy gone from both accounts; the container served.
    const mapping = await h.failover(p1, ctxOf('failover'));
    expect(mapping).toEqual([{ sourceId: ref.nativeId, kind: 'StorageAccount', name: replica, targetId: cap.targetAccountId, reused: true }]);
    const after = await w.c.storage.storageAccounts.getProperties(TARGET_RG, replica);
    expect(after).toMatchObject({ accessTier: 'Hot', sku: { name: 'Standard_GRS' }, minimumTlsVersion: 'TLS1_2', tags: { team: 'billing', 'dr:role': 'failover' } });
    expect(after.tags?.cost).toBeUndefined();
    expect(await all(w.c.storage.objectReplicationPolicies.list(TARGET_RG, replica))).toEqual([]);
    expect(await all(w.c.storage.objectReplicationPolicies.list(SOURCE_RG, 'billingdocs'))).toEqual([]);
    const blob = await azurite.client(replica).getContainerClient('invoices').getBlobClient('2026/inv-1.json').downloadToBuffer();
    expect(blob.toString()).toBe('{"total":42}');
    expect(warnings.filter((m) => m.includes('does not serve'))).toEqual([]);

    await h.stopReplication(ref, ctxOf('stop'));
    await h.stopReplication(ref, ctxOf('stop-again'));
  });

  it('resumes a replication killed mid-poll of the replica account PUT: one PUT, polling goes on', async () => {
    const ref = await seed('mediaassets');
    const replica = targetStorageAccountName('mediaassets', 'northeurope', 'pol-data');
    const j = w.step('rep-killed');
    w.peer.hold();
    const job = new AbortController();
    const first = h.replicate(ref, j.attempt(null, job.signal).ctx).then(
      () => 'finished',
      (e: unknown) => e,
    );
    while (!j.ops.operations().some((o) => o.opKey === `storage-account:${replica}` && o.handle)) await new Promise((r) => setTimeout(r, 5));
    job.abort(new Error('killed'));
    expect(await first).not.toBe('finished');
    w.peer.release();
    const item = await h.replicate(ref, j.attempt().ctx);
    expect(item.metadata).toMatchObject({ targetAccount: replica });
    expect(w.peer.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/storageAccounts/${replica}`))).toHaveLength(1);
  });

  it('warns when the target account does not serve a replicated container', async () => {
    const ref = await seed('auditlogs');
    const item = point(await h.replicate(ref, ctxOf('rep')), ref, 'rp');
    const replica = targetStorageAccountName('auditlogs', 'northeurope', 'pol-data');
    await azurite.client(replica).getContainerClient('invoices').delete();
    await h.failover(item, ctxOf('failover'));
    expect(warnings).toContainEqual(`Storage account ${replica} in northeurope does not serve the container invoices of auditlogs.`);
  });
});

it('tells the confirmation what a storage failover will not carry, from the point alone', async () => {
  const { foreseeStorageAccount } = await import('../../../../main/providers/azure/storage-account');
  const ref: ProtectedResourceRef = { id: 'pr', policyId: 'p', type: 'azure.storage-account', nativeId: '/x', name: 'stmedia' };
  const settings = { networkRules: { defaultAction: 'Deny', bypass: null, ipRules: [], virtualNetworkRules: 2 } };
  const item: RecoveryPointItemRef = { id: 'i', recoveryPointId: 'rp', resource: ref, capturedAt: '', metadata: { account: 'stmedia', targetAccount: 'stmediadr1', settings }, dataRefs: [] };
  expect(foreseeStorageAccount(item)).toEqual([
    'The 2 virtual-network firewall rules of stmedia name subnets of the source region and are not applied to stmediadr1.',
    'Blobs written to stmedia after the last copy by object replication are not in stmediadr1.',
  ]);
});
