// Azure storage accounts: the policy keeps an account of its own in the target (created when
// missing, deterministic name) and an object-replication policy from the source account to it, made
// as the service requires (on the destination first, then on the source under the id it returned;
// blob versioning on both, the change feed on the source). Each recovery point holds the account's
// settings. Test failover makes a test account with them; failover applies the selected point's
// settings to the replica account and deletes the policy's object replication on both sides. The blob
// data plane (@azure/storage-blob) lists the source's containers and checks that the target serves them.

import type { BlobServiceProperties, ObjectReplicationPolicy, ObjectReplicationPolicyRule, StorageAccount, StorageAccountUpdateParameters, StorageManagementClient } from '@azure/arm-storage';
import { restorePoller } from '@azure/arm-storage';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, DiscoverContext, EnvRef, ProtectedResourceRef, RecoveryPointItemRef, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import { armScopeOf, type AzureContext, type CallContext } from './clients';
import { DR_TAG, drTagRecord, sameLocation, userTags, parseTypedId, targetStorageAccountName, testStorageAccountName } from './data-naming';
import { armLro, v3Poller } from './lro';

/** The rate family of blob data-plane calls (per storage account, far above ARM's buckets). */
export const BLOB_FAMILY = 'azure.storage.blob';

/** Account settings a point carries and a failover applies (null: the source did not say). */
export interface StorageSettings {
  minimumTlsVersion: string | null;
  allowBlobPublicAccess: boolean | null;
  enableHttpsTrafficOnly: boolean | null;
  publicNetworkAccess: string | null;
  allowSharedKeyAccess: boolean | null;
  /** Firewall: default action, bypass and IP rules (virtual-network rules name source-region subnets and do not carry). */
  networkRules: { defaultAction: string; bypass: string | null; ipRules: string[]; virtualNetworkRules: number } | null;
}

export interface BlobSettings {
  isVersioningEnabled: boolean;
  changeFeed: { enabled: boolean; retentionInDays: number | null };
  deleteRetentionDays: number | null;
  containerDeleteRetentionDays: number | null;
  corsRules: Array<{ allowedOrigins: string[]; allowedMethods: string[]; allowedHeaders: string[]; exposedHeaders: string[]; maxAgeInSeconds: number }>;
}

export interface StorageCapture {
  accountId: string;
  account: string;
  resourceGroup: string;
  location: string;
  sku: string;
  kind: string;
  accessTier: string | null;
  tags: Record<string, string>;
  settings: StorageSettings;
  blob: BlobSettings;
  /** The source's blob containers, each replicated to the same name in the target account. */
  containers: string[];
  targetAccount: string;
  targetAccountId: string;
  targetResourceGroup: string;
  /** The object-replication policy the console made (the same id on both accounts). */
  policyId: string;
  rules: Array<{ ruleId: string; sourceContainer: string; destinationContainer: string }>;
}

const A = {
  read: 'Microsoft.Storage/storageAccounts/read',
  write: 'Microsoft.Storage/storageAccounts/write',
  delete: 'Microsoft.Storage/storageAccounts/delete',
  listKeys: 'Microsoft.Storage/storageAccounts/listKeys/action',
  blobRead: 'Microsoft.Storage/storageAccounts/blobServices/read',
  blobWrite: 'Microsoft.Storage/storageAccounts/blobServices/write',
  orRead: 'Microsoft.Storage/storageAccounts/objectReplicationPolicies/read',
  orWrite: 'Microsoft.Storage/storageAccounts/objectReplicationPolicies/write',
  orDelete: 'Microsoft.Storage/storageAccounts/objectReplicationPolicies/delete',
  containerList: 'Microsoft.Storage/storageAccounts/blobServices/containers/read',
  containerWrite: 'Microsoft.Storage/storageAccounts/blobServices/containers/write',
};

const accountOfRef = (ref: string | undefined) => (ref ?? '').split('/').pop()!.toLowerCase();

function parseAccountId(id: string) {
  const p = parseTypedId(id, 'Microsoft.Storage', ['storageAccounts'], 'an Azure storage account');
  return { resourceGroup: p.resourceGroup, account: p.names[0]! };
}

/**
 * The account a blob endpoint signs for: the first host label (https://<account>.blob.core.windows.net/),
 * or the first path segment for an IP-style endpoint (http://127.0.0.1:10000/<account>/, Azurite's).
 */
export function blobAccountName(endpoint: string): string {
  const u = new URL(endpoint);
  const ipStyle = /^\d+\.\d+\.\d+\.\d+$|^\[.*\]$|^localhost$/i.test(u.hostname);
  return ipStyle ? (u.pathname.split('/').filter(Boolean)[0] ?? '') : (u.hostname.split('.')[0] ?? '');
}

function settingsOf(a: StorageAccount): StorageSettings {
  const n = a.networkRuleSet;
  return {
    minimumTlsVersion: a.minimumTlsVersion ?? null,
    allowBlobPublicAccess: a.allowBlobPublicAccess ?? null,
    enableHttpsTrafficOnly: a.enableHttpsTrafficOnly ?? null,
    publicNetworkAccess: a.publicNetworkAccess ?? null,
    allowSharedKeyAccess: a.allowSharedKeyAccess ?? null,
    networkRules: n
      ? {
          defaultAction: n.defaultAction ?? 'Allow',
          bypass: n.bypass ?? null,
          ipRules: (n.ipRules ?? []).map((r) => r.iPAddressOrRange).filter((x): x is string => !!x),
          virtualNetworkRules: n.virtualNetworkRules?.length ?? 0,
        }
      : null,
  };
}

function blobSettingsOf(b: BlobServiceProperties): BlobSettings {
  return {
    isVersioningEnabled: b.isVersioningEnabled === true,
    changeFeed: { enabled: b.changeFeed?.enabled === true, retentionInDays: b.changeFeed?.retentionInDays ?? null },
    deleteRetentionDays: b.deleteRetentionPolicy?.enabled ? (b.deleteRetentionPolicy.days ?? null) : null,
    containerDeleteRetentionDays: b.containerDeleteRetentionPolicy?.enabled ? (b.containerDeleteRetentionPolicy.days ?? null) : null,
    corsRules: (b.cors?.corsRules ?? []).map((r) => ({
      allowedOrigins: r.allowedOrigins,
      allowedMethods: r.allowedMethods,
      allowedHeaders: r.allowedHeaders,
      exposedHeaders: r.exposedHeaders,
      maxAgeInSeconds: r.maxAgeInSeconds,
    })),
  };
}

/** The account-level settings as a create or update body (flattened SDK model). */
function settingsBody(s: StorageSettings): Partial<StorageAccountUpdateParameters> {
  const out: Partial<StorageAccountUpdateParameters> = {};
  if (s.minimumTlsVersion !== null) out.minimumTlsVersion = s.minimumTlsVersion as StorageAccountUpdateParameters['minimumTlsVersion'];
  if (s.allowBlobPublicAccess !== null) out.allowBlobPublicAccess = s.allowBlobPublicAccess;
  if (s.enableHttpsTrafficOnly !== null) out.enableHttpsTrafficOnly = s.enableHttpsTrafficOnly;
  if (s.publicNetworkAccess !== null) out.publicNetworkAccess = s.publicNetworkAccess as StorageAccountUpdateParameters['publicNetworkAccess'];
  if (s.allowSharedKeyAccess !== null) out.allowSharedKeyAccess = s.allowSharedKeyAccess;
  if (s.networkRules) {
    out.networkRuleSet = {
      defaultAction: s.networkRules.defaultAction as 'Allow' | 'Deny',
      ...(s.networkRules.bypass ? { bypass: s.networkRules.bypass } : {}),
      ipRules: s.networkRules.ipRules.map((iPAddressOrRange) => ({ iPAddressOrRange, action: 'Allow' as const })),
    };
  }
  return out;
}

/** The blob-service body a point's settings ask for; versioning on whatever the point says while replication may hold. */
function blobBody(b: BlobSettings, opts: { versioning: boolean; changeFeed: boolean }): BlobServiceProperties {
  return {
    isVersioningEnabled: opts.versioning || b.isVersioningEnabled,
    changeFeed: { enabled: opts.changeFeed || b.changeFeed.enabled, ...(b.changeFeed.retentionInDays !== null ? { retentionInDays: b.changeFeed.retentionInDays } : {}) },
    deleteRetentionPolicy: b.deleteRetentionDays !== null ? { enabled: true, days: b.deleteRetentionDays } : { enabled: false },
    containerDeleteRetentionPolicy: b.containerDeleteRetentionDays !== null ? { enabled: true, days: b.containerDeleteRetentionDays } : { enabled: false },
    cors: { corsRules: b.corsRules },
  };
}

function readCapture(item: RecoveryPointItemRef): StorageCapture {
  const m = item.metadata as Partial<StorageCapture>;
  if (!m.accountId || !m.targetAccount || !m.targetResourceGroup || !m.policyId || !m.settings || !m.blob) {
    throw new ProviderFailure('PreconditionFailed', `The recovery point of storage account ${item.resource.name} does not name its replica account; choose a later recovery point.`);
  }
  return m as StorageCapture;
}

/** Compares an account read back with the point; one sentence per setting that did not carry. */
export function compareAccount(a: StorageAccount, blob: BlobServiceProperties | undefined, cap: StorageCapture, wantTags: Record<string, string>, region: string): string[] {
  const out: string[] = [];
  const said = (what: string) => out.push(`Storage account ${a.name ?? '?'} in ${region} ${what} (from ${cap.account}'s recovery point).`);
  if (a.sku?.name !== cap.sku) said(`has SKU ${a.sku?.name ?? 'unknown'}, not ${cap.sku}`);
  if (a.kind !== cap.kind) said(`is of kind ${a.kind ?? 'unknown'}, not ${cap.kind}`);
  if (cap.accessTier && a.accessTier !== cap.accessTier) said(`has access tier ${a.accessTier ?? 'none'}, not ${cap.accessTier}`);
  const now = settingsOf(a);
  for (const k of ['minimumTlsVersion', 'allowBlobPublicAccess', 'enableHttpsTrafficOnly', 'publicNetworkAccess', 'allowSharedKeyAccess'] as const) {
    if (cap.settings[k] !== null && now[k] !== cap.settings[k]) said(`has ${k} ${String(now[k])} instead of ${String(cap.settings[k])}`);
  }
  const want = cap.settings.networkRules;
  if (want) {
    if ((now.networkRules?.defaultAction ?? 'Allow') !== want.defaultAction) said(`lets network traffic ${now.networkRules?.defaultAction ?? 'Allow'} by default, not ${want.defaultAction}`);
    const missing = want.ipRules.filter((r) => !now.networkRules?.ipRules.includes(r));
    if (missing.length) said(`lacks the firewall IP rule${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`);
    if (want.virtualNetworkRules > 0) said(`has none of the source's ${want.virtualNetworkRules} virtual-network rule${want.virtualNetworkRules === 1 ? '' : 's'} (they name subnets of the source region)`);
  }
  if (blob) {
    const b = blobSettingsOf(blob);
    if (cap.blob.isVersioningEnabled && !b.isVersioningEnabled) said('does not keep blob versions');
    if (cap.blob.deleteRetentionDays !== null && b.deleteRetentionDays !== cap.blob.deleteRetentionDays) said(`keeps deleted blobs ${String(b.deleteRetentionDays ?? 0)} days, not ${cap.blob.deleteRetentionDays}`);
    if (cap.blob.corsRules.length > b.corsRules.length) said(`has ${b.corsRules.length} of the ${cap.blob.corsRules.length} CORS rules`);
  }
  const missingTags = Object.entries(wantTags).filter(([k, v]) => a.tags?.[k] !== v).map(([k]) => k);
  if (missingTags.length) said(`lacks the tag${missingTags.length === 1 ? '' : 's'} ${missingTags.join(', ')}`);
  return out;
}

/** What failing over from this point will not carry, known from the point alone (the confirmation shows it). */
export function foreseeStorageAccount(item: RecoveryPointItemRef): string[] {
  const m = item.metadata as Partial<StorageCapture>;
  if (!m.targetAccount || !m.settings) return [];
  const out: string[] = [];
  const n = m.settings.networkRules?.virtualNetworkRules ?? 0;
  if (n > 0) out.push(`The ${n} virtual-network firewall rule${n === 1 ? '' : 's'} of ${m.account ?? item.resource.name} name subnets of the source region and are not applied to ${m.targetAccount}.`);
  out.push(`Blobs written to ${m.account ?? item.resource.name} after the last copy by object replication are not in ${m.targetAccount}.`);
  return out;
}

export function createStorageAccountHandler(az: AzureContext): ResourceHandler {
  const st = (env: EnvRef): StorageManagementClient => az.storage(env);
  const report = (ctx: StepContext, warnings: string[]) => {
    for (const w of warnings) ctx.warn?.(w);
  };

  const getAccount = (ctx: CallContext, env: EnvRef, rg: string, name: string) =>
    az.lookup(ctx, env, A.read, (signal) => st(env).storageAccounts.getProperties(rg, name, { abortSignal: signal }));
  const getBlob = (ctx: CallContext, env: EnvRef, rg: string, name: string) =>
    az.read(ctx, env, A.blobRead, (signal) => st(env).blobServices.getServiceProperties(rg, name, { abortSignal: signal }));
  const listPolicies = (ctx: CallContext, env: EnvRef, rg: string, name: string) =>
    az.list(ctx, env, A.orRead, (signal) => st(env).objectReplicationPolicies.list(rg, name, { abortSignal: signal })).catch((err: unknown) => {
      if (err instanceof ProviderFailure && err.code === 'NotFound') return [] as ObjectReplicationPolicy[];
      throw err;
    });

  /** One synchronous ARM write under an op key of the step's journal (these answer 200 at once). */
  function armWrite<T>(ctx: StepContext, env: EnvRef, opKey: string, action: string, intent: Record<string, unknown>, run: (signal: AbortSignal) => Promise<T>, resume?: (signal: AbortSignal) => Promise<T | undefined>): Promise<T> {
    return ctx.mutate<T>(opKey, {
      family: action.endsWith('/delete') ? 'azure.arm.delete' : 'azure.arm.write',
      intent: { action, ...intent },
      ...(resume ? { resume: (_prev: unknown, signal: AbortSignal) => az.call({ ...ctx, signal }, env, action, () => resume(signal)) } : {}),
      call: (signal) => az.call({ ...ctx, signal }, env, action, () => run(signal), 1),
    });
  }

  /** A blob client on an account: its key from ARM (listKeys), or the account's Entra credential when shared keys are off. */
  async function blobClient(ctx: StepContext | CallContext, env: EnvRef, rg: string, account: StorageAccount): Promise<BlobServiceClient> {
    const endpoint = account.primaryEndpoints?.blob;
    if (!endpoint) throw new ProviderFailure('ProviderError', `Storage account ${account.name ?? '?'} has no blob endpoint; it cannot hold replicated containers.`);
    const options = { retryOptions: { maxTries: 2 } };
    if (account.allowSharedKeyAccess === false) return new BlobServiceClient(endpoint, az.credential(env.account), options);
    const keys = await az.read(ctx, env, A.listKeys, (signal) => st(env).storageAccounts.listKeys(rg, account.name!, { abortSignal: signal }));
    const key = keys.keys?.find((k) => k.value)?.value;
    if (!key) throw new ProviderFailure('ProviderPermissionDenied', `No access key of storage account ${account.name ?? '?'} could be read; grant the console's identity Microsoft.Storage/storageAccounts/listKeys/action.`);
    return new BlobServiceClient(endpoint, new StorageSharedKeyCredential(blobAccountName(endpoint), key), options);
  }

  /** Container names on an account's blob endpoint. */
  async function containersOf(ctx: StepContext | CallContext, env: EnvRef, client: BlobServiceClient): Promise<string[]> {
    const run = async (signal: AbortSignal) => {
      const out: string[] = [];
      for await (const c of client.listContainers({ abortSignal: signal })) out.push(c.name);
      return out.sort();
    };
    return ctx.read ? ctx.read(BLOB_FAMILY, (signal) => az.call({ ...ctx, signal }, env, A.containerList, () => run(signal))) : az.call(ctx, env, A.containerList, () => run(ctx.signal));
  }

  async function ensureContainers(ctx: StepContext, env: EnvRef, account: string, client: BlobServiceClient, names: string[]): Promise<void> {
    for (const name of names) {
      await ctx.mutate(`blob-container:${account}/${name}`, {
        family: BLOB_FAMILY,
        intent: { action: A.containerWrite, account, container: name },
        call: (signal) =>
          az.call({ ...ctx, signal }, env, A.containerWrite, async () => {
            await client.getContainerClient(name).createIfNotExists({ abortSignal: signal });
            return { container: name };
          }),
      });
    }
  }

  /** Creates (or adopts) an account by name through the journal: a long-running PUT. */
  function createAccount(ctx: StepContext, env: EnvRef, rg: string, name: string, body: Parameters<StorageManagementClient['storageAccounts']['create']>[2], opKey: string): Promise<{ id: string }> {
    const client = st(env);
    return armLro(az, ctx, env, opKey, {
      action: A.write,
      intent: { resourceGroup: rg, account: name, sku: body.sku.name, kind: body.kind },
      start: (signal) => v3Poller(client.storageAccounts.create(rg, name, body, az.pollOptions(signal))),
      restore: (state, signal) => v3Poller(restorePoller(client, state, client.storageAccounts.create, az.pollOptions(signal))),
      lookup: (signal) => client.storageAccounts.getProperties(rg, name, { abortSignal: signal }),
      stateOf: (a) => a.provisioningState,
      project: (a) => ({ id: a.id ?? '' }),
    });
  }

  /** Sets blob-service properties when they differ from what the account has (a PUT sets what it sends). */
  async function ensureBlobService(ctx: StepContext, env: EnvRef, rg: string, name: string, want: BlobServiceProperties, opKey: string): Promise<void> {
    const now = await getBlob(ctx, env, rg, name);
    const differs =
      (want.isVersioningEnabled ?? false) !== (now.isVersioningEnabled ?? false) ||
      (want.changeFeed?.enabled ?? false) !== (now.changeFeed?.enabled ?? false) ||
      JSON.stringify(want.deleteRetentionPolicy ?? null) !== JSON.stringify(now.deleteRetentionPolicy ?? { enabled: false }) ||
      JSON.stringify(want.cors?.corsRules ?? []) !== JSON.stringify(now.cors?.corsRules ?? []) ||
      JSON.stringify(want.containerDeleteRetentionPolicy ?? null) !== JSON.stringify(now.containerDeleteRetentionPolicy ?? { enabled: false });
    if (!differs) return;
    await armWrite(ctx, env, opKey, A.blobWrite, { resourceGroup: rg, account: name, versioning: want.isVersioningEnabled ?? false, changeFeed: want.changeFeed?.enabled ?? false }, (signal) =>
      st(env).blobServices.setServiceProperties(rg, name, want, { abortSignal: signal }).then(() => ({ done: true })),
    );
  }

  /** The object-replication policy on the destination whose source is the given account (ours: the console owns the destination). */
  const policyFrom = (all: ObjectReplicationPolicy[], source: string) => all.find((p) => accountOfRef(p.sourceAccount) === source.toLowerCase());

  const sameRules = (a: ObjectReplicationPolicyRule[] | undefined, containers: string[]) =>
    JSON.stringify((a ?? []).map((r) => `${r.sourceContainer}>${r.destinationContainer}`).sort()) === JSON.stringify(containers.map((c) => `${c}>${c}`).sort());

  /** Deletes one side of the policy's object replication (sync 200; already gone is 204). */
  async function deletePolicy(ctx: StepContext, env: EnvRef, rg: string, account: string, policyId: string, side: 'source' | 'destination'): Promise<void> {
    await armWrite(ctx, env, `or-delete:${side}:${account}`, A.orDelete, { resourceGroup: rg, account, policyId }, (signal) =>
      st(env).objectReplicationPolicies.delete(rg, account, policyId, { abortSignal: signal }).then(() => ({ deleted: policyId })),
    );
  }

  /** Removes the console's policy from both accounts: the destination first (it frees the replica's containers), then the source. */
  async function removeReplication(ctx: StepContext, cap: Pick<StorageCapture, 'account' | 'resourceGroup' | 'targetAccount' | 'targetResourceGroup' | 'policyId'>, sourceEnv: EnvRef): Promise<void> {
    const dst = await listPolicies(ctx, ctx.target, cap.targetResourceGroup, cap.targetAccount);
    const onDst = dst.find((p) => p.policyId === cap.policyId || p.name === cap.policyId) ?? policyFrom(dst, cap.account);
    const policyId = onDst?.policyId ?? onDst?.name ?? cap.policyId;
    if (onDst) await deletePolicy(ctx, ctx.target, cap.targetResourceGroup, cap.targetAccount, policyId, 'destination');
    try {
      const src = await listPolicies(ctx, sourceEnv, cap.resourceGroup, cap.account);
      if (src.some((p) => p.policyId === policyId || p.name === policyId)) await deletePolicy(ctx, sourceEnv, cap.resourceGroup, cap.account, policyId, 'source');
    } catch (err) {
      // The source region may be the one that is lost: its half of the policy no longer copies anything.
      if (!(err instanceof ProviderFailure) || !['ProviderUnavailable', 'ProviderOffline', 'ProviderError'].includes(err.code) || ctx.signal.aborted) throw err;
      ctx.warn?.(`The object-replication policy ${policyId} is still on the source account ${cap.account} (${err.message}); delete it there once its region answers.`);
    }
  }

  async function discover(ctx: DiscoverContext): Promise<DiscoveredResource[]> {
    const env = ctx.env;
    const rg = armScopeOf(env).resourceGroup;
    const accounts = await az.list(ctx, env, A.read, (signal) => st(env).storageAccounts.listByResourceGroup(rg, { abortSignal: signal }));
    return accounts
      .filter((a) => a.id && a.name && sameLocation(a.location, env.region) && !a.tags?.[DR_TAG.policy] && !a.tags?.[DR_TAG.test])
      .map((a) => ({
        type: 'azure.storage-account' as const,
        nativeId: a.id!,
        name: a.name!,
        region: env.region,
        tags: userTags(a.tags),
        summary: `${a.sku?.name ?? 'storage'}, ${a.kind ?? 'account'}${a.accessTier ? `, ${a.accessTier}` : ''}`.slice(0, 256),
      }));
  }

  async function replicate(resource: ProtectedResourceRef, ctx: StepContext): Promise<CapturedItem> {
    const src = ctx.source;
    const { resourceGroup, account } = parseAccountId(resource.nativeId);
    const acct = await getAccount(ctx, src, resourceGroup, account);
    if (!acct?.id) throw new ProviderFailure('NotFound', `Storage account ${account} no longer exists; remove it from the policy or restore it.`);

    // Object replication needs blob versioning and the change feed on the source.
    const srcBlob = blobSettingsOf(await getBlob(ctx, src, resourceGroup, account));
    await ensureBlobService(ctx, src, resourceGroup, account, blobBody(srcBlob, { versioning: true, changeFeed: true }), `blob-service:source:${account}`);
    const containers = await containersOf(ctx, src, await blobClient(ctx, src, resourceGroup, acct));
    if (containers.length === 0) throw new ProviderFailure('PreconditionFailed', `Storage account ${account} has no blob containers; object replication copies containers, so there is nothing to replicate yet.`);

    // The replica account, with the source's settings; versioning on (a destination needs it).
    const targetRg = armScopeOf(ctx.target).resourceGroup;
    const targetName = targetStorageAccountName(account, ctx.target.region, ctx.policyId);
    let target = await getAccount(ctx, ctx.target, targetRg, targetName);
    if (!target || target.provisioningState !== 'Succeeded') {
      await createAccount(
        ctx,
        ctx.target,
        targetRg,
        targetName,
        {
          location: ctx.target.region,
          sku: { name: acct.sku?.name ?? 'Standard_LRS' },
          kind: acct.kind ?? 'StorageV2',
          ...(acct.accessTier ? { accessTier: acct.accessTier } : {}),
          ...settingsBody(settingsOf(acct)),
          tags: { ...userTags(acct.tags), ...drTagRecord(ctx, { role: 'replication', sourceId: acct.id }) },
        },
        `storage-account:${targetName}`,
      );
      target = await getAccount(ctx, ctx.target, targetRg, targetName);
    }
    if (!target?.id) throw new ProviderFailure('ProviderError', `The replica account ${targetName} did not appear in ${ctx.target.region}; replicate again.`);
    // The replica keeps versions (a destination must); its own change feed is not needed.
    const replicaBlob = { ...srcBlob, changeFeed: { enabled: false, retentionInDays: null } };
    await ensureBlobService(ctx, ctx.target, targetRg, targetName, blobBody(replicaBlob, { versioning: true, changeFeed: false }), `blob-service:target:${targetName}`);
    await ensureContainers(ctx, ctx.target, targetName, await blobClient(ctx, ctx.target, targetRg, target), containers);

    // The policy: on the destination first (the service picks the policy and rule ids), then on the source.
    const wanted = { sourceAccount: account, destinationAccount: targetName, rules: containers.map((c) => ({ sourceContainer: c, destinationContainer: c })) };
    let onDst = policyFrom(await listPolicies(ctx, ctx.target, targetRg, targetName), account);
    if (!onDst || !sameRules(onDst.rules, containers)) {
      const id = onDst?.policyId ?? 'default';
      const keep = new Map((onDst?.rules ?? []).map((r) => [`${r.sourceContainer}>${r.destinationContainer}`, r.ruleId]));
      const rules = wanted.rules.map((r) => ({ ...r, ...(keep.get(`${r.sourceContainer}>${r.destinationContainer}`) ? { ruleId: keep.get(`${r.sourceContainer}>${r.destinationContainer}`)! } : {}) }));
      const intentRules = containers.join(',');
      onDst = await armWrite(
        ctx,
        ctx.target,
        `or-policy:destination:${targetName}:${intentRules}`,
        A.orWrite,
        { resourceGroup: targetRg, account: targetName, policyId: id, sourceAccount: account, containers },
        (signal) => st(ctx.target).objectReplicationPolicies.createOrUpdate(targetRg, targetName, id, { ...wanted, rules }, { abortSignal: signal }).then(projectPolicy),
        // A crash after the service answered: the policy (with its new id) is there; adopt it.
        async (signal) => {
          const all: ObjectReplicationPolicy[] = [];
          for await (const p of st(ctx.target).objectReplicationPolicies.list(targetRg, targetName, { abortSignal: signal })) all.push(p);
          const found = policyFrom(all, account);
          return found && sameRules(found.rules, containers) ? projectPolicy(found) : undefined;
        },
      );
    }
    if (!onDst?.policyId) throw new ProviderFailure('ProviderError', `The object-replication policy on ${targetName} came back without a policy id; replicate again.`);
    const policyId = onDst.policyId;
    const onSrc = (await listPolicies(ctx, src, resourceGroup, account)).find((p) => p.policyId === policyId);
    const rulesWithIds = (onDst.rules ?? []).map((r) => ({ ruleId: r.ruleId!, sourceContainer: r.sourceContainer, destinationContainer: r.destinationContainer }));
    if (!onSrc || !sameRules(onSrc.rules, containers)) {
      await armWrite(ctx, src, `or-policy:source:${account}:${policyId}:${containers.join(',')}`, A.orWrite, { resourceGroup, account, policyId, destinationAccount: targetName }, (signal) =>
        st(src).objectReplicationPolicies.createOrUpdate(resourceGroup, account, policyId, { ...wanted, rules: rulesWithIds }, { abortSignal: signal }).then(projectPolicy),
      );
    }

    const metadata: StorageCapture = {
      accountId: acct.id,
      account,
      resourceGroup,
      location: acct.location,
      sku: acct.sku?.name ?? 'Standard_LRS',
      kind: acct.kind ?? 'StorageV2',
      accessTier: acct.accessTier ?? null,
      tags: userTags(acct.tags),
      settings: settingsOf(acct),
      blob: { ...srcBlob, isVersioningEnabled: true, changeFeed: { ...srcBlob.changeFeed, enabled: true } },
      containers,
      targetAccount: targetName,
      targetAccountId: target.id,
      targetResourceGroup: targetRg,
      policyId,
      rules: rulesWithIds,
    };
    return {
      metadata: { ...metadata },
      dataRefs: [
        { kind: 'StorageAccount', id: target.id, region: ctx.target.region },
        { kind: 'ObjectReplicationPolicy', id: policyId, region: ctx.source.region },
      ],
    };
  }

  async function testFailover(item: RecoveryPointItemRef, ctx: StepContext): Promise<CreatedResource[]> {
    const cap = readCapture(item);
    const env = ctx.target;
    const rg = armScopeOf(env).resourceGroup;
    const replica = await getAccount(ctx, env, cap.targetResourceGroup, cap.targetAccount);
    if (!replica) throw new ProviderFailure('PreconditionFailed', `The replica account ${cap.targetAccount} of ${cap.account} is gone from ${env.region}; run a replication first.`);
    // A test account of its own with the point's settings and containers: the replica and its policy are not touched.
    const name = testStorageAccountName(cap.account, ctx);
    const tags = { ...cap.tags, ...drTagRecord(ctx, { role: 'test', sourceId: cap.accountId }) };
    ctx.progress(`Creating the test account ${name} with the settings of ${cap.account}`);
    const made = await createAccount(
      ctx,
      env,
      rg,
      name,
      { location: env.region, sku: { name: cap.sku }, kind: cap.kind, ...(cap.accessTier ? { accessTier: cap.accessTier as 'Hot' } : {}), ...settingsBody(cap.settings), tags },
      `storage-test-account:${name}`,
    );
    await ensureBlobService(ctx, env, rg, name, blobBody(cap.blob, { versioning: false, changeFeed: false }), `blob-service:test:${name}`);
    const back = await getAccount(ctx, env, rg, name);
    if (back) {
      await ensureContainers(ctx, env, name, await blobClient(ctx, env, rg, back), cap.containers);
      report(ctx, compareAccount(back, await getBlob(ctx, env, rg, name), cap, tags, env.region));
    }
    return [{ kind: 'StorageAccount', nativeId: made.id || back?.id || `${cap.targetAccountId.replace(/[^/]+$/, '')}${name}`, name, region: env.region, sourceId: cap.accountId }];
  }

  async function reset(created: CreatedResource, ctx: StepContext): Promise<void> {
    if (created.kind !== 'StorageAccount') return;
    const env = { ...ctx.target, region: created.region || ctx.target.region };
    const { resourceGroup, account } = parseAccountId(created.nativeId);
    const acct = await getAccount(ctx, env, resourceGroup, account);
    if (!acct) return;
    if (acct.tags?.[DR_TAG.test] !== 'true') {
      throw new ProviderFailure('PreconditionFailed', `Storage account ${account} is not a test account made by the console (no ${DR_TAG.test} tag); Reset leaves it alone.`);
    }
    await armWrite(ctx, env, `storage-delete:${account}`, A.delete, { resourceGroup, account }, (signal) => st(env).storageAccounts.delete(resourceGroup, account, { abortSignal: signal }).then(() => ({ deleted: account })));
  }

  async function failover(item: RecoveryPointItemRef, ctx: StepContext): Promise<ResourceMappingEntry[]> {
    const cap = readCapture(item);
    const env = ctx.target;
    const rg = cap.targetResourceGroup;
    const replica = await getAccount(ctx, env, rg, cap.targetAccount);
    if (!replica?.id) throw new ProviderFailure('PreconditionFailed', `The replica account ${cap.targetAccount} of ${cap.account} is missing in ${env.region}; it cannot be failed over.`);

    ctx.progress(`Applying the settings of ${cap.account}'s recovery point to ${cap.targetAccount}`);
    const tags = { ...cap.tags, ...drTagRecord(ctx, { role: 'failover', sourceId: cap.accountId }) };
    const update: StorageAccountUpdateParameters = {
      sku: { name: cap.sku },
      ...(cap.kind === 'StorageV2' && replica.kind !== 'StorageV2' ? { kind: 'StorageV2' as const } : {}),
      ...(cap.accessTier ? { accessTier: cap.accessTier as 'Hot' } : {}),
      ...settingsBody(cap.settings),
      tags,
    };
    await armWrite(ctx, env, `storage-apply:${cap.targetAccount}`, A.write, { resourceGroup: rg, account: cap.targetAccount, sku: cap.sku }, (signal) =>
      st(env).storageAccounts.update(rg, cap.targetAccount, update, { abortSignal: signal }).then((a) => ({ id: a.id ?? replica.id })),
    );

    ctx.progress(`Deleting the object replication from ${cap.account} to ${cap.targetAccount}`);
    await removeReplication(ctx, cap, { ...ctx.source, region: cap.location || ctx.source.region });
    // The point's blob settings once the policy no longer holds versioning and the change feed on.
    await ensureBlobService(ctx, env, rg, cap.targetAccount, blobBody(cap.blob, { versioning: false, changeFeed: false }), `blob-service:failover:${cap.targetAccount}`);

    // Deleting the policy's object replication is promised: read it back, one still there fails the step.
    const left = await listPolicies(ctx, env, rg, cap.targetAccount);
    if (left.some((p) => p.policyId === cap.policyId) || policyFrom(left, cap.account)) {
      throw new ProviderFailure('ProviderError', `The object-replication policy ${cap.policyId} is still on ${cap.targetAccount} after it was deleted; retry the failover.`);
    }
    const back = await getAccount(ctx, env, rg, cap.targetAccount);
    if (back) {
      report(ctx, compareAccount(back, await getBlob(ctx, env, rg, cap.targetAccount), cap, tags, env.region));
      // The data plane: the target account serves every replicated container.
      const served = new Set(await containersOf(ctx, env, await blobClient(ctx, env, rg, back)));
      const missing = cap.containers.filter((c) => !served.has(c));
      if (missing.length) ctx.warn?.(`Storage account ${cap.targetAccount} in ${env.region} does not serve the container${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${cap.account}.`);
    }
    return [{ sourceId: cap.accountId, kind: 'StorageAccount', name: cap.targetAccount, targetId: back?.id ?? replica.id, reused: true }];
  }

  async function stopReplication(resource: ProtectedResourceRef, ctx: StepContext): Promise<void> {
    // The replica account is recovery data and stays; only the policy's object replication goes.
    const { resourceGroup, account } = parseAccountId(resource.nativeId);
    const targetAccount = targetStorageAccountName(account, ctx.target.region, ctx.policyId);
    const targetRg = armScopeOf(ctx.target).resourceGroup;
    if (!(await getAccount(ctx, ctx.target, targetRg, targetAccount))) return;
    const onDst = policyFrom(await listPolicies(ctx, ctx.target, targetRg, targetAccount), account);
    const policyId = onDst?.policyId;
    if (!policyId) {
      // The destination half is gone (a failover removed it); the source half may still be there.
      const src = await getAccount(ctx, ctx.source, resourceGroup, account);
      const mine = src ? (await listPolicies(ctx, ctx.source, resourceGroup, account)).find((p) => accountOfRef(p.destinationAccount) === targetAccount) : undefined;
      if (mine?.policyId) await deletePolicy(ctx, ctx.source, resourceGroup, account, mine.policyId, 'source');
      return;
    }
    await removeReplication(ctx, { account, resourceGroup, targetAccount, targetResourceGroup: targetRg, policyId }, ctx.source);
  }

  return {
    type: 'azure.storage-account',
    usesLatestPoint: false,
    foresee: foreseeStorageAccount,
    discover,
    replicate,
    testFailover,
    reset,
    failover,
    stopReplication,
  };
}

function projectPolicy(p: ObjectReplicationPolicy): ObjectReplicationPolicy {
  // What the journal keeps: the ids and rules (small, JSON).
  return {
    policyId: p.policyId,
    sourceAccount: p.sourceAccount,
    destinationAccount: p.destinationAccount,
    rules: (p.rules ?? []).map((r) => ({ ruleId: r.ruleId, sourceContainer: r.sourceContainer, destinationContainer: r.destinationContainer })),
  } as ObjectReplicationPolicy;
}
