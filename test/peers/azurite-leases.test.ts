// What Azurite really honours of blob leases and conditional writes (the Azure target store builds
// the failover lease on them; test/peers/AZURITE.md carries the list). Each fact is asserted here so
// an Azurite upgrade that changes one fails this file rather than the store's tests in a puzzling way.

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { describeAzurite, startAzurite, type AzuritePeer } from './azurite';

const ID_A = '11111111-1111-4111-8111-111111111111';
const ID_B = '22222222-2222-4222-8222-222222222222';

describeAzurite('Azurite: blob leases and conditional writes', () => {
  let azurite: AzuritePeer;
  let c: ContainerClient;
  let n = 0;
  const fresh = async (): Promise<BlockBlobClient> => {
    const b = c.getBlockBlobClient(`fact-${n++}.json`);
    await b.upload('{}', 2);
    return b;
  };
  beforeAll(async () => {
    azurite = await startAzurite({ accounts: 1 });
    azurite.dataPlane('facts');
    c = azurite.client('facts').getContainerClient('facts');
    await c.createIfNotExists();
  }, 120_000);
  afterAll(async () => {
    await azurite?.stop();
  });

  it('answers If-None-Match: * on an existing blob with 409 BlobAlreadyExists and a stale If-Match with 412 ConditionNotMet; of 8 racing creates exactly one wins', async () => {
    const b = await fresh();
    await expect(b.upload('x', 1, { conditions: { ifNoneMatch: '*' } })).rejects.toMatchObject({ statusCode: 409, code: 'BlobAlreadyExists' });
    await expect(b.upload('x', 1, { conditions: { ifMatch: '"0xBAD"' } })).rejects.toMatchObject({ statusCode: 412, code: 'ConditionNotMet' });
    const race = c.getBlockBlobClient('race.json');
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => race.upload(String(i), 1, { conditions: { ifNoneMatch: '*' } })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ statusCode: 409, code: 'BlobAlreadyExists' });
  });

  it('acquires an infinite lease conditionally on the ETag without changing it; the same id may acquire again, another gets 409 LeaseAlreadyPresent', async () => {
    const b = await fresh();
    const etag = (await b.getProperties()).etag!;
    await expect(b.getBlobLeaseClient(ID_A).acquireLease(-1, { conditions: { ifMatch: '"0xBAD"' } })).rejects.toMatchObject({ statusCode: 412, code: 'ConditionNotMet' });
    expect((await b.getBlobLeaseClient(ID_A).acquireLease(-1, { conditions: { ifMatch: etag } })).etag).toBe(etag);
    expect(await b.getProperties()).toMatchObject({ etag, leaseState: 'leased', leaseStatus: 'locked', leaseDuration: 'infinite' });
    await b.getBlobLeaseClient(ID_A).acquireLease(-1);
    await expect(b.getBlobLeaseClient(ID_B).acquireLease(-1)).rejects.toMatchObject({ statusCode: 409, code: 'LeaseAlreadyPresent' });
    const racing = c.getBlockBlobClient('race-lease.json');
    await racing.upload('{}', 2);
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => racing.getBlobLeaseClient(`3333333${i}-3333-4333-8333-333333333333`).acquireLease(-1)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('refuses writes and deletes of a leased blob without the id (412 LeaseIdMissing); a write with the id keeps the lease; the id on an unleased blob is 412 LeaseNotPresentWithBlobOperation', async () => {
    const b = await fresh();
    const etag = (await b.getBlobLeaseClient(ID_A).acquireLease(-1)).etag!;
    await expect(b.upload('x', 1)).rejects.toMatchObject({ statusCode: 412, code: 'LeaseIdMissing' });
    await expect(b.delete()).rejects.toMatchObject({ statusCode: 412, code: 'LeaseIdMissing' });
    await expect(b.upload('x', 1, { conditions: { leaseId: ID_B } })).rejects.toMatchObject({ statusCode: 412, code: 'LeaseIdMismatchWithBlobOperation' });
    await b.upload('x', 1, { conditions: { leaseId: ID_A, ifMatch: etag } });
    expect((await b.getProperties()).leaseState).toBe('leased');
    await b.getBlobLeaseClient(ID_A).releaseLease();
    expect((await b.getProperties()).leaseState).toBe('available');
    await expect(b.upload('y', 1, { conditions: { leaseId: ID_A } })).rejects.toMatchObject({ statusCode: 412, code: 'LeaseNotPresentWithBlobOperation' });
  });

  it('breaks a lease at once (break period 0) with no id; a 15 s lease expires by itself, then anyone writes or leases the blob', async () => {
    const b = await fresh();
    await b.getBlobLeaseClient(ID_A).acquireLease(-1);
    await b.getBlobLeaseClient().breakLease(0);
    expect(await b.getProperties()).toMatchObject({ leaseState: 'broken', leaseStatus: 'unlocked' });
    await expect(b.getBlobLeaseClient(ID_B).acquireLease(10)).rejects.toMatchObject({ statusCode: 400, code: 'InvalidHeaderValue' });

    const e = await fresh();
    await e.getBlobLeaseClient(ID_A).acquireLease(15);
    await expect(e.upload('x', 1)).rejects.toMatchObject({ code: 'LeaseIdMissing' });
    // Waits for the state, not for a time (on a busy machine the poll just runs longer).
    let state: string | undefined;
    for (let i = 0; i < 300; i++) {
      state = (await e.getProperties()).leaseState;
      if (state !== 'leased') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(state).toBe('expired');
    await e.upload('y', 1);
    await e.getBlobLeaseClient(ID_B).acquireLease(-1);
  }, 180_000);
});
