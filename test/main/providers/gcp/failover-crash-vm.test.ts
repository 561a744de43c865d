// Crash proof of the Google Cloud VM failover (issue 9): the failover of a VM instance whose service
// account was lost after its points were taken (so failover makes it again and grants its two project
// roles) is SIGKILLed right after each mutating response (serviceAccounts.create, setIamPolicy, disk and
// instance inserts) and each operation poll that is not DONE yet, then resumed by a second child. The
// peer then holds what the clean run left: one instance in the target zone on one set of disks made
// from the selected (older) point's snapshots, the service account and each role once, mapped as made
// (not reused) by this failover, and one operation per insert (a repeated insert carried the same
// requestId and was answered with the same operation). The harness is failover-crash-harness.ts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GCP_SOURCE_ZONE, seedClients, seedVm } from '../../../conformance/gcp-peer';
import { describeFakeGcs, startFakeGcs } from '../../../peers/fake-gcs';
import { describeGcpPeer } from '../../../peers/gcp/describe-gcp';
import { PEER_TOKEN } from '../../../peers/gcp/sdk';
import { startGcpPeer } from '../../../peers/gcp/server';
import { killAtEveryOperation, type CrashScenario, type CrashWorld } from './failover-crash-harness';

type Json = Record<string, unknown>;
const TARGET_ZONE = 'europe-west1-b';
const ROLES = ['roles/logging.logWriter', 'roles/storage.objectViewer'];
const last = (s: unknown) => String(s ?? '').split('/').at(-1) ?? '';

describeGcpPeer('Google Cloud VM failover killed after every mutating response and mid-poll resumes with exactly one of everything (child processes, GCP peer)', () =>
  describeFakeGcs('with fake-gcs-server for Cloud Storage', () => {
    let w: CrashWorld;
    let root = '';
    beforeAll(async () => {
      // A Compute `wait` answers RUNNING first: a kill there is a kill between an insert and its DONE.
      const peer = await startGcpPeer({ waitReturnsEarly: true });
      w = { peer, gcs: await startFakeGcs(), c: seedClients(peer) };
      root = mkdtempSync(join(tmpdir(), 'fc-gcp-crash-every-'));
    }, 120_000);
    afterAll(async () => {
      await w?.c.close();
      await w?.peer.close();
      await w?.gcs.stop();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    let email = '';
    const vm: CrashScenario<Json> = {
      name: 'Billing VM',
      async seed({ c }) {
        const seeded = await seedVm(c, 'billing-01', 'billing-app');
        email = seeded.serviceAccount;
        return [{ type: 'gcp.vm-instance', nativeId: seeded.nativeId }];
      },
      // The principal is lost after the points were taken: the failover makes it again and grants its roles.
      async beforeFailover({ peer, c }) {
        const P = peer.project;
        const r = await fetch(`${peer.url}/v1/projects/${P}/serviceAccounts/${email}`, { method: 'DELETE', headers: { authorization: `Bearer ${PEER_TOKEN}` } });
        expect(r.ok).toBe(true);
        const [policy] = await c.projects.getIamPolicy({ resource: `projects/${P}` });
        const bindings = (policy.bindings ?? []).map((b) => ({ role: b.role, members: (b.members ?? []).filter((m) => m !== `serviceAccount:${email}`) })).filter((b) => b.members.length > 0);
        await c.projects.setIamPolicy({ resource: `projects/${P}`, policy: { etag: policy.etag ?? null, bindings } });
      },
      async census({ peer, c }, p, o) {
        const P = peer.project;
        const instances = peer.resources(`projects/${P}/zones/${TARGET_ZONE}/instances/`);
        const disks = peer.resources(`projects/${P}/zones/${TARGET_ZONE}/disks/`);
        const [policy] = await c.projects.getIamPolicy({ resource: `projects/${P}` });
        const grants = (policy.bindings ?? []).flatMap((b) => (b.members ?? []).filter((m) => m === `serviceAccount:${email}`).map(() => b.role ?? ''));
        return {
          instances: instances.map((i) => `${String(i.name)} ${String(i.status)} as ${String((i.serviceAccounts as Json[] | undefined)?.[0]?.email)}`),
          disks: disks.map((d) => d.name).sort(),
          disksFromSelectedPoint: disks.length > 0 && disks.every((d) => p.pointRefs.includes(String(d.sourceSnapshot))),
          attached: instances.length === 1 && JSON.stringify(((instances[0]!.disks as Json[]) ?? []).map((d) => d.source).sort()) === JSON.stringify(disks.map((d) => d.selfLink).sort()),
          // Compute operations that inserted something in the target zone: one per resource, never two.
          inserts: peer
            .operations()
            .filter((op) => op.service === 'compute' && op.wire.operationType === 'insert' && String(op.wire.targetLink).includes(`/zones/${TARGET_ZONE}/`))
            .map((op) => last(op.wire.targetLink))
            .sort(),
          serviceAccounts: peer.resources('iam:').filter((a) => a.email === email).length,
          serviceAccountCreates: o.exchanges.filter((e) => e.methodId === 'iam.projects.serviceAccounts.create' && e.status === 200).length,
          grants: grants.sort(),
          mappings: o.mappings.map((m) => `${m.kind} ${m.name}${m.reused ? ' (reused)' : ''}`).sort(),
          source: peer.resources(`projects/${P}/zones/${GCP_SOURCE_ZONE}/instances/`).map((i) => i.name),
        };
      },
    };

    it('kills the failover after each insert, create, setIamPolicy and RUNNING poll, resumes, and ends with one instance, one set of disks, the account and roles once', async () => {
      const { operations, clean, points } = await killAtEveryOperation(w, vm, root);
      expect(clean).toEqual({
        instances: [`billing-01 RUNNING as ${email}`],
        disks: ['billing-01-boot', 'billing-01-data'],
        disksFromSelectedPoint: true,
        attached: true,
        inserts: ['billing-01', 'billing-01-boot', 'billing-01-data'],
        serviceAccounts: 1,
        serviceAccountCreates: 1,
        grants: ROLES,
        mappings: [
          `Disk billing-01-boot`,
          `Disk billing-01-data`,
          ...ROLES.map((r) => `IamRoleBinding ${r} → ${email}`),
          `NetworkInterface billing-01:nic0`,
          `ServiceAccount ${email}`,
          `VirtualMachine billing-01`,
        ].sort(),
        source: ['billing-01'],
      });
      // The kill points: the account, the grant, then each insert answered PENDING and its wait answered RUNNING.
      const P = w.peer.project;
      const zone = `/compute/v1/projects/${P}/zones/${TARGET_ZONE}`;
      expect(operations).toEqual([
        `POST /v1/projects/${P}/serviceAccounts billing-app 200`,
        `POST /v3/projects/${P}:setIamPolicy - 200`,
        `POST ${zone}/disks billing-01-boot PENDING`,
        `POST ${zone}/operations/<op>/wait - RUNNING`,
        `POST ${zone}/disks billing-01-data PENDING`,
        `POST ${zone}/operations/<op>/wait - RUNNING`,
        `POST ${zone}/instances billing-01 PENDING`,
        `POST ${zone}/operations/<op>/wait - RUNNING`,
      ]);
      // A kill right after an insert answered: the resumed failover sent it again with the same
      // requestId and the peer answered the same operation (the harness checked one operation per requestId).
      for (const k of points) {
        const insert = /^POST \S+\/(disks|instances) \S+ PENDING$/.exec(k.operation);
        if (insert) expect(k.resent, `kill ${k.at}`).toEqual([`compute.${insert[1]}.insert`]);
        else expect(k.resent, `kill ${k.at}`).toEqual([]);
      }
      console.log(`Google Cloud VM failover, clean run: ${operations.length} kill points`);
    }, 3_600_000);
  }),
);
