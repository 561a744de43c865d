// Azurite as the blob data plane behind the ARM peer's storage accounts: the account's
// primaryEndpoints.blob and listKeys (through the real arm-storage client) open the Azurite account
// with @azure/storage-blob, and the test world's object replication copies a rule's blobs.

import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { checkResponse } from './azure-arm/contract';
import { FAST_POLL, peerClients, type PeerClients } from './azure-arm/sdk';
import { startArmPeer, type ArmPeer } from './azure-arm/server';
import { describeAzurite, replicateObjects, startAzurite, type AzuritePeer } from './azurite';

describeAzurite('Azurite behind the ARM peer', () => {
  let azurite: AzuritePeer;
  let peer: ArmPeer;
  let c: PeerClients;

  beforeAll(async () => {
    azurite = await startAzurite({ accounts: 3 });
  }, 120_000);
  afterAll(async () => {
    await azurite?.stop();
  });
  beforeEach(async () => {
    peer = await startArmPeer({ blobDataPlane: (name) => azurite.dataPlane(name) });
    c = peerClients(peer);
  });
  afterEach(async () => {
    const problems = peer.responses.flatMap(checkResponse);
    await peer.close();
    expect(problems).toEqual([]);
  });

  it('opens a storage account by its blob endpoint and listed key, and copies a replicated container', async () => {
    await c.resources.resourceGroups.createOrUpdate('src', { location: 'westeurope' });
    await c.resources.resourceGroups.createOrUpdate('dst', { location: 'northeurope' });
    const src = await c.storage.storageAccounts.create('src', 'ordersrc', { location: 'westeurope', sku: { name: 'Standard_LRS' }, kind: 'StorageV2' }, FAST_POLL);
    const dst = await c.storage.storageAccounts.create('dst', 'ordersdst', { location: 'northeurope', sku: { name: 'Standard_LRS' }, kind: 'StorageV2' }, FAST_POLL);
    expect(src.primaryEndpoints?.blob).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/peerblob\d\/$/);
    expect(dst.primaryEndpoints?.blob).not.toBe(src.primaryEndpoints?.blob);

    // What an adapter does: the key from ARM, the account name from the (IP-style) endpoint.
    const open = async (rg: string, name: string, endpoint: string) => {
      const key = (await c.storage.storageAccounts.listKeys(rg, name)).keys![0]!.value!;
      return new BlobServiceClient(endpoint, new StorageSharedKeyCredential(new URL(endpoint).pathname.split('/')[1]!, key));
    };
    const srcBlobs = await open('src', 'ordersrc', src.primaryEndpoints!.blob!);
    const invoices = srcBlobs.getContainerClient('invoices');
    await invoices.create();
    await invoices.getBlockBlobClient('2026/11/inv-1.json').uploadData(Buffer.from('{"total":42}'));

    // A wrong key is refused by Azurite: the data plane really checks the shared key.
    const wrong = new BlobServiceClient(src.primaryEndpoints!.blob!, new StorageSharedKeyCredential(new URL(src.primaryEndpoints!.blob!).pathname.split('/')[1]!, Buffer.alloc(64).toString('base64')));
    await expect(wrong.getContainerClient('invoices').exists()).rejects.toMatchObject({ statusCode: 403 });

    await c.storage.blobServices.setServiceProperties('src', 'ordersrc', { isVersioningEnabled: true, changeFeed: { enabled: true } });
    await c.storage.blobServices.setServiceProperties('dst', 'ordersdst', { isVersioningEnabled: true });
    const dstBlobs = await open('dst', 'ordersdst', dst.primaryEndpoints!.blob!);
    await dstBlobs.getContainerClient('invoices').create();
    const rules = [{ sourceContainer: 'invoices', destinationContainer: 'invoices' }];
    expect(await replicateObjects(peer, azurite)).toBe(0);
    const onDst = await c.storage.objectReplicationPolicies.createOrUpdate('dst', 'ordersdst', 'default', { sourceAccount: 'ordersrc', destinationAccount: 'ordersdst', rules });
    // Only a policy on both accounts replicates.
    expect(await replicateObjects(peer, azurite)).toBe(0);
    await c.storage.objectReplicationPolicies.createOrUpdate('src', 'ordersrc', onDst.policyId!, { sourceAccount: 'ordersrc', destinationAccount: 'ordersdst', rules: onDst.rules! });
    expect(await replicateObjects(peer, azurite)).toBe(1);
    const copied = await dstBlobs.getContainerClient('invoices').getBlobClient('2026/11/inv-1.json').downloadToBuffer();
    expect(copied.toString()).toBe('{"total":42}');
  });
});
