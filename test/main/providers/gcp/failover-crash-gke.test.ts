// Crash proof of the Google Kubernetes Engine failover (issue 9): the failover of a regional GKE
// cluster whose node IAM was lost after its points were taken (so failover makes again the custom
// role, the node service account and its three project bindings) is SIGKILLed right after each
// mutating response (roles.create, serviceAccounts.create, setIamPolicy, clusters.create, the disk
// inserts) and each operation poll that is not DONE yet (the cluster's create operation, the disks'
// waits), then resumed by a second child. The peer then holds what the clean run left: one cluster in
// the target region with both node pools running as the node account, one set of disks made from the
// selected (older) point's snapshots, the role, the account and each binding once, the cluster and
// each disk made by one executed create, and the same journal of operations, in the same order.
// The harness is failover-crash-harness.ts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DATA_FILE_NAME } from '../../../../main/compose';
import { openDatabase } from '../../../../main/db/connection';
import { GCP_SOURCE, GCP_TARGET, GKE_CUSTOM_ROLE, GKE_ROLES, iamCall, loseGkeIam, seedClients, seedGke } from '../../../conformance/gcp-peer';
import { describeFakeGcs, startFakeGcs } from '../../../peers/fake-gcs';
import { describeGcpPeer } from '../../../peers/gcp/describe-gcp';
import { startGcpPeer } from '../../../peers/gcp/server';
import { killAtEveryOperation, type CrashScenario, type CrashWorld } from './failover-crash-harness';

type Json = Record<string, unknown>;
const TARGET_ZONE = 'europe-west1-b';
const last = (s: unknown) => String(s ?? '').split('/').at(-1) ?? '';

/** The failover job's journal of operations: each op key once, in the order it was first written. */
function journalOf(dir: string, jobId: string): { keys: string[]; clusterHandles: Json[] } {
  const db = openDatabase(join(dir, DATA_FILE_NAME));
  try {
    const rows = db
      .prepare('SELECT o.op_key AS opKey, o.kind AS kind, o.material AS material FROM job_operations o JOIN job_steps s ON s.id = o.step_id WHERE s.job_id = ? ORDER BY s.seq, o.seq')
      .all(jobId) as { opKey: string; kind: string; material: string }[];
    return {
      keys: [...new Set(rows.map((r) => r.opKey))],
      clusterHandles: rows.filter((r) => r.opKey === 'failover-cluster' && r.kind === 'handle').map((r) => JSON.parse(r.material) as Json),
    };
  } finally {
    db.close();
  }
}

describeGcpPeer('Google Kubernetes Engine failover killed after every mutating response and mid-poll resumes with exactly one cluster (child processes, GCP peer)', () =>
  describeFakeGcs('with fake-gcs-server for Cloud Storage', () => {
    let w: CrashWorld;
    let root = '';
    beforeAll(async () => {
      // A Compute `wait` answers RUNNING first: a kill there is a kill between an insert and its DONE.
      const peer = await startGcpPeer({ waitReturnsEarly: true });
      w = { peer, gcs: await startFakeGcs(), c: seedClients(peer) };
      root = mkdtempSync(join(tmpdir(), 'fc-gke-crash-every-'));
    }, 120_000);
    afterAll(async () => {
      await w?.c.close();
      await w?.peer.close();
      await w?.gcs.stop();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    let email = '';
    /** Handles journaled for failover-cluster, by world (the clean run's and each kill point's). */
    const handles = new Map<string, Json[]>();
    const gke: CrashScenario<Json> = {
      name: 'Orders GKE',
      async seed({ c }) {
        const seeded = await seedGke(c, 'orders', 'orders-nodes');
        email = seeded.serviceAccount;
        return [{ type: 'gcp.gke', nativeId: seeded.nativeId }];
      },
      // The node IAM is lost after the points were taken: the failover makes it all again.
      async beforeFailover({ c }) {
        await loseGkeIam(c, 'orders-nodes');
      },
      async census({ peer, c }, p, o) {
        const P = peer.project;
        const clusters = peer.resources(`container:projects/${P}/locations/${GCP_TARGET}/clusters/`);
        const disks = peer.resources(`projects/${P}/zones/${TARGET_ZONE}/disks/`);
        const [policy] = await c.projects.getIamPolicy({ resource: `projects/${P}` });
        const roles = ((await iamCall(peer, 'GET', `projects/${P}/roles?showDeleted=true&view=FULL`)).roles as Json[] | undefined) ?? [];
        const accounts = ((await iamCall(peer, 'GET', `projects/${P}/serviceAccounts`)).accounts as Json[] | undefined) ?? [];
        const executed = (methodId: string) => o.exchanges.filter((e) => e.methodId === methodId && e.status === 200).length;
        const journal = journalOf(p.dir, o.jobId);
        handles.set(p.dir, journal.clusterHandles);
        return {
          clusters: clusters.map((k) => {
            const labels = (k.resourceLabels ?? {}) as Record<string, string>;
            const pools = ((k.nodePools as Json[] | undefined) ?? []).map((n) => `${String(n.name)}:${String((n.config as Json).machineType)}:${String((n.config as Json).serviceAccount)}`);
            return `${String(k.name)} ${String(k.status)} ${labels['dr-role']} [${pools.join(', ')}]`;
          }),
          disks: disks.map((d) => d.name).sort(),
          disksFromSelectedPoint: disks.length > 0 && disks.every((d) => p.pointRefs.includes(String(d.sourceSnapshot))),
          // Compute operations that inserted something in the target zone: one per disk, never two.
          inserts: peer
            .operations()
            .filter((op) => op.service === 'compute' && op.wire.operationType === 'insert' && String(op.wire.targetLink).includes(`/zones/${TARGET_ZONE}/`))
            .map((op) => last(op.wire.targetLink))
            .sort(),
          customRoles: roles.filter((r) => last(r.name) === GKE_CUSTOM_ROLE).map((r) => `${String(r.name)} ${r.deleted ? 'deleted' : 'live'}`),
          serviceAccounts: accounts.filter((a) => a.email === email).length,
          grants: (policy.bindings ?? []).flatMap((b) => (b.members ?? []).filter((m) => m === `serviceAccount:${email}`).map(() => b.role ?? '')).sort(),
          // Creates the peer executed (answered 200) during the failover: each once, whatever the kill.
          executed: {
            roles: executed('iam.projects.roles.create'),
            serviceAccounts: executed('iam.projects.serviceAccounts.create'),
            clusters: executed('container.projects.locations.clusters.create'),
            nodePools: executed('container.projects.locations.clusters.nodePools.create'),
          },
          journal: journal.keys,
          mappings: o.mappings.map((m) => `${m.kind} ${m.name}${m.reused ? ' (reused)' : ''}`).sort(),
          source: peer.resources(`container:projects/${P}/locations/${GCP_SOURCE}/clusters/`).map((k) => `${String(k.name)} ${String(k.status)}`),
        };
      },
    };

    it('kills the failover after each role, account and cluster create, setIamPolicy, disk insert and unfinished poll, resumes, and ends with one cluster, one set of disks and the IAM once', async () => {
      const { operations, clean, points } = await killAtEveryOperation(w, gke, root);
      const P = w.peer.project;
      const roles = [...GKE_ROLES(P)].sort();
      const disks = ['pvc-4f1c2a9e-orders', 'pvc-8b3d7e10-carts'];
      expect(clean).toEqual({
        clusters: [`orders RUNNING failover [default-pool:e2-standard-4:${email}, batch:e2-highmem-2:${email}]`],
        disks: [...disks].sort(),
        disksFromSelectedPoint: true,
        inserts: [...disks].sort(),
        customRoles: [`projects/${P}/roles/${GKE_CUSTOM_ROLE} live`],
        serviceAccounts: 1,
        grants: roles,
        executed: { roles: 1, serviceAccounts: 1, clusters: 1, nodePools: 0 },
        // Journaled in this order; no node pool was added (the create carried both pools).
        journal: [`create-role:${GKE_CUSTOM_ROLE}`, 'create-service-account:orders-nodes', `grant-project-roles:${email}`, 'failover-cluster', ...disks.map((d) => `failover-disk:${d}`)],
        mappings: expect.any(Array) as unknown,
        source: ['orders RUNNING'],
      });
      expect(clean.mappings).toEqual(
        expect.arrayContaining([
          'KubernetesCluster orders',
          ...disks.map((d) => `Disk ${d}`),
          `IamRole projects/${P}/roles/${GKE_CUSTOM_ROLE}`,
          `ServiceAccount ${email}`,
          ...roles.map((r) => `IamRoleBinding ${r} → ${email}`),
        ]),
      );
      expect((clean.mappings as string[]).filter((m) => m.endsWith('(reused)'))).toEqual([]);

      // The kill points: the role, the account, the grant, the cluster create and its unfinished
      // polls, then each disk insert answered PENDING and its wait answered RUNNING.
      const loc = `/v1/projects/${P}/locations/${GCP_TARGET}`;
      const zone = `/compute/v1/projects/${P}/zones/${TARGET_ZONE}`;
      expect(operations.slice(0, 4)).toEqual([
        `POST /v1/projects/${P}/roles ${GKE_CUSTOM_ROLE} 200`,
        `POST /v1/projects/${P}/serviceAccounts orders-nodes 200`,
        `POST /v3/projects/${P}:setIamPolicy - 200`,
        expect.stringMatching(new RegExp(`^POST ${loc}/clusters orders \\S+$`)),
      ]);
      const polls = operations.slice(4, -4);
      expect(polls.length, 'the cluster create operation was polled before DONE').toBeGreaterThan(0);
      for (const poll of polls) expect(poll).toMatch(new RegExp(`^GET ${loc}/operations/\\S+ - \\S+$`));
      expect(operations.slice(-4)).toEqual([
        `POST ${zone}/disks ${disks[0]} PENDING`,
        `POST ${zone}/operations/<op>/wait - RUNNING`,
        `POST ${zone}/disks ${disks[1]} PENDING`,
        `POST ${zone}/operations/<op>/wait - RUNNING`,
      ]);

      // The clean run journaled the cluster's create operation as {operation, location}; so did every
      // resumed run whose create had been journaled before the kill (a kill right after the create
      // answered loses the handle: the resumed step finds its own cluster and adopts it).
      const handleOk = (list: Json[] | undefined) => (list ?? []).length > 0 && (list ?? []).every((h) => typeof h.operation === 'string' && h.location === GCP_TARGET);
      const cleanDir = [...handles.keys()][0]!;
      expect(handleOk(handles.get(cleanDir)), JSON.stringify(handles.get(cleanDir))).toBe(true);
      const kills = [...handles.entries()].slice(1);
      expect(kills).toHaveLength(operations.length);
      kills.forEach(([, list], i) => {
        if (i + 1 !== 4) expect(handleOk(list), `kill ${i + 1}: ${JSON.stringify(list)}`).toBe(true);
      });
      // A kill right after a disk insert answered: the resumed failover sent it again with the same
      // requestId and the peer answered the same operation (the harness checked one operation per requestId).
      for (const k of points) {
        if (/^POST \S+\/disks \S+ PENDING$/.test(k.operation)) expect(k.resent, `kill ${k.at}`).toEqual(['compute.disks.insert']);
        else expect(k.resent, `kill ${k.at}`).toEqual([]);
      }
      console.log(`Google Kubernetes Engine failover, clean run: ${operations.length} kill points`);
    }, 3_600_000);
  }),
);
