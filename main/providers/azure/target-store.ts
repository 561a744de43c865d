// The Azure target store: the failover lease and the recovery-point catalog as blobs in one console
// storage account per target subscription and location (deterministic name, so a rebuilt laptop
// finds it; made in the first target environment's resource group, found by name across the
// subscription by the others, as storage account names are global), in a private container. The lease document is
// created with `If-None-Match: *` and changed only with `If-Match: <ETag>`, so the blob service
// itself decides which console wins. While a failover holds it (and after, as the "completed"
// tombstone) the lease blob also carries an infinite blob lease under an id derived from the policy,
// with the holder and since in its metadata: the portal shows it "Leased" by whom, and nothing that
// does not follow the console's protocol (a person, a script, a lifecycle rule) can overwrite or
// delete it without breaking that lease first. The ETag conditions stay the decision: a blob lease
// that expired or was broken by hand leaves the document, and so the refusal, as it was.

import type { StorageAccount } from '@azure/arm-storage';
import { BlobServiceClient, StorageSharedKeyCredential, type BlockBlobClient, type ContainerClient } from '@azure/storage-blob';
import { ProviderFailure } from '../provider-failure';
import { STORE_KEYS, parseLease, parseManifest, type CatalogManifest, type FailoverLease, type LeaseCreateResult, type TaggedResource, type TargetScan, type TargetStore } from '../target-store';
import type { EnvRef } from '../types';
import { armScopeOf, type AzureContext, type CallContext } from './clients';
import { DR_TAG, hashHex, roleOf, type DrRole } from './naming';
import { blobAccountName } from './storage-account';

/** The private container holding the console's documents. */
export const CONSOLE_CONTAINER = 'failover-console';
/** The tag that marks the console's own storage account (a scan leaves it out of the tagged resources). */
export const CONSOLE_STORE_TAG = 'dr:console-store';

/** The console's storage account in a target subscription and location: `fc` + 22 hex digits (3-24 lower-case letters and digits, global). */
export function consoleStorageAccountName(subscriptionId: string, location: string): string {
  return `fc${hashHex('console-store', subscriptionId.toLowerCase(), location.toLowerCase().replace(/\s+/g, '')).slice(0, 22)}`;
}

/** The blob lease id of a policy's lease blob: a GUID derived from the policy, so every console (and a rebuilt one) can hold or release it. */
export function blobLeaseId(policyId: string): string {
  const h = hashHex('blob-lease', policyId);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const A = {
  read: 'Microsoft.Storage/storageAccounts/read',
  write: 'Microsoft.Storage/storageAccounts/write',
  listKeys: 'Microsoft.Storage/storageAccounts/listKeys/action',
  containerWrite: 'Microsoft.Storage/storageAccounts/blobServices/containers/write',
  blobRead: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
  blobWrite: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
  blobList: 'Microsoft.Storage/storageAccounts/blobServices/containers/read',
};

interface BlobError {
  statusCode?: number;
  code?: string;
  details?: { errorCode?: string };
}
const codeOf = (err: unknown) => (err as BlobError)?.code ?? (err as BlobError)?.details?.errorCode ?? '';
const statusOf = (err: unknown) => (err as BlobError)?.statusCode;

/** A create-only or If-Match write lost: 409 BlobAlreadyExists (If-None-Match: * on a blob that exists) or 412 ConditionNotMet. */
function lostCondition(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'BlobAlreadyExists' || code === 'ConditionNotMet' || (statusOf(err) === 412 && !/^Lease/.test(code));
}

const LOST = Symbol('condition-lost');

/** Metadata values travel as HTTP headers (ASCII only): the holder's host and user are URI-encoded. */
function leaseMetadata(lease: FailoverLease): Record<string, string> {
  return {
    holder: encodeURIComponent(`${lease.holder.host}${lease.holder.user ? ` (${lease.holder.user})` : ''}`),
    consoleid: encodeURIComponent(lease.holder.consoleId),
    since: lease.acquiredAt,
    job: encodeURIComponent(lease.jobId),
    state: lease.state,
  };
}

export function createAzureTargetStore(az: AzureContext): TargetStore {
  const ready = new Map<string, Promise<ContainerClient>>();
  const st = (env: EnvRef) => az.storage(env);

  /** A blob client on the console's account: its key (listKeys), or the account's Entra credential when shared keys are off. */
  async function serviceClient(ctx: CallContext, env: EnvRef, rg: string, account: StorageAccount): Promise<BlobServiceClient> {
    const endpoint = account.primaryEndpoints?.blob;
    if (!endpoint) throw new ProviderFailure('ProviderError', `The console's storage account ${account.name ?? '?'} has no blob endpoint; the failover lease cannot be kept there.`);
    const options = { retryOptions: { maxTries: 2 } };
    if (account.allowSharedKeyAccess === false) return new BlobServiceClient(endpoint, az.credential(env.account), options);
    const keys = await az.read(ctx, env, A.listKeys, (signal) => st(env).storageAccounts.listKeys(rg, account.name!, { abortSignal: signal }));
    const key = keys.keys?.find((k) => k.value)?.value;
    if (!key) throw new ProviderFailure('ProviderPermissionDenied', `No access key of the console's storage account ${account.name ?? '?'} could be read; grant the console's identity ${A.listKeys}.`);
    return new BlobServiceClient(endpoint, new StorageSharedKeyCredential(blobAccountName(endpoint), key), options);
  }

  /** The settings the console's account must have; a found account lacking one is given it. */
  const SECURE = { allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2', enableHttpsTrafficOnly: true } as const;
  const insecure = (a: StorageAccount) => a.allowBlobPublicAccess !== false || a.minimumTlsVersion !== 'TLS1_2' || a.enableHttpsTrafficOnly !== true;

  async function findAccount(ctx: CallContext, env: EnvRef): Promise<{ rg: string; name: string; account: StorageAccount | undefined }> {
    const { subscriptionId, resourceGroup } = armScopeOf(env);
    const name = consoleStorageAccountName(subscriptionId, env.region);
    const account = await az.lookup(ctx, env, A.read, (signal) => st(env).storageAccounts.getProperties(resourceGroup, name, { abortSignal: signal }));
    if (account) return { rg: resourceGroup, name, account };
    // Names are global and this one is per subscription and location, as the AWS bucket is per account
    // and region: another environment there (another resource group) may have made it already.
    const elsewhere = (await az.list(ctx, env, A.read, (signal) => st(env).storageAccounts.list({ abortSignal: signal }))).find((a) => a.name?.toLowerCase() === name && a.id);
    const rg = elsewhere?.id?.split('/')[4];
    if (elsewhere && rg) {
      const full = await az.lookup(ctx, env, A.read, (signal) => st(env).storageAccounts.getProperties(rg, name, { abortSignal: signal }));
      if (full) return { rg, name, account: full };
    }
    return { rg: resourceGroup, name, account: undefined };
  }

  /**
   * The console's container, the account and container created on first use: StorageV2, LRS, no
   * public blob access, TLS 1.2, https only, tagged as the console's. It holds which console fails a
   * policy over and each recovery point's settings.
   */
  function container(env: EnvRef, signal: AbortSignal): Promise<ContainerClient> {
    const key = `${env.account.id}|${env.region}|${JSON.stringify(env.scope)}`;
    let p = ready.get(key);
    if (!p) {
      p = (async () => {
        const ctx: CallContext = { signal };
        const found = await findAccount(ctx, env);
        let account = found.account;
        if (!account) {
          account = await az.call(ctx, env, A.write, () =>
            st(env)
              .storageAccounts.create(
                found.rg,
                found.name,
                {
                  location: env.region,
                  sku: { name: 'Standard_LRS' },
                  kind: 'StorageV2',
                  ...SECURE,
                  tags: { [CONSOLE_STORE_TAG]: 'true', [DR_TAG.role]: 'console' },
                },
                az.pollOptions(signal),
              )
              .pollUntilDone({ abortSignal: signal }),
          );
        } else if (insecure(account)) {
          account = await az.call(ctx, env, A.write, () => st(env).storageAccounts.update(found.rg, found.name, SECURE, { abortSignal: signal }));
        }
        const client = (await serviceClient(ctx, env, found.rg, account)).getContainerClient(CONSOLE_CONTAINER);
        // No `access` option: the container is private (no anonymous reads of any kind).
        await az.call(ctx, env, A.containerWrite, () => client.createIfNotExists({ abortSignal: signal }));
        return client;
      })();
      p.catch(() => ready.delete(key));
      ready.set(key, p);
    }
    return p;
  }

  async function getText(env: EnvRef, blob: BlockBlobClient, signal: AbortSignal): Promise<{ text: string; etag: string } | undefined> {
    try {
      return await az.call({ signal }, env, A.blobRead, async () => {
        const r = await blob.download(0, undefined, { abortSignal: signal });
        const body = r.readableStreamBody;
        const chunks: Buffer[] = [];
        if (body) for await (const c of body) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
        return { text: Buffer.concat(chunks).toString('utf8'), etag: r.etag ?? '' };
      });
    } catch (err) {
      if (err instanceof ProviderFailure && err.code === 'NotFound') return undefined;
      throw err;
    }
  }

  const where = (c: ContainerClient, key: string) => `${c.url.replace(/\/+$/, '')}/${key}`;

  async function readLease(env: EnvRef, policyId: string, signal: AbortSignal) {
    const c = await container(env, signal);
    const got = await getText(env, c.getBlockBlobClient(STORE_KEYS.lease(policyId)), signal);
    if (!got) return null;
    const lease = parseLease(got.text);
    if (!lease) {
      throw new ProviderFailure('Conflict', `The failover lease blob for this policy (${where(c, STORE_KEYS.lease(policyId))}) is damaged or not the console's; fix or remove it by hand (break its blob lease first).`);
    }
    return { lease, version: got.etag };
  }

  /** Writes the lease document under the given condition (and the blob lease when there is one): its ETag, or LOST. */
  async function writeLease(env: EnvRef, blob: BlockBlobClient, lease: FailoverLease, cond: { ifNoneMatch?: '*'; ifMatch?: string; leaseId?: string }, signal: AbortSignal): Promise<string | typeof LOST> {
    const body = JSON.stringify(lease);
    return az.call({ signal }, env, A.blobWrite, async () => {
      try {
        const r = await blob.upload(body, Buffer.byteLength(body), {
          abortSignal: signal,
          conditions: cond,
          metadata: leaseMetadata(lease),
          blobHTTPHeaders: { blobContentType: 'application/json' },
        });
        return r.etag ?? '';
      } catch (err) {
        // LeaseIdMissing: the blob was leased after this console read it, so another console wrote first.
        if (lostCondition(err) || codeOf(err) === 'LeaseIdMissing') return LOST;
        if (codeOf(err) === 'LeaseIdMismatchWithBlobOperation') {
          throw new ProviderFailure('Conflict', `The failover lease blob ${blob.url} carries a blob lease the console did not take; break that lease (portal: Break lease) if no other tool owns it, then try again.`);
        }
        throw err;
      }
    });
  }

  /**
   * Puts the policy's infinite blob lease on the lease blob at `etag` (acquiring again under the same
   * id is allowed while it is held, so a replay is harmless): the ETag it is at after, or LOST when the
   * blob changed first.
   */
  async function holdBlobLease(env: EnvRef, blob: BlockBlobClient, policyId: string, etag: string, signal: AbortSignal): Promise<string | typeof LOST> {
    return az.call({ signal }, env, A.blobWrite, async () => {
      try {
        const r = await blob.getBlobLeaseClient(blobLeaseId(policyId)).acquireLease(-1, { abortSignal: signal, conditions: { ifMatch: etag } });
        return r.etag ?? etag;
      } catch (err) {
        if (lostCondition(err)) return LOST;
        throw err;
      }
    });
  }

  async function releaseBlobLease(env: EnvRef, blob: BlockBlobClient, policyId: string, signal: AbortSignal): Promise<void> {
    await az.call({ signal }, env, A.blobWrite, async () => {
      try {
        await blob.getBlobLeaseClient(blobLeaseId(policyId)).releaseLease({ abortSignal: signal });
      } catch (err) {
        // Already expired or broken (by hand): nothing of ours to release.
        if (codeOf(err) !== 'LeaseNotPresentWithLeaseOperation' && codeOf(err) !== 'LeaseIdMismatchWithLeaseOperation') throw err;
      }
    });
  }

  /** Whether the blob carries an active blob lease (then writes need its id) and its ETag; undefined when the blob is gone. */
  async function leaseState(env: EnvRef, blob: BlockBlobClient, signal: AbortSignal): Promise<{ etag: string; leased: boolean } | undefined> {
    try {
      return await az.call({ signal }, env, A.blobRead, async () => {
        const p = await blob.getProperties({ abortSignal: signal });
        return { etag: p.etag ?? '', leased: p.leaseState === 'leased' };
      });
    } catch (err) {
      if (err instanceof ProviderFailure && err.code === 'NotFound') return undefined;
      throw err;
    }
  }

  return {
    async createLease(env, lease, signal): Promise<LeaseCreateResult> {
      const c = await container(env, signal);
      const blob = c.getBlockBlobClient(STORE_KEYS.lease(lease.policyId));
      for (let i = 0; i < 3; i++) {
        const put = await writeLease(env, blob, lease, { ifNoneMatch: '*' }, signal);
        if (put !== LOST) {
          const held = await holdBlobLease(env, blob, lease.policyId, put, signal);
          if (held !== LOST) return { created: true, version: held };
          // Replaced between our create and the blob lease: whoever did it holds the document now.
        }
        const current = await readLease(env, lease.policyId, signal);
        // Deleted between the two calls (by hand): try the create again.
        if (current) return { created: false, current: current.lease, version: current.version };
      }
      throw new ProviderFailure('Conflict', 'The failover lease blob kept changing while the console read it; try again.');
    },
    async replaceLease(env, lease: FailoverLease, version, signal) {
      const c = await container(env, signal);
      const blob = c.getBlockBlobClient(STORE_KEYS.lease(lease.policyId));
      const now = await leaseState(env, blob, signal);
      if (!now || now.etag !== version) return null;
      const put = await writeLease(env, blob, lease, { ifMatch: version, ...(now.leased ? { leaseId: blobLeaseId(lease.policyId) } : {}) }, signal);
      if (put === LOST) return null;
      // Held, or completed (the tombstone): under the blob lease. Abandoned: free for the next start.
      if (lease.state === 'abandoned') {
        if (now.leased) await releaseBlobLease(env, blob, lease.policyId, signal);
        return (await leaseState(env, blob, signal))?.etag ?? put;
      }
      const held = await holdBlobLease(env, blob, lease.policyId, put, signal);
      return held === LOST ? null : held;
    },
    readLease,
    async putManifest(env, manifest: CatalogManifest, signal) {
      const c = await container(env, signal);
      const blob = c.getBlockBlobClient(STORE_KEYS.manifest(manifest.policy.id, manifest.recoveryPoint.id));
      const body = JSON.stringify(manifest);
      // A recovery point's manifest is rewritten whole (the port's "writes or rewrites"): no condition.
      await az.call({ signal }, env, A.blobWrite, () => blob.upload(body, Buffer.byteLength(body), { abortSignal: signal, blobHTTPHeaders: { blobContentType: 'application/json' } }));
    },
    async scan(env, signal): Promise<TargetScan> {
      const out: TargetScan = { manifests: [], leases: [], tagged: [], unreadable: [] };
      const ctx: CallContext = { signal };
      const found = await findAccount(ctx, env);
      if (found.account) {
        const c = (await serviceClient(ctx, env, found.rg, found.account)).getContainerClient(CONSOLE_CONTAINER);
        const names = await az.call(ctx, env, A.blobList, async () => {
          const all: string[] = [];
          try {
            for await (const b of c.listBlobsFlat({ prefix: 'failover-console/', abortSignal: signal })) all.push(b.name);
          } catch (err) {
            if (codeOf(err) !== 'ContainerNotFound') throw err;
          }
          return all;
        });
        for (const name of names) {
          const got = await getText(env, c.getBlockBlobClient(name), signal);
          if (!got) continue;
          if (name.startsWith(STORE_KEYS.leasePrefix)) {
            const lease = parseLease(got.text);
            if (lease) out.leases.push(lease);
            else out.unreadable.push(where(c, name));
          } else if (name.startsWith(STORE_KEYS.catalogPrefix)) {
            const manifest = parseManifest(got.text);
            if (manifest) out.manifests.push(manifest);
            else out.unreadable.push(where(c, name));
          }
        }
      }
      out.tagged.push(...(await taggedInTarget(az, env, armScopeOf(env).resourceGroup, signal, out.unreadable)));
      return out;
    },
  };
}

/** One tagged resource read back: its role from dr:role (older ones: dr:test, else `fallback`). */
function taggedOf(env: EnvRef, kind: string, nativeId: string | undefined, name: string | undefined, tags: Record<string, string> | undefined, fallback: DrRole): TaggedResource | null {
  const policyId = tags?.[DR_TAG.policy];
  if (!policyId || !nativeId || !tags || tags[CONSOLE_STORE_TAG]) return null;
  return {
    nativeId,
    kind,
    name: name ?? nativeId,
    region: env.region,
    policyId,
    jobId: tags[DR_TAG.job] ?? null,
    recoveryPointId: tags[DR_TAG.recoveryPoint] ?? null,
    role: roleOf(tags, fallback),
  };
}

/**
 * What the target resource group holds with dr:policy, per type the handlers create: virtual
 * machines, disks and snapshots, storage accounts, SQL servers, AKS clusters, MySQL and PostgreSQL
 * flexible servers. A type the credentials may not list is reported (unreadable) and the rest still
 * counts; no answer at all (offline, cancelled) fails the scan.
 */
async function taggedInTarget(az: AzureContext, env: EnvRef, rg: string, signal: AbortSignal, unreadable: string[]): Promise<TaggedResource[]> {
  const out: TaggedResource[] = [];
  const ctx: CallContext = { signal };
  const part = async <T extends { id?: string; name?: string; tags?: Record<string, string> }>(what: string, kind: string, action: string, fallback: DrRole, pager: (s: AbortSignal) => AsyncIterable<T>) => {
    try {
      for (const r of await az.list(ctx, env, action, pager)) {
        const t = taggedOf(env, kind, r.id, r.name, r.tags, fallback);
        if (t) out.push(t);
      }
    } catch (err) {
      if (!(err instanceof ProviderFailure) || err.code === 'ProviderOffline' || err.code === 'Cancelled' || err.code === 'ProviderUnavailable') throw err;
      unreadable.push(`${what} in ${rg} (their dr:* tags could not be read: ${err.message})`);
    }
  };
  await part('Virtual machines', 'VirtualMachine', 'Microsoft.Compute/virtualMachines/read', 'failover', (s) => az.compute(env).virtualMachines.list(rg, { abortSignal: s }));
  await part('Managed disks', 'Disk', 'Microsoft.Compute/disks/read', 'failover', (s) => az.compute(env).disks.listByResourceGroup(rg, { abortSignal: s }));
  await part('Snapshots', 'Snapshot', 'Microsoft.Compute/snapshots/read', 'replication', (s) => az.compute(env).snapshots.listByResourceGroup(rg, { abortSignal: s }));
  await part('Storage accounts', 'StorageAccount', 'Microsoft.Storage/storageAccounts/read', 'replication', (s) => az.storage(env).storageAccounts.listByResourceGroup(rg, { abortSignal: s }));
  await part('SQL servers', 'SqlServer', 'Microsoft.Sql/servers/read', 'replication', (s) => az.sql(env).servers.listByResourceGroup(rg, { abortSignal: s }));
  await part('AKS clusters', 'ManagedCluster', 'Microsoft.ContainerService/managedClusters/read', 'failover', (s) => az.containerService(env).managedClusters.listByResourceGroup(rg, { abortSignal: s }));
  await part('MySQL flexible servers', 'MySqlFlexibleServer', 'Microsoft.DBforMySQL/flexibleServers/read', 'replication', (s) => az.mysql(env).servers.listByResourceGroup(rg, { abortSignal: s }));
  await part('PostgreSQL flexible servers', 'PostgreSqlFlexibleServer', 'Microsoft.DBforPostgreSQL/flexibleServers/read', 'replication', (s) => az.postgresql(env).servers.listByResourceGroup(rg, { abortSignal: s }));
  return out;
}
