// The GKE handler (gcp.gke) against the GCP peer through the real clients: discovery of clusters and
// node pools, a recovery point (configuration, PD snapshots in the target's region, node IAM with the
// custom role's definition), test failover and Reset, failover with same-named IAM reused (R7) or made
// again when it was lost, Autopilot refused, error sentences, and the journal of operations: a step
// killed while the cluster's create operation runs polls the journaled operation on resume, and one
// whose handle was lost adopts this policy's cluster instead of making a second.

import { afterEach, beforeEach, expect, it } from 'vitest';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import type { MutateSpec, RecoveryPointItemRef, ResourceHandler, StepContext } from '../../../../main/providers/types';
import { StepJournal, type CrashPoint } from '../../../conformance/crash-context';
import { GCP_SOURCE, GCP_SOURCE_ZONE, GCP_TARGET, GKE_CUSTOM_ROLE, GKE_ROLES, iamCall, loseGkeIam, openGcpWorld, seedClients, type GcpWorld, type SeedClients } from '../../../conformance/gcp-peer';
import { describeGcpPeer } from '../../../peers/gcp/describe-gcp';
import type { GcpPeer } from '../../../peers/gcp/server';

type Json = Record<string, unknown>;
const TARGET_ZONE = 'europe-west1-b';

describeGcpPeer('gcp.gke against the GCP peer', () => {
  let world: GcpWorld;
  let peer: GcpPeer;
  let c: SeedClients;
  let h: ResourceHandler;
  let point: RecoveryPointItemRef;
  let P: string;

  beforeEach(async () => {
    world = await openGcpWorld();
    peer = world.peer;
    P = peer.project;
    c = seedClients(peer);
    h = world.adapter.handler('gcp.gke')!;
    const ref = await world.protect('gcp.gke');
    const item = await h.replicate(ref, journal('replicate').attempt().ctx);
    point = { id: 'rpi-1', recoveryPointId: 'rp-1', resource: ref, capturedAt: '2030-01-15T10:00:00.000Z', ...item };
  }, 60_000);
  afterEach(async () => {
    await c?.close();
    // world.close() throws when the peer saw a contract violation.
    await world?.close();
  });

  const journal = (key: string, policyId = 'pol-gke') => new StepJournal({ key, jobId: `job-${key}`, policyId, source: world.source, target: world.target, recoveryPointId: 'rp-1' });
  const clustersIn = (location: string) => peer.resources(`container:projects/${P}/locations/${location}/clusters/`);
  const disksIn = (zone: string) => peer.resources(`projects/${P}/zones/${zone}/disks/`);
  const snapshots = () => peer.resources(`projects/${P}/global/snapshots/`);
  const creates = () => peer.exchanges.filter((e) => e.methodId === 'container.projects.locations.clusters.create' && e.path.includes(`/locations/${GCP_TARGET}/`));
  const email = () => `gke-nodes@${P}.iam.gserviceaccount.com`;
  const roleName = () => `projects/${P}/roles/${GKE_CUSTOM_ROLE}`;
  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderFailure);
    return err as ProviderFailure;
  };

  it('discovers the source region\'s clusters with their labels and node pools, and refuses an Autopilot cluster with a sentence', async () => {
    const [op] = await c.container.createCluster({ parent: `projects/${P}/locations/${GCP_SOURCE}`, cluster: { name: 'auto-1', autopilot: { enabled: true }, resourceLabels: { team: 'ml' } } });
    for (let done = false; !done; ) done = String((await c.container.getOperation({ name: `projects/${P}/locations/${GCP_SOURCE}/operations/${op.name ?? ''}` }))[0].status) === 'DONE';
    const found = await h.discover({ env: world.source, signal: new AbortController().signal });
    expect(found.map((f) => f.name)).toEqual(['auto-1', 'shop']);
    expect(found[1]).toMatchObject({ type: 'gcp.gke', nativeId: `projects/${P}/locations/${GCP_SOURCE}/clusters/shop`, region: GCP_SOURCE, tags: { team: 'payments', env: 'prod' } });
    expect(found[1]!.summary).toBe(`Kubernetes 1.33.5-gke.1000 in ${GCP_SOURCE}, 2 node pools, running`);
    expect(found[0]!.summary).toContain('Autopilot');
    // The target region's clusters are not the source's.
    expect(await h.discover({ env: world.target, signal: new AbortController().signal })).toEqual([]);

    const err = await failure(h.replicate({ ...point.resource, nativeId: found[0]!.nativeId, name: 'auto-1' }, journal('replicate-auto').attempt().ctx));
    expect(err.code).toBe('PreconditionFailed');
    expect(err.message).toMatch(/^GKE cluster auto-1 is an Autopilot cluster, whose nodes Google manages: the console recreates Standard clusters only\./);
    expect(snapshots()).toHaveLength(2);
  });

  it('captures the configuration, the node IAM with the custom role definition, and snapshots only the cluster\'s volumes into the target region', () => {
    const m = point.metadata as Json;
    expect(m).toMatchObject({
      name: 'shop',
      location: GCP_SOURCE,
      regional: true,
      version: '1.33.5-gke.1000',
      releaseChannel: 'REGULAR',
      resourceLabels: { team: 'payments', env: 'prod' },
      serviceAccounts: [{ email: email(), displayName: 'GKE nodes', roles: [...GKE_ROLES(P)].sort() }],
      customRoles: [{ name: roleName(), roleId: GKE_CUSTOM_ROLE, title: 'GKE volume reader', includedPermissions: ['compute.disks.get', 'compute.snapshots.get'], stage: 'GA' }],
    });
    expect((m.nodePools as Json[]).map((p) => [p.name, p.machineType, p.initialNodeCount, p.serviceAccount])).toEqual([
      ['default-pool', 'e2-standard-4', 2, email()],
      ['batch', 'e2-highmem-2', 1, email()],
    ]);
    expect((m.nodePools as Json[])[1]!.taints).toEqual([{ key: 'batch', value: 'true', effect: 'NO_SCHEDULE' }]);
    // The two persistent volumes, not the node boot disk.
    expect((m.disks as Json[]).map((d) => [d.diskName, d.sizeGb, d.labels])).toEqual([
      ['pvc-4f1c2a9e-orders', '20', { team: 'payments' }],
      ['pvc-8b3d7e10-carts', '10', { team: 'payments' }],
    ]);
    for (const s of snapshots()) expect(s).toMatchObject({ status: 'READY', storageLocations: [GCP_TARGET] });
    expect(point.dataRefs.map((d) => d.kind)).toEqual(['ClusterConfiguration', 'Snapshot', 'Snapshot']);
    const inserts = peer.exchanges.filter((e) => e.methodId === 'compute.snapshots.insert');
    expect(inserts).toHaveLength(2);
    for (const e of inserts) expect(new URLSearchParams(e.query).get('requestId')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('test failover builds a labelled test cluster and disks from the snapshots, leaves production and IAM alone, and Reset deletes them', async () => {
    const source = JSON.stringify(clustersIn(GCP_SOURCE));
    const iam = await world.iamCensus();
    const created = await h.testFailover(point, journal('test').attempt().ctx);
    expect(created.map((r) => r.kind)).toEqual(['KubernetesCluster', 'Disk', 'Disk']);
    const [test] = clustersIn(GCP_TARGET);
    expect(test).toMatchObject({ status: 'RUNNING', resourceLabels: { team: 'payments', env: 'prod', 'dr-role': 'test', 'dr-policy': 'pol-gke' } });
    expect(String(test!.name)).toMatch(/^drtest-shop-[0-9a-f]{8}$/);
    expect(String(test!.name).length).toBeLessThanOrEqual(40);
    expect(((test!.nodePools as Json[]) ?? []).map((p) => [p.name, (p.config as Json).serviceAccount])).toEqual([
      ['default-pool', email()],
      ['batch', email()],
    ]);
    const disks = disksIn(TARGET_ZONE);
    expect(disks.map((d) => String(d.sourceSnapshot).split('/').at(-1)).sort()).toEqual((point.metadata.disks as Json[]).map((d) => d.snapshot).sort());
    expect(JSON.stringify(clustersIn(GCP_SOURCE))).toBe(source);
    expect(await world.iamCensus()).toEqual(iam);

    for (const r of [...created].reverse()) await h.reset(r, journal(`reset-${r.name}`).attempt().ctx);
    expect(clustersIn(GCP_TARGET)).toEqual([]);
    expect(disksIn(TARGET_ZONE)).toEqual([]);
    expect(snapshots()).toHaveLength(2);
    expect(JSON.stringify(clustersIn(GCP_SOURCE))).toBe(source);
  });

  it('Reset refuses a cluster no test failover made', async () => {
    const err = await failure(h.reset({ kind: 'KubernetesCluster', nativeId: point.resource.nativeId, name: 'shop', region: GCP_SOURCE }, journal('reset-prod').attempt().ctx));
    expect(err.message).toBe(`GKE cluster shop in ${GCP_SOURCE} was not made by a test failover (no dr-role=test label); Reset leaves it alone.`);
    expect(clustersIn(GCP_SOURCE)).toHaveLength(1);
  });

  it('failover reuses the same-named custom role, service account and bindings (R7): nothing of IAM is made again', async () => {
    const iam = await world.iamCensus();
    const mapping = await h.failover(point, journal('failover').attempt().ctx);
    expect(await world.iamCensus()).toEqual(iam);
    expect(mapping.filter((m) => ['IamRole', 'ServiceAccount', 'IamRoleBinding'].includes(m.kind)).map((m) => [m.kind, m.name, m.reused])).toEqual([
      ['IamRole', roleName(), true],
      ['ServiceAccount', email(), true],
      ...[...GKE_ROLES(P)].sort().map((r) => ['IamRoleBinding', `${r} → ${email()}`, true]),
    ]);
    const [cluster] = clustersIn(GCP_TARGET);
    expect(cluster).toMatchObject({ name: 'shop', status: 'RUNNING', currentMasterVersion: '1.33.5-gke.1000', releaseChannel: { channel: 'REGULAR' }, resourceLabels: expect.objectContaining({ team: 'payments', 'dr-role': 'failover' }) });
    expect(mapping.find((m) => m.kind === 'KubernetesCluster')).toMatchObject({ name: 'shop', targetId: cluster!.selfLink });
    expect(mapping.filter((m) => m.kind === 'NodePool').map((m) => m.name)).toEqual(['shop/default-pool', 'shop/batch']);
    expect(disksIn(TARGET_ZONE).map((d) => [d.name, d.labels])).toEqual([
      ['pvc-4f1c2a9e-orders', { team: 'payments', 'dr-role': 'failover', 'dr-policy': 'pol-gke', 'dr-cluster': 'shop' }],
      ['pvc-8b3d7e10-carts', { team: 'payments', 'dr-role': 'failover', 'dr-policy': 'pol-gke', 'dr-cluster': 'shop' }],
    ]);
  });

  it('failover makes again the IAM that was lost (the custom role, the account, its bindings), journaled in order; a second failover job reuses all of it', async () => {
    await loseGkeIam(c);
    const lost = await world.iamCensus();

    const j = journal('failover');
    const mapping = await h.failover(point, j.attempt().ctx);
    // Journaled in this order (a resumed job continues from the first without an outcome).
    expect(j.ops.operations().map((o) => o.opKey)).toEqual([
      `create-role:${GKE_CUSTOM_ROLE}`,
      'create-service-account:gke-nodes',
      `grant-project-roles:${email()}`,
      'failover-cluster',
      'failover-disk:pvc-4f1c2a9e-orders',
      'failover-disk:pvc-8b3d7e10-carts',
    ]);
    expect(mapping.filter((m) => ['IamRole', 'ServiceAccount', 'IamRoleBinding'].includes(m.kind)).every((m) => m.reused === false)).toBe(true);
    const role = await iamCall(peer, 'GET', `${roleName()}`);
    expect(role).toMatchObject({ title: 'GKE volume reader', includedPermissions: ['compute.disks.get', 'compute.snapshots.get'], stage: 'GA' });
    const [after] = await c.projects.getIamPolicy({ resource: `projects/${P}` });
    for (const r of GKE_ROLES(P)) expect(after.bindings?.find((b) => b.role === r)?.members).toContain(`serviceAccount:${email()}`);
    const made = await world.iamCensus();
    expect(made.length).toBe(lost.length + 1 + 1 + GKE_ROLES(P).length);

    // Another job of the same policy (its journal lost): this policy's cluster and disks are adopted,
    // the IAM reused; nothing is made twice.
    const again = await h.failover(point, journal('failover-again').attempt().ctx);
    expect(await world.iamCensus()).toEqual(made);
    expect(clustersIn(GCP_TARGET)).toHaveLength(1);
    expect(disksIn(TARGET_ZONE)).toHaveLength(2);
    expect(again.filter((m) => m.kind !== 'NodePool').every((m) => m.reused === true)).toBe(true);
  });

  it('a failover that makes the IAM again, cut at any of its operations and replayed, leaves exactly what a clean run leaves', { timeout: 240_000 }, async () => {
    // Each run in a world of its own: the point taken, then the node IAM lost.
    const run = async (crash: CrashPoint | null) => {
      const w = await openGcpWorld();
      const sc = seedClients(w.peer);
      try {
        const wh = w.adapter.handler('gcp.gke')!;
        const ref = await w.protect('gcp.gke');
        const ids = (key: string) => new StepJournal({ key, jobId: `job-${key}`, policyId: 'pol-gke', source: w.source, target: w.target, recoveryPointId: 'rp-1' });
        const item = await wh.replicate(ref, ids('replicate').attempt().ctx);
        const pt: RecoveryPointItemRef = { id: 'rpi-1', recoveryPointId: 'rp-1', resource: ref, capturedAt: '2030-01-15T10:00:00.000Z', ...item };
        await loseGkeIam(sc);
        const j = ids('failover');
        if (crash) {
          const first = j.attempt(crash);
          await wh.failover(pt, first.ctx).catch(() => undefined);
          expect(first.cut(), `cut at ${crash.op} (${crash.phase})`).not.toBeNull();
        }
        const mapping = await wh.failover(pt, j.attempt().ctx);
        return { ops: j.ops.operations().length, lines: mapping.map((m) => `${m.kind}|${m.name}|${m.reused ? 'reused' : 'made'}`).sort(), census: await w.census() };
      } finally {
        await sc.close();
        await w.close();
      }
    };
    const clean = await run(null);
    expect(clean.ops).toBe(6);
    for (let op = 1; op <= clean.ops; op++) {
      for (const phase of ['before-call', 'after-call'] as const) {
        const replayed = await run({ op, phase });
        expect(replayed.lines, `cut at ${op} (${phase})`).toEqual(clean.lines);
        expect(replayed.census, `cut at ${op} (${phase})`).toEqual(clean.census);
      }
    }
  });

  it('undeletes a custom role deleted since the point instead of making a second one', async () => {
    await iamCall(peer, 'DELETE', roleName());
    expect(await iamCall(peer, 'GET', roleName())).toMatchObject({ deleted: true });
    const j = journal('failover');
    const mapping = await h.failover(point, j.attempt().ctx);
    expect(j.ops.operations().map((o) => o.opKey)[0]).toBe(`undelete-role:${GKE_CUSTOM_ROLE}`);
    expect(await iamCall(peer, 'GET', roleName())).not.toHaveProperty('deleted');
    expect(peer.exchanges.filter((e) => e.methodId === 'iam.projects.roles.create')).toHaveLength(1); // the seed's
    expect(mapping.find((m) => m.kind === 'IamRole')).toMatchObject({ name: roleName(), reused: true });
  });

  it('a step killed while the cluster create runs polls the journaled operation on resume: one create, one cluster', async () => {
    const j = journal('failover');
    const job = new AbortController();
    const { ctx } = j.attempt(null, job.signal);
    const holding: StepContext = {
      ...ctx,
      mutate: <T>(key: string, spec: MutateSpec<T>) => {
        if (key === 'failover-cluster') peer.hold();
        return ctx.mutate(key, spec);
      },
    };
    const first = h.failover(point, holding);
    first.catch(() => undefined);
    for (let i = 0; !j.ops.rows.some((r) => r.opKey === 'failover-cluster' && r.kind === 'handle'); i++) {
      if (i > 2_000) throw new Error('the cluster create operation was never journaled');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(clustersIn(GCP_TARGET)[0]).toMatchObject({ status: 'PROVISIONING' });
    job.abort(new Error('SIGKILL'));
    await expect(first).rejects.toBeDefined();
    peer.release();

    await h.failover(point, j.attempt().ctx);
    expect(creates()).toHaveLength(1);
    expect(clustersIn(GCP_TARGET)).toHaveLength(1);
    expect(clustersIn(GCP_TARGET)[0]).toMatchObject({ status: 'RUNNING' });
    const op = j.ops.operations().find((o) => o.opKey === 'failover-cluster')!;
    expect(op.handle).toMatchObject({ operation: expect.stringMatching(/^operation-/), location: GCP_TARGET });
  });

  it('a step whose create answered but whose handle was lost adopts this policy\'s cluster on resume instead of making a second', async () => {
    const j = journal('failover');
    const job = new AbortController();
    const { ctx } = j.attempt(null, job.signal);
    const dying: StepContext = {
      ...ctx,
      mutate: <T>(key: string, spec: MutateSpec<T>) =>
        ctx.mutate(key, key !== 'failover-cluster' ? spec : {
          ...spec,
          call: (s) =>
            spec.call(s, {
              handle: async () => {
                job.abort(new Error('power cut'));
                throw new Error('power cut while the handle was being written');
              },
            }),
        }),
    };
    await expect(h.failover(point, dying)).rejects.toThrow();
    expect(clustersIn(GCP_TARGET)).toHaveLength(1);
    const mapping = await h.failover(point, j.attempt().ctx);
    // The repeated create answered 409; the cluster carries this policy's labels, so it is adopted.
    expect(creates().map((e) => e.status)).toEqual([200, 409]);
    expect(clustersIn(GCP_TARGET)).toHaveLength(1);
    expect(clustersIn(GCP_TARGET)[0]).toMatchObject({ status: 'RUNNING' });
    // Made by this step's first attempt: it is mapped as made, not as a same-named cluster reused.
    expect(mapping.find((m) => m.kind === 'KubernetesCluster')).toMatchObject({ name: 'shop' });
    expect(mapping.find((m) => m.kind === 'KubernetesCluster')).not.toHaveProperty('reused');
  });

  it('refuses to take over a same-named cluster another policy (or an operator) made, and changes nothing', async () => {
    await h.failover(point, journal('failover-other', 'pol-other').attempt().ctx);
    const before = JSON.stringify(clustersIn(GCP_TARGET));
    const disks = disksIn(TARGET_ZONE).length;
    const err = await failure(h.failover(point, journal('failover').attempt().ctx));
    expect(err.code).toBe('Conflict');
    expect(err.message).toBe(`A GKE cluster named shop already exists in ${GCP_TARGET} (project ${P}) and was not made by this policy's failover: rename or delete it, then retry.`);
    expect(JSON.stringify(clustersIn(GCP_TARGET))).toBe(before);
    expect(disksIn(TARGET_ZONE)).toHaveLength(disks);
  });

  it('says why when the cluster create operation fails, and leaves no cluster', async () => {
    peer.failNextOperation({ method: 'container.projects.locations.clusters.create', code: 'GCE_STOCKOUT', message: `The zone ${TARGET_ZONE} does not have enough resources available to fulfill the request.` });
    const err = await failure(h.failover(point, journal('failover').attempt().ctx));
    expect(err.message).toMatch(new RegExp(`^GKE cluster shop in ${GCP_TARGET} failed: GCE_STOCKOUT: The zone ${TARGET_ZONE} does not have enough resources`));
    expect(clustersIn(GCP_TARGET)).toEqual([]);
    expect(disksIn(TARGET_ZONE)).toEqual([]);
  });

  it('refuses a point whose snapshots are gone, and a point with no cluster configuration, with sentences and no change', async () => {
    const gone = { ...point, metadata: { ...point.metadata, disks: (point.metadata.disks as Json[]).map((d, i) => (i === 0 ? { ...d, snapshot: 'missing-snap' } : d)) } };
    const err = await failure(h.failover(gone, journal('failover').attempt().ctx));
    expect(err.message).toBe(`Snapshot missing-snap of the recovery point of GKE cluster shop is gone in project ${P}; choose another recovery point.`);
    const empty = await failure(h.testFailover({ ...point, metadata: {} }, journal('test').attempt().ctx));
    expect(empty.message).toBe('The recovery point of GKE cluster shop holds no cluster configuration; choose a point made by a successful replication.');
    const bad = await failure(h.replicate({ ...point.resource, nativeId: 'shop' }, journal('replicate-bad').attempt().ctx));
    expect(bad.code).toBe('ValidationFailed');
    expect(clustersIn(GCP_TARGET)).toEqual([]);
    expect(disksIn(TARGET_ZONE)).toEqual([]);
    expect(disksIn(GCP_SOURCE_ZONE)).toHaveLength(3);
  });
});
