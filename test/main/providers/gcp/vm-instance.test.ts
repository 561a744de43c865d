// The VM handler's journal of operations against the GCP peer: a resumed step's Compute insert is
// deduplicated by its requestId (a replayed insert creates nothing twice), a step killed while its
// operation is still running polls the journaled operation instead of inserting again, a throttled
// insert is retried by the adapter with the same requestId, and a failed operation is a sentence.

import { afterEach, beforeEach, expect, it } from 'vitest';
import { requestIdFor } from '../../../../main/providers/gcp/compute-ops';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import type { MutateSpec, RecoveryPointItemRef, ResourceHandler, StepContext } from '../../../../main/providers/types';
import { PowerCut, StepJournal } from '../../../conformance/crash-context';
import { openGcpWorld, type GcpWorld } from '../../../conformance/gcp-peer';
import { describeGcpPeer } from '../../../peers/gcp/describe-gcp';
import { PEER_TOKEN } from '../../../peers/gcp/sdk';
import type { GcpPeer } from '../../../peers/gcp/server';

const TARGET_ZONE = 'europe-west1-b';

describeGcpPeer('gcp.vm-instance: requestIds and journaled operations against the GCP peer', () => {
  let world: GcpWorld;
  let peer: GcpPeer;
  let h: ResourceHandler;
  let point: RecoveryPointItemRef;

  beforeEach(async () => {
    world = await openGcpWorld();
    peer = world.peer;
    h = world.adapter.handler('gcp.vm-instance')!;
    const ref = await world.protect('gcp.vm-instance');
    const j = journal('replicate');
    const item = await h.replicate(ref, j.attempt().ctx);
    point = { id: 'rpi-1', recoveryPointId: 'rp-1', resource: ref, capturedAt: '2030-01-15T10:00:00.000Z', ...item };
  }, 60_000);
  afterEach(async () => {
    await world?.close();
  });

  const journal = (key: string) => new StepJournal({ key, jobId: `job-${key}`, policyId: 'pol-vm', source: world.source, target: world.target, recoveryPointId: 'rp-1' });
  const inserts = () => peer.exchanges.filter((e) => e.methodId === 'compute.instances.insert' && e.path.includes(`/zones/${TARGET_ZONE}/`));
  const instances = () => peer.resources(`projects/${peer.project}/zones/${TARGET_ZONE}/instances/`);
  const requestIdOf = (e: { query: string }) => new URLSearchParams(e.query).get('requestId');

  /** An attempt whose op `opKey` dies right after Compute answered, before its handle is journaled. */
  function dyingAt(j: StepJournal, opKey: string): StepContext {
    const job = new AbortController();
    const { ctx } = j.attempt(null, job.signal);
    return {
      ...ctx,
      mutate: <T>(key: string, spec: MutateSpec<T>) =>
        ctx.mutate(key, key !== opKey ? spec : {
          ...spec,
          call: (s) =>
            spec.call(s, {
              handle: async () => {
                job.abort(new Error('power cut'));
                throw new Error('power cut while the handle was being written');
              },
            }).then(() => {
              throw new Error('unreachable');
            }) as Promise<T>,
        }),
    };
  }

  it('a replayed instance insert (its handle lost) carries the same requestId and creates nothing twice', async () => {
    const j = journal('failover');
    await expect(h.failover(point, dyingAt(j, 'failover-instance'))).rejects.toThrow();
    expect(inserts()).toHaveLength(1);
    // The instance exists already (Compute took the insert); the journal has the intent and no handle.
    expect(instances()).toHaveLength(1);
    const op = j.ops.operations().find((o) => o.opKey === 'failover-instance')!;
    expect(op.handle).toBeNull();
    expect(op.intent?.requestId).toBe(requestIdFor('failover', 'failover-instance'));

    const mapping = await h.failover(point, j.attempt().ctx);
    expect(inserts()).toHaveLength(2);
    const [first, second] = inserts();
    expect(requestIdOf(second!)).toBe(requestIdOf(first!));
    expect((second!.responseBody as { name: string }).name).toBe((first!.responseBody as { name: string }).name);
    expect(instances()).toHaveLength(1);
    expect(peer.operations().filter((o) => o.wire.operationType === 'insert' && String(o.wire.targetLink).includes(`/zones/${TARGET_ZONE}/instances/`))).toHaveLength(1);
    expect(mapping.find((m) => m.kind === 'VirtualMachine')).toMatchObject({ name: 'web-01', targetId: instances()[0]!.selfLink });
  });

  const diskInserts = () => peer.exchanges.filter((e) => e.methodId === 'compute.disks.insert' && e.path.includes(`/zones/${TARGET_ZONE}/`));
  const disks = () => peer.resources(`projects/${peer.project}/zones/${TARGET_ZONE}/disks/`);

  it.each(['failover-disk:boot', 'failover-disk:data', 'failover-instance'])(
    'a step killed between %s and its operation DONE polls the journaled operation on resume: one insert each, one instance',
    async (opKey) => {
      const j = journal('failover');
      const job = new AbortController();
      const { ctx } = j.attempt(null, job.signal);
      // This op's operation stays PENDING (those before it went through): the peer holds from its call on.
      const holding: StepContext = {
        ...ctx,
        mutate: <T>(key: string, spec: MutateSpec<T>) => {
          if (key === opKey) peer.hold();
          return ctx.mutate(key, spec);
        },
      };
      const first = h.failover(point, holding);
      first.catch(() => undefined);
      // Wait for the state, not the time: the insert went out and its operation name is journaled.
      for (let i = 0; !j.ops.rows.some((r) => r.opKey === opKey && r.kind === 'handle'); i++) {
        if (i > 2_000) throw new Error(`the operation of ${opKey} was never journaled`);
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(String(peer.operations().at(-1)!.wire.status)).not.toBe('DONE');
      job.abort(new Error('SIGKILL'));
      await expect(first).rejects.toBeDefined();
      peer.release();

      await h.failover(point, j.attempt().ctx);
      expect(inserts()).toHaveLength(1);
      expect(diskInserts()).toHaveLength(2);
      expect(instances()).toHaveLength(1);
      expect(disks()).toHaveLength(2);
      expect(instances()[0]).toMatchObject({ status: 'RUNNING' });
    },
  );

  /** The point's principal is lost in the target project (deleted, its grants removed): failover makes it and grants its roles again. */
  async function loseServiceAccount(email: string): Promise<void> {
    const P = peer.project;
    const google = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${peer.url}/${path}`, { method, headers: { authorization: `Bearer ${PEER_TOKEN}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      expect(r.status, path).toBe(200);
      return (await r.json()) as { etag?: string; bindings?: { role: string; members: string[] }[] };
    };
    await google('DELETE', `v1/projects/${P}/serviceAccounts/${email}`);
    const policy = await google('POST', `v3/projects/${P}:getIamPolicy`, {});
    const bindings = (policy.bindings ?? []).map((b) => ({ role: b.role, members: b.members.filter((m) => m !== `serviceAccount:${email}`) })).filter((b) => b.members.length > 0);
    await google('POST', `v3/projects/${P}:setIamPolicy`, { policy: { etag: policy.etag, bindings } });
  }

  it.each([
    [1, 'iam.projects.serviceAccounts.create'],
    [2, 'cloudresourcemanager.projects.setIamPolicy'],
  ])('an attempt cut right after Google answered mutation %i (%s) resumes with the account and its roles mapped as made by this failover, not reused', async (op) => {
    const email = (point.metadata.serviceAccount as { email: string }).email;
    await loseServiceAccount(email);
    const from = peer.exchanges.length;
    const j = journal('failover');
    await expect(h.failover(point, j.attempt({ op, phase: 'after-call' }).ctx)).rejects.toBeInstanceOf(PowerCut);
    const mapping = await h.failover(point, j.attempt().ctx);
    expect(mapping.filter((m) => m.kind === 'ServiceAccount' || m.kind === 'IamRoleBinding').map((m) => [m.kind, m.name, m.reused])).toEqual([
      ['ServiceAccount', email, false],
      ['IamRoleBinding', `roles/logging.logWriter → ${email}`, false],
      ['IamRoleBinding', `roles/storage.objectViewer → ${email}`, false],
    ]);
    // Made once: the resumed attempt adopted what the cut one made.
    expect(peer.exchanges.slice(from).filter((e) => e.methodId === 'iam.projects.serviceAccounts.create' && e.status === 200)).toHaveLength(1);
    expect(peer.resources('iam:').filter((a) => a.email === email)).toHaveLength(1);
  });

  it('says what it did not carry: a custom role of another project is foreseen, warned and not granted', async () => {
    const other = { ...point, metadata: { ...point.metadata, roles: [...(point.metadata.roles as string[]), 'projects/other-project-1/roles/webReader'] } };
    expect(h.foresee!(other)).toEqual([expect.stringContaining('projects/other-project-1/roles/webReader')]);
    const warnings: string[] = [];
    const mapping = await h.failover(other, { ...journal('failover').attempt().ctx, warn: (m) => void warnings.push(m) });
    expect(warnings).toEqual([expect.stringContaining(`custom role projects/other-project-1/roles/webReader of project other-project-1 was not granted in project ${peer.project}`)]);
    expect(mapping.filter((m) => m.kind === 'IamRoleBinding').map((m) => [m.name.split(' ')[0], m.reused])).toEqual([
      ['roles/logging.logWriter', true],
      ['roles/storage.objectViewer', true],
    ]);
  });

  it('retries a rate-limited insert itself, with the same requestId', async () => {
    // Compute's legacy 403 rateLimitExceeded, then the 429 form.
    peer.inject({ method: 'compute.instances.insert', kind: 'rateLimitExceeded' });
    peer.inject({ method: 'compute.instances.insert', kind: 'rateLimitExceeded429' });
    await h.failover(point, journal('failover').attempt().ctx);
    expect(inserts()).toHaveLength(3);
    expect(new Set(inserts().map(requestIdOf)).size).toBe(1);
    expect(inserts().map((e) => e.status)).toEqual([403, 429, 200]);
    expect(instances()).toHaveLength(1);
  });

  it('says why when the insert operation ends in an error, and leaves no instance', async () => {
    peer.failNextOperation({ method: 'compute.instances.insert', code: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: `The zone 'projects/${peer.project}/zones/${TARGET_ZONE}' does not have enough resources available to fulfill the request.` });
    const err = await h.failover(point, journal('failover').attempt().ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderFailure);
    expect((err as ProviderFailure).code).toBe('ProviderQuotaExceeded');
    expect((err as ProviderFailure).message).toContain('ZONE_RESOURCE_POOL_EXHAUSTED');
    expect(instances()).toHaveLength(0);
  });
});
