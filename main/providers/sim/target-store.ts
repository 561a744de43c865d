// The sim target store: the failover lease and catalog manifests as rows of the simulated cloud
// (sim_resources), with the same conditional semantics as S3: a create that succeeds only when the
// key was never taken, and a replace only at the revision read. Two consoles that share one sim cloud
// (one sim database) race exactly as two laptops race on S3.

import type { Db } from '../../db/connection';
import type { Clock } from '../../core/clock';
import { ProviderFailure } from '../provider-failure';
import { STORE_KEYS, parseLease, parseManifest, type TaggedResource, type TargetScan, type TargetStore } from '../target-store';
import type { EnvRef } from '../types';
import { simOffline, type SimNetwork } from './sim-cloud';
import { getObject, listObjects, putObject, putObjectIfAbsent, putObjectIfRevision, queryResources, type SimResource } from './sim-store';

export function createSimTargetStore(db: Db, clock: Clock, network: SimNetwork): TargetStore {
  const check = (signal: AbortSignal, what: string) => {
    if (signal.aborted) throw new ProviderFailure('Cancelled', 'The operation was cancelled before it finished; nothing more was changed.');
    if (!network.online) throw simOffline(what);
  };
  const read = (env: EnvRef, policyId: string) => {
    const o = getObject(db, env.account.id, STORE_KEYS.lease(policyId));
    if (!o) return null;
    const lease = parseLease(o.body);
    if (!lease) throw new ProviderFailure('Conflict', `The simulated failover lease ${o.key} is damaged.`);
    return { lease, version: String(o.revision) };
  };

  return {
    async createLease(env, lease, signal) {
      check(signal, `take the failover lease of policy ${lease.policyName}`);
      const o = { accountId: env.account.id, region: env.region, key: STORE_KEYS.lease(lease.policyId), body: JSON.stringify(lease) };
      if (putObjectIfAbsent(db, o, clock.iso())) return { created: true, version: '1' };
      const current = read(env, lease.policyId);
      if (!current) throw new ProviderFailure('Conflict', 'The simulated failover lease exists but cannot be read.');
      return { created: false, current: current.lease, version: current.version };
    },
    async replaceLease(env, lease, version, signal) {
      check(signal, `update the failover lease of policy ${lease.policyName}`);
      const o = { accountId: env.account.id, region: env.region, key: STORE_KEYS.lease(lease.policyId), body: JSON.stringify(lease) };
      return putObjectIfRevision(db, o, Number(version), clock.iso()) ? String(Number(version) + 1) : null;
    },
    async readLease(env, policyId, signal) {
      check(signal, 'read the failover lease');
      return read(env, policyId);
    },
    async putManifest(env, manifest, signal) {
      check(signal, `write the catalog of recovery point ${manifest.recoveryPoint.id}`);
      putObject(db, { accountId: env.account.id, region: env.region, key: STORE_KEYS.manifest(manifest.policy.id, manifest.recoveryPoint.id), body: JSON.stringify(manifest) }, clock.iso());
    },
    async scan(env, signal): Promise<TargetScan> {
      check(signal, `scan ${env.region}`);
      const out: TargetScan = { manifests: [], leases: [], tagged: [], unreadable: [] };
      for (const o of listObjects(db, env.account.id, env.region, 'failover-console/')) {
        if (o.key.startsWith(STORE_KEYS.leasePrefix)) {
          const lease = parseLease(o.body);
          if (lease) out.leases.push(lease);
          else out.unreadable.push(o.key);
        } else if (o.key.startsWith(STORE_KEYS.catalogPrefix)) {
          const m = parseManifest(o.body);
          if (m) out.manifests.push(m);
          else out.unreadable.push(o.key);
        }
      }
      for (const r of queryResources(db, { accountId: env.account.id, region: env.region, origin: ['replication', 'test', 'failover'] })) {
        const policyId = r.tags['dr:policy'];
        if (policyId) out.tagged.push(taggedOf(r, policyId));
      }
      return out;
    },
  };
}
/** What made a tagged sim resource: its dr:role tag; for older rows, its origin or a failover step that applied a point to a replica. */
function taggedOf(r: SimResource, policyId: string): TaggedResource {
  const appliedBy = typeof r.attributes.appliedBy === 'string' ? r.attributes.appliedBy : null;
  const failoverStep = appliedBy !== null && appliedBy.includes('/failover/');
  const declared = r.tags['dr:role'];
  const role: TaggedResource['role'] =
    declared === 'replication' || declared === 'test' || declared === 'failover'
      ? declared
      : r.origin === 'test'
        ? 'test'
        : r.origin === 'failover' || failoverStep
          ? 'failover'
          : 'replication';
  const jobId = r.tags['dr:job'] ?? (failoverStep && appliedBy ? (appliedBy.split('/')[0] ?? null) : r.jobId);
  const rp = r.tags['dr:recovery-point'] ?? (typeof r.attributes.appliedRecoveryPointId === 'string' ? r.attributes.appliedRecoveryPointId : null);
  return { nativeId: r.nativeId, kind: r.kind, name: r.name, region: r.region, policyId, jobId, recoveryPointId: rp, role };
}
