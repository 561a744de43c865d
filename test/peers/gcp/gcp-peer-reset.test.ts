// The GCP peer's reset(): a suite that opens many clean worlds (the conformance suite) keeps one peer
// and one set of clients, and each world must start as a freshly started peer would.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeGcpPeer } from './describe-gcp';
import { gcpClients, type GcpClients } from './sdk';
import { startGcpPeer, type GcpPeer } from './server';

describeGcpPeer('GCP peer reset', () => {
  let peer: GcpPeer;
  let c: GcpClients;
  beforeAll(async () => {
    peer = await startGcpPeer();
    c = gcpClients(peer);
  });
  afterAll(async () => {
    await c?.close();
    await peer?.close();
  });

  it('forgets instances, operations, jobs, pending faults and disabled APIs, keeps the seeded zones, and keeps every violation', async () => {
    const P = peer.project;
    const zonesBefore = (await c.zones.list({ project: P }))[0].map((z) => z.name).sort();
    const { data: op } = await c.sql.instances.insert({ project: P, requestBody: { name: 'orders', region: 'us-central1', settings: { tier: 'db-custom-2-7680' } } });
    await c.transfer.createTransferJob({ transferJob: { name: 'transferJobs/dr-x', projectId: P, transferSpec: { gcsDataSource: { bucketName: 'a' }, gcsDataSink: { bucketName: 'b' } } } });
    peer.inject({ method: 'sql.instances.get', kind: 'PERMISSION_DENIED' });
    peer.disableApi('sqladmin.googleapis.com');
    peer.reset();
    await expect(c.sql.instances.get({ project: P, instance: 'orders' })).rejects.toMatchObject({ status: 404 });
    await expect(c.sql.operations.get({ project: P, operation: op.name! })).rejects.toMatchObject({ status: 404 });
    await expect(c.transfer.getTransferJob({ jobName: 'transferJobs/dr-x', projectId: P })).rejects.toMatchObject({ code: 5 });
    expect((await c.zones.list({ project: P }))[0].map((z) => z.name).sort()).toEqual(zonesBefore);
    expect(peer.violations).toEqual([]);
  });
});
