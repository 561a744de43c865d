// The Google Cloud target store: the failover lease and the recovery-point catalog as Cloud Storage
// objects in one console bucket per target project and region (deterministic name, so a rebuilt
// laptop finds it; created on first use with uniform bucket-level access, public access prevention
// enforced and object versioning on; one found already there is given what of these it lacks). The lease document is created with `ifGenerationMatch=0` and
// changed only with `ifGenerationMatch=<generation>`, so Cloud Storage itself decides which console
// wins. It is never deleted: release is a conditional overwrite to the "completed" tombstone (or
// "abandoned"), which also keeps the protocol independent of preconditions on delete (which
// fake-gcs-server ignores). The object's custom metadata names the holder, job and state, so the
// Cloud console shows who holds it; with versioning on, a lease deleted by hand stays readable as a
// noncurrent generation. A rebuild lists the bucket and reads the `dr-*` labels the handlers put on
// what they create in the target (VM instances, disks, snapshots, buckets, Cloud SQL instances, GKE
// clusters). Google label values are lower case, so a label's policy, job and recovery-point ids are
// matched back to the ids the manifests and leases carry; an id known only from a label stays as the
// label says it.

import type { Bucket, BucketMetadata, CreateBucketRequest, File } from '@google-cloud/storage';
import { ProviderFailure } from '../provider-failure';
import { STORE_KEYS, parseLease, parseManifest, type CatalogManifest, type FailoverLease, type LeaseCreateResult, type TaggedResource, type TargetScan, type TargetStore } from '../target-store';
import type { EnvRef } from '../types';
import type { GcpAccountClients, GcpContext } from './clients';
import { DR_LABEL, hashHex, labelValue, projectOf, withSignal } from './step-calls';

/** The label that marks the console's own bucket (discovery and the scan leave it out). */
export const CONSOLE_STORE_LABEL = 'dr-console-store';
const PREFIX = 'dr-console-';

/**
 * The console's bucket in a target project and region: `dr-console-<project>-<region>` (project ids
 * are globally unique, so the name is too). Longer than a bucket name may be (63), its end is a digest.
 */
export function consoleBucketName(project: string, region: string): string {
  const full = `${PREFIX}${project}-${region}`.toLowerCase();
  if (full.length <= 63) return full;
  return `${full.slice(0, 52).replace(/[-.]+$/, '')}-${hashHex('console-store', project.toLowerCase(), region.toLowerCase()).slice(0, 10)}`;
}

/** Whether a bucket name is of the console's own store (told by name where labels are not kept). */
export const isConsoleStoreBucket = (name: string, labels?: Record<string, string> | null): boolean => Boolean(labels?.[CONSOLE_STORE_LABEL]) || name.startsWith(PREFIX);


const HARDENING = {
  iamConfiguration: { uniformBucketLevelAccess: { enabled: true }, publicAccessPrevention: 'enforced' },
  versioning: { enabled: true },
};

/** What the console's bucket is created with: no public access of any kind, IAM only, versions kept. */
export function consoleBucketSettings(region: string): CreateBucketRequest {
  return { location: region.toUpperCase(), ...HARDENING, labels: { [CONSOLE_STORE_LABEL]: 'true', [DR_LABEL.role]: 'console' } };
}

const secure = (md: BucketMetadata) =>
  md.iamConfiguration?.uniformBucketLevelAccess?.enabled === true && md.iamConfiguration.publicAccessPrevention === 'enforced' && md.versioning?.enabled === true;

/** 412 conditionNotMet, from an ApiError or the resumable path's plain `{ code }` object. */
function lostCondition(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 412;
}

const LOST = Symbol('condition-lost');

/** Custom metadata of the lease object: who holds it, as the Cloud console shows it. */
function leaseMetadata(lease: FailoverLease): Record<string, string> {
  return {
    holder: `${lease.holder.host}${lease.holder.user ? ` (${lease.holder.user})` : ''}`,
    consoleId: lease.holder.consoleId,
    since: lease.acquiredAt,
    job: lease.jobId,
    state: lease.state,
  };
}

export function createGcpTargetStore(gcp: GcpContext): TargetStore {
  const ready = new Map<string, Promise<Bucket>>();

  /** One Cloud Storage (or other Google) call: errors mapped with the method named, the signal honoured. */
  async function call<T>(env: EnvRef, action: string, signal: AbortSignal, run: (c: GcpAccountClients, project: string) => Promise<T>): Promise<T> {
    const c = await withSignal(gcp.clients(env.account), signal, action);
    const project = projectOf(env, c);
    return gcp.call(env.account, action, project, () => withSignal(run(c, project), signal, action));
  }

  async function found<T>(p: Promise<T>): Promise<T | undefined> {
    try {
      return await p;
    } catch (err) {
      if (err instanceof ProviderFailure && err.code === 'NotFound') return undefined;
      throw err;
    }
  }

  const bucketOf = async (env: EnvRef, signal: AbortSignal): Promise<{ bucket: Bucket; name: string }> => {
    const c = await withSignal(gcp.clients(env.account), signal, 'storage.buckets.get');
    const project = projectOf(env, c);
    const name = consoleBucketName(project, env.region);
    return { bucket: c.storageIn(project).bucket(name), name };
  };

  /** The console's bucket, created on first use in the environment's region (one found there is hardened, see HARDENING). */
  function bucket(env: EnvRef, signal: AbortSignal): Promise<Bucket> {
    const key = `${env.account.id}|${env.region}|${JSON.stringify(env.scope)}`;
    let p = ready.get(key);
    if (!p) {
      p = (async () => {
        const { bucket: b, name } = await bucketOf(env, signal);
        const exists = await found(call(env, 'storage.buckets.get', signal, async () => (await b.getMetadata())[0]));
        if (exists) {
          // Made by hand or by an older console: given what it lacks (versioning is sent with it, as a
          // patch that leaves it out may turn it off).
          if (!secure(exists)) await call(env, 'storage.buckets.patch', signal, () => b.setMetadata(HARDENING));
          return b;
        }
        try {
          await call(env, 'storage.buckets.insert', signal, (c, project) =>
            c.storageIn(project).createBucket(name, consoleBucketSettings(env.region)),
          );
        } catch (err) {
          // 409: made meanwhile (another console, or ours before a crash) when it is there now; else the name is another's.
          if (!(err instanceof ProviderFailure) || err.code !== 'Conflict') throw err;
          if (!(await found(call(env, 'storage.buckets.get', signal, async () => (await b.getMetadata())[0])))) {
            throw new ProviderFailure('Conflict', `The bucket name ${name} is taken by another Google Cloud project (bucket names are global), so the console cannot keep its failover lease and catalog there; have that bucket deleted, or use another target project.`, { cause: err });
          }
        }
        return b;
      })();
      p.catch(() => ready.delete(key));
      ready.set(key, p);
    }
    return p;
  }

  /** A document's body and generation; `known`: the generation a listing gave (saves reading its metadata). */
  async function getText(env: EnvRef, file: File, signal: AbortSignal, known?: string): Promise<{ text: string; generation: string } | undefined> {
    return found(
      call(env, 'storage.objects.get', signal, async () => {
        const generation = known ?? String((await file.getMetadata())[0].generation ?? '');
        // The body of that very generation: a rewrite between the two calls cannot pair a new body with an old version.
        const [body] = await file.bucket.file(file.name, { generation }).download();
        return { text: body.toString('utf8'), generation };
      }),
    );
  }

  /** Uploads under `ifGenerationMatch` (0: create only): the new generation, or LOST when the condition failed. */
  async function conditionalSave(env: EnvRef, file: File, body: string, ifGenerationMatch: number, metadata: Record<string, string>, signal: AbortSignal): Promise<string | typeof LOST> {
    return call(env, 'storage.objects.insert', signal, async () => {
      try {
        await file.save(body, { resumable: false, contentType: 'application/json', metadata: { metadata }, preconditionOpts: { ifGenerationMatch } });
        return String(file.metadata.generation ?? '');
      } catch (err) {
        if (lostCondition(err)) return LOST;
        throw err;
      }
    });
  }

  const gsUrl = (b: Bucket, key: string) => `gs://${b.name}/${key}`;

  async function readLease(env: EnvRef, policyId: string, signal: AbortSignal) {
    const b = await bucket(env, signal);
    const got = await getText(env, b.file(STORE_KEYS.lease(policyId)), signal);
    if (!got) return null;
    const lease = parseLease(got.text);
    if (!lease) {
      throw new ProviderFailure('Conflict', `The failover lease object for this policy (${gsUrl(b, STORE_KEYS.lease(policyId))}) is damaged or not the console's; fix or remove it by hand.`);
    }
    return { lease, version: got.generation };
  }

  return {
    async createLease(env, lease, signal): Promise<LeaseCreateResult> {
      const b = await bucket(env, signal);
      const file = () => b.file(STORE_KEYS.lease(lease.policyId));
      for (let i = 0; i < 3; i++) {
        const put = await conditionalSave(env, file(), JSON.stringify(lease), 0, leaseMetadata(lease), signal);
        if (put !== LOST) return { created: true, version: put };
        const current = await readLease(env, lease.policyId, signal);
        // Deleted between the two calls (by hand): try the create again.
        if (current) return { created: false, current: current.lease, version: current.version };
      }
      throw new ProviderFailure('Conflict', 'The failover lease object kept changing while the console read it; try again.');
    },
    async replaceLease(env, lease: FailoverLease, version, signal) {
      const generation = Number(version);
      // Generation 0 would be a create, not a replace: a version that is not a generation changes nothing.
      if (!Number.isSafeInteger(generation) || generation <= 0) return null;
      const b = await bucket(env, signal);
      const put = await conditionalSave(env, b.file(STORE_KEYS.lease(lease.policyId)), JSON.stringify(lease), generation, leaseMetadata(lease), signal);
      return put === LOST ? null : put;
    },
    readLease,
    async putManifest(env, manifest: CatalogManifest, signal) {
      const b = await bucket(env, signal);
      // A recovery point's manifest is rewritten whole (the port's "writes or rewrites"): no condition.
      await call(env, 'storage.objects.insert', signal, () =>
        b.file(STORE_KEYS.manifest(manifest.policy.id, manifest.recoveryPoint.id)).save(JSON.stringify(manifest), { resumable: false, contentType: 'application/json' }),
      );
    },
    async scan(env, signal): Promise<TargetScan> {
      const out: TargetScan = { manifests: [], leases: [], tagged: [], unreadable: [] };
      const { bucket: b } = await bucketOf(env, signal);
      // No bucket yet (nothing was ever written there): nothing to read, and nothing is created.
      const exists = await found(call(env, 'storage.buckets.get', signal, async () => (await b.getMetadata())[0]));
      if (exists) {
        const files = await call(env, 'storage.objects.list', signal, async () => (await b.getFiles({ prefix: 'failover-console/', autoPaginate: true }))[0]);
        for (const f of files) {
          const got = await getText(env, b.file(f.name), signal, f.metadata.generation !== undefined ? String(f.metadata.generation) : undefined);
          if (!got) continue;
          if (f.name.startsWith(STORE_KEYS.leasePrefix)) {
            const lease = parseLease(got.text);
            if (lease) out.leases.push(lease);
            else out.unreadable.push(gsUrl(b, f.name));
          } else if (f.name.startsWith(STORE_KEYS.catalogPrefix)) {
            const manifest = parseManifest(got.text);
            if (manifest) out.manifests.push(manifest);
            else out.unreadable.push(gsUrl(b, f.name));
          }
        }
      }
      const ids = knownIds(out);
      out.tagged.push(...(await taggedInTarget(call, env, signal, out.unreadable)).map((t) => ({ ...t, policyId: ids(t.policyId)!, jobId: ids(t.jobId), recoveryPointId: ids(t.recoveryPointId) })));
      return out;
    },
  };
}

/** Label values (lower case) matched back to the ids the manifests and leases carry. */
function knownIds(scan: Pick<TargetScan, 'manifests' | 'leases'>): (label: string | null) => string | null {
  const byLabel = new Map<string, string>();
  const add = (id: string | null | undefined) => {
    if (id) byLabel.set(labelValue(id), id);
  };
  for (const m of scan.manifests) {
    add(m.policy.id);
    add(m.recoveryPoint.id);
    add(m.recoveryPoint.jobId);
  }
  for (const l of scan.leases) {
    add(l.policyId);
    add(l.jobId);
  }
  return (label) => (label === null ? null : (byLabel.get(label) ?? label));
}

type Call = <T>(env: EnvRef, action: string, signal: AbortSignal, run: (c: GcpAccountClients, project: string) => Promise<T>) => Promise<T>;
type Labels = Record<string, string> | null | undefined;

/** One labelled resource read back: its role from dr-role (dr-test=true: a test copy), else `fallback`. */
function taggedOf(env: EnvRef, kind: string, nativeId: string, name: string, labels: Labels, fallback: TaggedResource['role']): TaggedResource | null {
  const policyId = labels?.[DR_LABEL.policy];
  if (!policyId || !labels) return null;
  const role = labels[DR_LABEL.role];
  return {
    nativeId,
    kind,
    name,
    region: env.region,
    policyId,
    jobId: labels[DR_LABEL.job] ?? null,
    recoveryPointId: labels[DR_LABEL.recoveryPoint] ?? null,
    role: role === 'replication' || role === 'test' || role === 'failover' ? role : labels[DR_LABEL.test] === 'true' ? 'test' : fallback,
  };
}

/** The async pagers page on their own; gax warns when its default autoPaginate reaches them. */
const NO_AUTO_PAGINATE = { autoPaginate: false } as const;
const lastPart = (s: string | null | undefined) => (s ?? '').split('/').pop() ?? '';
const inRegion = (zoneOrLocation: string, region: string) => zoneOrLocation.toLowerCase() === region.toLowerCase() || zoneOrLocation.toLowerCase().startsWith(`${region.toLowerCase()}-`);

/**
 * What the target project holds in the environment's region with a dr-policy label, per type the
 * handlers create: VM instances, disks, snapshots stored in the region, buckets, Cloud SQL instances
 * and GKE clusters. A type the credentials may not list (or whose API is off) is reported
 * (unreadable) and the rest still counts; no answer at all (offline, cancelled) fails the scan.
 */
async function taggedInTarget(call: Call, env: EnvRef, signal: AbortSignal, unreadable: string[]): Promise<TaggedResource[]> {
  const out: TaggedResource[] = [];
  const push = (t: TaggedResource | null) => {
    if (t) out.push(t);
  };
  const part = async (what: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (err) {
      if (!(err instanceof ProviderFailure) || err.code === 'ProviderOffline' || err.code === 'Cancelled' || err.code === 'ProviderUnavailable') throw err;
      unreadable.push(`${what} in ${env.region} (their dr-* labels could not be read: ${err.message})`);
    }
  };

  await part('VM instances', () =>
    call(env, 'compute.instances.aggregatedList', signal, async (c, project) => {
      for await (const [scope, list] of c.instances.aggregatedListAsync({ project }, NO_AUTO_PAGINATE)) {
        const zone = lastPart(scope);
        if (!inRegion(zone, env.region)) continue;
        for (const i of list.instances ?? []) {
          if (i.name) push(taggedOf(env, 'VirtualMachine', `projects/${project}/zones/${zone}/instances/${i.name}`, i.name, i.labels, 'failover'));
        }
      }
    }),
  );
  await part('Disks', () =>
    call(env, 'compute.disks.aggregatedList', signal, async (c, project) => {
      for await (const [scope, list] of c.disks.aggregatedListAsync({ project }, NO_AUTO_PAGINATE)) {
        const zone = lastPart(scope);
        if (!inRegion(zone, env.region)) continue;
        for (const d of list.disks ?? []) {
          if (d.name) push(taggedOf(env, 'Disk', `projects/${project}/zones/${zone}/disks/${d.name}`, d.name, d.labels, 'failover'));
        }
      }
    }),
  );
  await part('Snapshots', () =>
    call(env, 'compute.snapshots.list', signal, async (c, project) => {
      for await (const s of c.snapshots.listAsync({ project }, NO_AUTO_PAGINATE)) {
        if (!s.name || !(s.storageLocations ?? []).some((l) => l.toLowerCase() === env.region.toLowerCase())) continue;
        push(taggedOf(env, 'Snapshot', `projects/${project}/global/snapshots/${s.name}`, s.name, s.labels, 'replication'));
      }
    }),
  );
  await part('Buckets', () =>
    call(env, 'storage.buckets.list', signal, async (c, project) => {
      const [buckets] = await c.storageIn(project).getBuckets({ autoPaginate: true });
      for (const b of buckets) {
        const labels = (b.metadata.labels ?? {}) as Record<string, string>;
        if (isConsoleStoreBucket(b.name, labels) || !inRegion(String(b.metadata.location ?? ''), env.region)) continue;
        push(taggedOf(env, 'Bucket', b.name, b.name, labels, 'replication'));
      }
    }),
  );
  await part('Cloud SQL instances', () =>
    call(env, 'sql.instances.list', signal, async (c, project) => {
      let pageToken: string | undefined;
      do {
        const page = (await c.sql.instances.list({ project, ...(pageToken ? { pageToken } : {}) }, { signal })).data;
        for (const i of page.items ?? []) {
          if (i.name && i.region === env.region) push(taggedOf(env, 'SqlInstance', `projects/${project}/instances/${i.name}`, i.name, i.settings?.userLabels, 'replication'));
        }
        pageToken = page.nextPageToken ?? undefined;
      } while (pageToken);
    }),
  );
  await part('GKE clusters', () =>
    call(env, 'container.projects.locations.clusters.list', signal, async (c, project) => {
      const [r] = await c.container.listClusters({ parent: `projects/${project}/locations/-` });
      for (const k of r.clusters ?? []) {
        if (k.name && inRegion(k.location ?? '', env.region)) push(taggedOf(env, 'KubernetesCluster', `projects/${project}/locations/${k.location}/clusters/${k.name}`, k.name, k.resourceLabels, 'failover'));
      }
    }),
  );
  return out;
}
