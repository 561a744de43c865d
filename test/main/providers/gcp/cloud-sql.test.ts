// The Cloud SQL handler's journal of operations against the GCP peer: a step stopped while its
// operation is still running resumes by polling the journaled operation (one insert, never two), a
// failed operation fails the step with its error, and a replica whose primary is gone is refused.

import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { sqlReplicaName } from '../../../../main/providers/gcp/cloud-sql';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import type { EnvRef, ProtectedResourceRef, ResourceHandler } from '../../../../main/providers/types';
import { StepJournal } from '../../../conformance/crash-context';
import { GCP_SOURCE, GCP_TARGET, gcpAccount, gcpProviderFor, sqlDone } from '../../../conformance/gcp-data-peer';
import { describeGcpPeer } from '../../../peers/gcp/describe-gcp';
import { gcpClients, type GcpClients } from '../../../peers/gcp/sdk';
import { startGcpPeer, type GcpPeer } from '../../../peers/gcp/server';
import type { GcpProvider } from '../../../../main/providers/gcp';

describeGcpPeer('Cloud SQL handler against the GCP peer', () => {
  let peer: GcpPeer;
  let c: GcpClients;
  let provider: GcpProvider;
  let h: ResourceHandler;
  let source: EnvRef;
  let target: EnvRef;
  const resource: ProtectedResourceRef = { id: 'pr-1', policyId: 'pol-sql', type: 'gcp.cloud-sql', nativeId: 'orders-db', name: 'orders-db' };
  const journal = (key: string) => new StepJournal({ key, jobId: `job-${key}`, policyId: 'pol-sql', source, target, recoveryPointId: 'rp-1' });
  const inserts = (name: string) => peer.exchanges.filter((e) => e.methodId === 'sql.instances.insert' && (e.requestBody as { name?: string }).name === name).length;

  beforeAll(async () => {
    peer = await startGcpPeer();
    c = gcpClients(peer);
    // Cloud Storage is not used here: its endpoint points at the GCP peer, which has none.
    provider = gcpProviderFor(peer, peer.url);
    h = provider.handler('gcp.cloud-sql')!;
    const account = gcpAccount(peer.project);
    source = { environmentId: 'env-src', account, region: GCP_SOURCE, scope: { cloud: 'gcp', region: GCP_SOURCE, projectId: peer.project, zone: null } };
    target = { environmentId: 'env-dst', account, region: GCP_TARGET, scope: { cloud: 'gcp', region: GCP_TARGET, projectId: peer.project, zone: null } };
  }, 60_000);
  afterAll(async () => {
    await provider?.dispose();
    await c?.close();
    await peer?.close();
  });
  beforeEach(async () => {
    peer.reset();
    const { data } = await c.sql.instances.insert({
      project: peer.project,
      requestBody: { name: 'orders-db', region: GCP_SOURCE, databaseVersion: 'MYSQL_8_0', settings: { tier: 'db-n1-standard-2', userLabels: { app: 'orders' } } },
    });
    await sqlDone(c, peer.project, data.name!);
  });

  it('resumes a replication stopped while the replica was being created by polling the journaled operation, inserting once', async () => {
    const j = journal('replicate-held');
    peer.hold();
    const stop = new AbortController();
    const first = h.replicate(resource, j.attempt(null, stop.signal).ctx).then(
      () => null,
      (e: unknown) => e,
    );
    // Wait for the state (the operation's name journaled as the handle), then stop the step.
    while (!j.ops.rows.some((r) => r.kind === 'handle')) await new Promise((r) => setTimeout(r, 5));
    stop.abort();
    expect(await first).toBeInstanceOf(ProviderFailure);
    const handle = j.ops.rows.find((r) => r.kind === 'handle')!.material;
    expect(handle.operation).toEqual(expect.any(String));
    expect(j.ops.rows.filter((r) => r.kind === 'outcome')).toEqual([]);
    peer.release();

    const item = await h.replicate(resource, j.attempt().ctx);
    const replica = sqlReplicaName('orders-db', GCP_TARGET, 'pol-sql');
    expect(inserts(replica)).toBe(1);
    expect(item.metadata).toMatchObject({ instance: 'orders-db', replica, databaseVersion: 'MYSQL_8_0', labels: { app: 'orders' }, settings: { tier: 'db-n1-standard-2' } });
    expect(j.ops.rows.filter((r) => r.kind === 'outcome').map((r) => r.material)).toEqual([{ status: 'succeeded', result: { operation: handle.operation }, adopted: true }]);
    const polled = peer.exchanges.filter((e) => e.methodId === 'sql.operations.get' && e.path.endsWith(String(handle.operation)));
    expect(polled.at(-1)?.responseBody).toMatchObject({ status: 'DONE', operationType: 'CREATE_REPLICA' });
    expect((await c.sql.instances.get({ project: peer.project, instance: replica })).data).toMatchObject({ state: 'RUNNABLE', instanceType: 'READ_REPLICA_INSTANCE' });
    expect(peer.violations).toEqual([]);
  });

  it('fails the failover with the operation\'s error when the promotion fails, leaving the replica a replica', async () => {
    const item = await h.replicate(resource, journal('replicate').attempt().ctx);
    peer.failNextOperation({ method: 'sql.instances.promoteReplica', code: 'INTERNAL_ERROR', message: 'The replica could not be promoted.' });
    const point = { id: 'rpi-1', recoveryPointId: 'rp-1', resource, capturedAt: '2030-01-01T00:00:00.000Z', ...item };
    const err = await h.failover(point, journal('failover').attempt().ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderFailure);
    expect((err as ProviderFailure).message).toMatch(/^Cloud SQL could not promote orders-db-dr-[0-9a-f]{10} \(operation [-0-9a-f]+: INTERNAL_ERROR, The replica could not be promoted\.\)\.$/);
    const replica = sqlReplicaName('orders-db', GCP_TARGET, 'pol-sql');
    expect((await c.sql.instances.get({ project: peer.project, instance: replica })).data.instanceType).toBe('READ_REPLICA_INSTANCE');
    expect(peer.violations).toEqual([]);
  });

  it('refuses to replicate a read replica, and a primary that does not exist, with sentences', async () => {
    await h.replicate(resource, journal('replicate').attempt().ctx);
    const replica = sqlReplicaName('orders-db', GCP_TARGET, 'pol-sql');
    const asReplica = await h.replicate({ ...resource, nativeId: replica, name: replica }, { ...journal('r2').attempt().ctx, source: target }).catch((e: unknown) => e);
    expect((asReplica as ProviderFailure).code).toBe('PreconditionFailed');
    expect((asReplica as ProviderFailure).message).toBe(`Cloud SQL instance ${replica} is itself a read replica; protect its primary instead.`);
    const missing = await h.replicate({ ...resource, nativeId: 'gone-db' }, journal('r3').attempt().ctx).catch((e: unknown) => e);
    expect((missing as ProviderFailure).code).toBe('NotFound');
    expect(peer.violations).toEqual([]);
  });
});
