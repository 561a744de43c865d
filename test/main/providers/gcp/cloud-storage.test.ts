// The Cloud Storage handler against fake-gcs-server and the GCP peer (Storage Transfer): stopping
// replication deletes the job and keeps the replica bucket, Reset deletes only the console's test
// buckets, and a throttled transfer-job create is a ProviderThrottled the retried step recovers
// from with one job, never two.

import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { GcpProvider } from '../../../../main/providers/gcp';
import { replicaBucketName, transferJobName } from '../../../../main/providers/gcp/cloud-storage';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import type { EnvRef, ProtectedResourceRef, ResourceHandler } from '../../../../main/providers/types';
import { StepJournal } from '../../../conformance/crash-context';
import { emptyFakeGcs, GCP_SOURCE, GCP_TARGET, gcpAccount, gcpProviderFor } from '../../../conformance/gcp-data-peer';
import { describeFakeGcs, startFakeGcs, type FakeGcs } from '../../../peers/fake-gcs';
import { describeGcpPeer } from '../../../peers/gcp/describe-gcp';
import { gcpClients, type GcpClients } from '../../../peers/gcp/sdk';
import { startGcpPeer, type GcpPeer } from '../../../peers/gcp/server';

describeGcpPeer('Cloud Storage handler against the GCP peer', () => {
  describeFakeGcs('and fake-gcs-server', () => {
    let peer: GcpPeer;
    let gcs: FakeGcs;
    let c: GcpClients;
    let storage: Storage;
    let provider: GcpProvider;
    let h: ResourceHandler;
    let source: EnvRef;
    let target: EnvRef;
    const resource: ProtectedResourceRef = { id: 'pr-1', policyId: 'pol-gcs', type: 'gcp.cloud-storage', nativeId: 'web-assets', name: 'web-assets' };
    const journal = (key: string) => new StepJournal({ key, jobId: `job-${key}`, policyId: 'pol-gcs', source, target, recoveryPointId: 'rp-1' });
    const job = () => transferJobName('web-assets', GCP_TARGET, 'pol-gcs');
    const getJob = async () => (await c.transfer.getTransferJob({ jobName: job(), projectId: peer.project }))[0];

    beforeAll(async () => {
      peer = await startGcpPeer();
      gcs = await startFakeGcs();
      c = gcpClients(peer);
      storage = new Storage({ apiEndpoint: gcs.url, projectId: peer.project });
      provider = gcpProviderFor(peer, gcs.url);
      h = provider.handler('gcp.cloud-storage')!;
      const account = gcpAccount(peer.project);
      source = { environmentId: 'env-src', account, region: GCP_SOURCE, scope: { cloud: 'gcp', region: GCP_SOURCE, projectId: peer.project, zone: null } };
      target = { environmentId: 'env-dst', account, region: GCP_TARGET, scope: { cloud: 'gcp', region: GCP_TARGET, projectId: peer.project, zone: null } };
    }, 120_000);
    afterAll(async () => {
      await provider?.dispose();
      await c?.close();
      await gcs?.stop();
      await peer?.close();
    });
    beforeEach(async () => {
      peer.reset();
      await emptyFakeGcs(storage);
      await storage.createBucket('web-assets', { versioning: { enabled: true } });
    });

    it('stops replication by deleting the transfer job, keeps the replica bucket, and refuses to replicate again under the deleted job', async () => {
      const item = await h.replicate(resource, journal('replicate').attempt().ctx);
      const replica = replicaBucketName('web-assets', GCP_TARGET, 'pol-gcs');
      expect(item.dataRefs).toEqual([
        { kind: 'Bucket', id: replica, region: GCP_TARGET },
        { kind: 'TransferJob', id: job(), region: GCP_TARGET },
      ]);
      expect(item.metadata).toMatchObject({ bucket: 'web-assets', versioning: true, iam: null, replicaBucket: replica });
      expect((await getJob()).status).toBe('ENABLED');
      // fake-gcs-server has no bucket IAM: the confirmation says so before failover.
      expect(h.foresee!({ id: 'rpi', recoveryPointId: 'rp-1', resource, capturedAt: '2030-01-01T00:00:00.000Z', ...item })).toEqual([
        "Bucket web-assets's IAM policy was not in its recovery point (the service answered NOT_FOUND to storage.buckets.getIamPolicy): the replica keeps the IAM policy it has.",
      ]);
      // The source keeps its versioning through the destination-label patch (fake-gcs-server would turn it off).
      expect((await storage.bucket('web-assets').getMetadata())[0].versioning?.enabled).toBe(true);

      await h.stopReplication(resource, journal('stop').attempt().ctx);
      expect((await getJob()).status).toBe('DELETED');
      expect((await storage.bucket(replica).exists())[0]).toBe(true);
      const again = await h.replicate(resource, journal('replicate-2').attempt().ctx).catch((e: unknown) => e);
      expect((again as ProviderFailure).code).toBe('PreconditionFailed');
      expect((again as ProviderFailure).message).toBe(`The replication job ${job()} of web-assets was deleted (its replication was stopped); protect the bucket with a new policy.`);
      expect(peer.violations).toEqual([]);
    });

    it('resets only the console\'s test buckets: a customer bucket is refused and kept', async () => {
      await storage.createBucket('customer-logs');
      const err = await h.reset({ kind: 'Bucket', nativeId: 'customer-logs', name: 'customer-logs', region: GCP_TARGET }, journal('reset').attempt().ctx).catch((e: unknown) => e);
      expect((err as ProviderFailure).code).toBe('PreconditionFailed');
      expect((await storage.bucket('customer-logs').exists())[0]).toBe(true);
    });

    it('answers a throttled transfer-job create with ProviderThrottled, and the retried step makes one job', async () => {
      peer.inject({ method: 'storagetransfer.transferJobs.create', kind: 'rateLimitExceeded429' });
      const j = journal('replicate-throttled');
      const err = await h.replicate(resource, j.attempt().ctx).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderFailure);
      expect((err as ProviderFailure).code).toBe('ProviderThrottled');
      expect((err as ProviderFailure).message).toContain('storagetransfer.transferJobs.create');
      await h.replicate(resource, j.attempt().ctx);
      const [jobs] = await c.transfer.listTransferJobs({ filter: JSON.stringify({ projectId: peer.project }) }, { autoPaginate: false });
      expect(jobs.map((x) => x.name)).toEqual([job()]);
      expect(peer.violations).toEqual([]);
    });
  });
});
