// Azure Database for MySQL and PostgreSQL flexible servers: one handler, two engines (mysql-flexible.ts,
// postgresql-flexible.ts give the SDK calls). Replication keeps one read replica of the source in the
// target region under a deterministic name and captures the server's settings. Test failover makes an
// independent copy under a test name (a second replica, promoted at once), which Reset deletes; the
// production replica is never touched. Failover (the catalog's usesLatestPoint: the registry hands
// the latest point) stops replication so the replica becomes a standalone server, applies the
// point's settings and reads the server back. Every long-running call goes through armLro.

import type { ResourceTypeId } from '../../../shared/catalog';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, DiscoverContext, EnvRef, ProtectedResourceRef, RecoveryPointItemRef, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import { armScopeOf, type AzureContext, type CallContext } from './clients';
import { armDelete, armLro, type ArmPoller } from './lro';
import { customerTags, DR_TAG, drTags, isConsoleMade, missingTags, notATestResource, parseArmId, replicaName, sameLocation, taken, testName, unreadablePoint } from './dr-shared';

/** A flexible server as both SDKs show it (the fields the handler reads and writes). */
export interface FlexServer {
  id?: string;
  name?: string;
  location: string;
  tags?: Record<string, string>;
  sku?: { name: string; tier?: string };
  version?: string;
  state?: string;
  replicationRole?: string;
  sourceServerResourceId?: string;
  availabilityZone?: string;
  storage?: { storageSizeGB?: number; autoGrow?: string; iops?: number };
  backup?: { backupRetentionDays?: number; geoRedundantBackup?: string };
  highAvailability?: { mode?: string; standbyAvailabilityZone?: string };
  maintenanceWindow?: { customWindow?: string; dayOfWeek?: number; startHour?: number; startMinute?: number };
  network?: { publicNetworkAccess?: string };
}

/** The PATCH body of settings both services take (ServerForUpdate / ServerForPatch). */
export interface FlexPatch {
  tags?: Record<string, string>;
  sku?: { name: string; tier?: string };
  storage?: { storageSizeGB?: number; autoGrow?: string };
  backup?: { backupRetentionDays?: number };
  highAvailability?: { mode?: string };
  maintenanceWindow?: { customWindow?: string; dayOfWeek?: number; startHour?: number; startMinute?: number };
}

interface PollOpts {
  signal: AbortSignal;
  resumeFrom?: string;
}

/** One engine's SDK calls, each in the shape above. */
export interface FlexEngine {
  type: Extract<ResourceTypeId, 'azure.mysql-flexible' | 'azure.postgresql-flexible'>;
  /** The mapping's kind: MySqlFlexibleServer, PostgreSqlFlexibleServer. */
  kind: string;
  label: string;
  /** The RBAC namespace: Microsoft.DBforMySQL, Microsoft.DBforPostgreSQL. */
  namespace: string;
  /** The role a server has while it replicates from a source (MySQL Replica; PostgreSQL AsyncReplica / GeoAsyncReplica). */
  isReplica(server: FlexServer): boolean;
  /** The PATCH that stops replication: MySQL replicationRole None, PostgreSQL replica.promoteMode Standalone. */
  stopReplication: Record<string, unknown>;
  get(az: AzureContext, env: EnvRef, group: string, name: string, signal: AbortSignal): Promise<FlexServer>;
  listByGroup(az: AzureContext, env: EnvRef, group: string, signal: AbortSignal): AsyncIterable<FlexServer>;
  replicas(az: AzureContext, env: EnvRef, group: string, name: string, signal: AbortSignal): AsyncIterable<FlexServer>;
  create(az: AzureContext, env: EnvRef, group: string, name: string, body: FlexServer & { createMode: string; sourceServerResourceId: string }, o: PollOpts): Promise<ArmPoller<FlexServer>>;
  update(az: AzureContext, env: EnvRef, group: string, name: string, body: FlexPatch | Record<string, unknown>, o: PollOpts): Promise<ArmPoller<FlexServer>>;
  remove(az: AzureContext, env: EnvRef, group: string, name: string, o: PollOpts): Promise<ArmPoller<unknown>>;
}

/** The settings a point carries and failover applies. */
export interface FlexSettings {
  version: string | null;
  sku: { name: string; tier: string | null } | null;
  storageSizeGB: number | null;
  storageAutoGrow: string | null;
  iops: number | null;
  backupRetentionDays: number | null;
  geoRedundantBackup: string | null;
  highAvailability: string | null;
  availabilityZone: string | null;
  maintenanceWindow: { customWindow: string | null; dayOfWeek: number | null; startHour: number | null; startMinute: number | null } | null;
  publicNetworkAccess: string | null;
}

export interface FlexCaptured {
  name: string;
  sourceId: string;
  sourceLocation: string;
  tags: Record<string, string>;
  /** The policy's replica in the target. */
  replica: { id: string; name: string };
  settings: FlexSettings;
}

const FAMILY_READ = (ns: string) => `${ns}/flexibleServers/read`;
const FAMILY_WRITE = (ns: string) => `${ns}/flexibleServers/write`;
const FAMILY_DELETE = (ns: string) => `${ns}/flexibleServers/delete`;

/** A server's state as armLro reads a provisioning state: Ready is done, Dropping/Disabled failed, the rest under way. */
function provisioningOf(s: FlexServer): string {
  const st = (s.state ?? '').toLowerCase();
  if (st === 'ready' || st === 'stopped') return 'Succeeded';
  if (st === 'disabled' || st === 'dropping') return 'Failed';
  return 'InProgress';
}

function settingsOf(s: FlexServer): FlexSettings {
  const mw = s.maintenanceWindow;
  return {
    version: s.version ?? null,
    sku: s.sku ? { name: s.sku.name, tier: s.sku.tier ?? null } : null,
    storageSizeGB: s.storage?.storageSizeGB ?? null,
    storageAutoGrow: s.storage?.autoGrow ?? null,
    iops: s.storage?.iops ?? null,
    backupRetentionDays: s.backup?.backupRetentionDays ?? null,
    geoRedundantBackup: s.backup?.geoRedundantBackup ?? null,
    highAvailability: s.highAvailability?.mode ?? null,
    availabilityZone: s.availabilityZone ?? null,
    maintenanceWindow: mw ? { customWindow: mw.customWindow ?? null, dayOfWeek: mw.dayOfWeek ?? null, startHour: mw.startHour ?? null, startMinute: mw.startMinute ?? null } : null,
    publicNetworkAccess: s.network?.publicNetworkAccess ?? null,
  };
}

function readCaptured(item: RecoveryPointItemRef, label: string): FlexCaptured {
  const m = item.metadata as Partial<FlexCaptured>;
  if (!m || typeof m.name !== 'string' || typeof m.sourceId !== 'string' || !m.settings || typeof m.replica?.id !== 'string') throw unreadablePoint(label);
  return m as FlexCaptured;
}

/** The settings PATCH for a point, against what the server has now (storage only grows; unchanged keys left out). */
function settingsPatch(want: FlexSettings, have: FlexServer, tags: Record<string, string>): FlexPatch {
  const patch: FlexPatch = { tags };
  if (want.sku && (have.sku?.name !== want.sku.name || (want.sku.tier && have.sku?.tier !== want.sku.tier))) patch.sku = { name: want.sku.name, ...(want.sku.tier ? { tier: want.sku.tier } : {}) };
  const storage: NonNullable<FlexPatch['storage']> = {};
  if (want.storageSizeGB !== null && want.storageSizeGB > (have.storage?.storageSizeGB ?? 0)) storage.storageSizeGB = want.storageSizeGB;
  if (want.storageAutoGrow !== null && want.storageAutoGrow !== have.storage?.autoGrow) storage.autoGrow = want.storageAutoGrow;
  if (Object.keys(storage).length) patch.storage = storage;
  if (want.backupRetentionDays !== null && want.backupRetentionDays !== have.backup?.backupRetentionDays) patch.backup = { backupRetentionDays: want.backupRetentionDays };
  if (want.highAvailability !== null && want.highAvailability !== (have.highAvailability?.mode ?? 'Disabled')) patch.highAvailability = { mode: want.highAvailability };
  const mw = want.maintenanceWindow;
  if (mw && mw.customWindow !== null && JSON.stringify(settingsOf(have).maintenanceWindow) !== JSON.stringify(mw)) {
    patch.maintenanceWindow = {
      customWindow: mw.customWindow,
      ...(mw.dayOfWeek !== null ? { dayOfWeek: mw.dayOfWeek } : {}),
      ...(mw.startHour !== null ? { startHour: mw.startHour } : {}),
      ...(mw.startMinute !== null ? { startMinute: mw.startMinute } : {}),
    };
  }
  return patch;
}

/** What the server read back does not carry of the point: one sentence each. */
function differences(want: FlexSettings, have: FlexServer): string[] {
  const out: string[] = [];
  if (want.version && have.version && want.version !== have.version) out.push(`runs version ${have.version}, not ${want.version}`);
  if (want.sku && have.sku?.name !== want.sku.name) out.push(`runs as ${have.sku?.name ?? 'an unknown size'}, not ${want.sku.name}`);
  if (want.storageSizeGB !== null && (have.storage?.storageSizeGB ?? 0) < want.storageSizeGB) out.push(`has ${have.storage?.storageSizeGB ?? 0} GiB of storage, not ${want.storageSizeGB} GiB`);
  if (want.storageAutoGrow !== null && have.storage?.autoGrow !== want.storageAutoGrow) out.push(`has storage auto-grow ${have.storage?.autoGrow ?? 'unset'}, not ${want.storageAutoGrow}`);
  if (want.backupRetentionDays !== null && have.backup?.backupRetentionDays !== want.backupRetentionDays) out.push(`keeps backups ${have.backup?.backupRetentionDays ?? 'an unknown number of'} days, not ${want.backupRetentionDays}`);
  // Geo-redundant backup is chosen when a server is created and cannot be changed afterwards.
  if (want.geoRedundantBackup !== null && have.backup?.geoRedundantBackup && have.backup.geoRedundantBackup !== want.geoRedundantBackup) out.push(`has geo-redundant backup ${have.backup.geoRedundantBackup}, not ${want.geoRedundantBackup} (set only when a server is created)`);
  if (want.highAvailability !== null && (have.highAvailability?.mode ?? 'Disabled') !== want.highAvailability) out.push(`has high availability ${have.highAvailability?.mode ?? 'Disabled'}, not ${want.highAvailability}`);
  return out;
}

const adoptIf = (s: FlexServer, done: (s: FlexServer) => boolean) => (done(s) ? s : undefined);

export function createFlexibleServerHandler(az: AzureContext, engine: FlexEngine): ResourceHandler {
  const ns = engine.namespace;
  const readAction = FAMILY_READ(ns);
  const writeAction = FAMILY_WRITE(ns);

  const find = (ctx: CallContext, env: EnvRef, group: string, name: string) => az.lookup(ctx, env, readAction, (signal) => engine.get(az, env, group, name, signal));
  const findById = (ctx: CallContext, env: EnvRef, id: string) => {
    const p = parseArmId(id, `a ${engine.label} flexible server`);
    return find(ctx, env, p.resourceGroup, p.name);
  };

  /** The server, or a sentence that says where it went. */
  async function mustFind(ctx: CallContext, env: EnvRef, id: string, what: string): Promise<FlexServer> {
    const s = await findById(ctx, env, id);
    if (!s) throw new ProviderFailure('NotFound', `${what} ${parseArmId(id, 'a server').name} is missing from ${env.region}; it may have been deleted outside the console. Run a replication, then retry.`);
    return s;
  }

  /** A create under armLro: the deterministic name is the intent; a crash before ARM answered finds it by name. */
  function create(ctx: StepContext, env: EnvRef, opKey: string, group: string, name: string, body: FlexServer & { createMode: string; sourceServerResourceId: string }) {
    return armLro(az, ctx, env, opKey, {
      action: writeAction,
      intent: { name, group, createMode: body.createMode, source: body.sourceServerResourceId },
      start: (signal) => engine.create(az, env, group, name, body, { signal }),
      restore: (state, signal) => engine.create(az, env, group, name, body, { signal, resumeFrom: state }),
      lookup: (signal) => engine.get(az, env, group, name, signal),
      stateOf: provisioningOf,
      project: (s: FlexServer) => ({ id: s.id ?? '', name }),
    });
  }

  function update(ctx: StepContext, env: EnvRef, opKey: string, id: string, body: FlexPatch | Record<string, unknown>, done?: (s: FlexServer) => boolean) {
    const { resourceGroup: group, name } = parseArmId(id, `a ${engine.label} flexible server`);
    return armLro(az, ctx, env, opKey, {
      action: writeAction,
      // The body depends on what the server has now, which a replay sees changed: the intent is the op and the server.
      intent: { id, update: opKey },
      start: (signal) => engine.update(az, env, group, name, body, { signal }),
      restore: (state, signal) => engine.update(az, env, group, name, body, { signal, resumeFrom: state }),
      // A PATCH sent before a crash is adopted only when its effect shows; otherwise it is sent again (it is idempotent).
      ...(done ? { lookup: async (signal: AbortSignal) => adoptIf(await engine.get(az, env, group, name, signal), done) } : {}),
      stateOf: provisioningOf,
      project: (s: FlexServer) => ({ id: s.id ?? id, state: s.state ?? null }),
    });
  }

  /** Stops a replica's replication (it becomes standalone); nothing to do for a server already standalone. */
  async function promote(ctx: StepContext, env: EnvRef, id: string, opKey: string): Promise<void> {
    const s = await mustFind(ctx, env, id, `The ${engine.label} server`);
    if (!engine.isReplica(s)) return;
    ctx.progress(`Stopping replication of ${s.name ?? id}: it becomes a standalone server in ${env.region}`);
    await update(ctx, env, opKey, id, engine.stopReplication, (now) => !engine.isReplica(now));
  }

  async function capture(ctx: StepContext, ref: ProtectedResourceRef): Promise<{ source: FlexServer; meta: Omit<FlexCaptured, 'replica'> }> {
    const source = await findById(ctx, ctx.source, ref.nativeId);
    if (!source) throw new ProviderFailure('NotFound', `${engine.label} flexible server ${ref.name} is gone from ${ctx.source.region}; remove it from the policy or restore it.`);
    if (engine.isReplica(source)) throw new ProviderFailure('PreconditionFailed', `${engine.label} flexible server ${ref.name} is itself a read replica; protect its source server instead.`);
    return {
      source,
      meta: { name: source.name ?? ref.name, sourceId: source.id ?? ref.nativeId, sourceLocation: source.location, tags: customerTags(source.tags), settings: settingsOf(source) },
    };
  }

  /** The policy's replica in the target: found by its name, or created as a read replica of the source. */
  async function ensureReplica(ctx: StepContext, meta: Omit<FlexCaptured, 'replica'>): Promise<{ id: string; name: string }> {
    const env = ctx.target;
    const group = armScopeOf(env).resourceGroup;
    const name = replicaName(parseArmId(meta.sourceId, `a ${engine.label} flexible server`).name, meta.sourceId, ctx.policyId);
    const existing = await find(ctx, env, group, name);
    if (existing) {
      if (existing.tags?.[DR_TAG.policy] !== ctx.policyId) throw taken(`${engine.label} server`, name, `${env.region} (${group})`, `this policy's replica of ${meta.name}`);
      if (!engine.isReplica(existing) || (existing.sourceServerResourceId ?? '').toLowerCase() !== meta.sourceId.toLowerCase()) {
        throw new ProviderFailure('Conflict', `${engine.label} server ${name} in ${env.region} no longer replicates from ${meta.name} (its replication was stopped outside a failover). Delete it, then run a replication to make a new replica.`);
      }
      // Ready: nothing to do. Still provisioning (an earlier attempt's create): the journaled create below resumes and waits.
      if (provisioningOf(existing) === 'Succeeded') return { id: existing.id ?? '', name };
    }
    ctx.progress(`Creating read replica ${name} of ${meta.name} in ${env.region}`);
    return create(ctx, env, 'create-read-replica', group, name, {
      location: env.region,
      createMode: 'Replica',
      sourceServerResourceId: meta.sourceId,
      tags: { ...meta.tags, ...drTags(ctx, 'replication', meta.sourceId) },
    });
  }

  return {
    type: engine.type,
    usesLatestPoint: true,

    async discover(ctx: DiscoverContext): Promise<DiscoveredResource[]> {
      const { resourceGroup } = armScopeOf(ctx.env);
      const servers = await az.list(ctx, ctx.env, readAction, (signal) => engine.listByGroup(az, ctx.env, resourceGroup, signal));
      return servers
        .filter((s) => sameLocation(s.location, ctx.env.region) && !engine.isReplica(s) && !isConsoleMade(s.tags) && s.id && s.name)
        .map((s) => ({
          type: engine.type,
          nativeId: s.id!,
          name: s.name!,
          region: ctx.env.region,
          tags: customerTags(s.tags),
          summary: `${engine.label} ${s.version ?? '?'}, ${s.sku?.name ?? 'unknown size'}${s.storage?.storageSizeGB ? `, ${s.storage.storageSizeGB} GiB` : ''}`.slice(0, 256),
        }));
    },

    async replicate(ref: ProtectedResourceRef, ctx: StepContext): Promise<CapturedItem> {
      const { meta } = await capture(ctx, ref);
      const replica = await ensureReplica(ctx, meta);
      const captured: FlexCaptured = { ...meta, replica };
      return { metadata: captured as unknown as Record<string, unknown>, dataRefs: [{ kind: 'Replica', id: replica.id, region: ctx.target.region }] };
    },

    async testFailover(item: RecoveryPointItemRef, ctx: StepContext): Promise<CreatedResource[]> {
      const meta = readCaptured(item, item.resource.name);
      const env = ctx.target;
      const group = armScopeOf(env).resourceGroup;
      const name = testName(meta.name, ctx);
      // An independent copy: a second replica of the source, promoted at once. The policy's replica
      // goes on replicating untouched.
      let copy = await find(ctx, env, group, name);
      // Absent, or still being created by an earlier attempt (the journaled create resumes and waits for it).
      if (!copy || provisioningOf(copy) !== 'Succeeded') {
        ctx.progress(`Creating test copy ${name} of ${meta.name} in ${env.region}`);
        await create(ctx, env, 'create-test-copy', group, name, {
          location: env.region,
          createMode: 'Replica',
          sourceServerResourceId: meta.sourceId,
          tags: { ...meta.tags, ...drTags(ctx, 'test', meta.sourceId) },
        });
        copy = await find(ctx, env, group, name);
      }
      if (!copy?.id) throw new ProviderFailure('ProviderUnavailable', `Test copy ${name} was created in ${env.region} and then could not be read; the console will retry.`);
      await promote(ctx, env, copy.id, 'promote-test-copy');
      const now = await mustFind(ctx, env, copy.id, 'Test copy');
      for (const d of differences(meta.settings, now)) ctx.warn?.(`Test copy ${name} in ${env.region} ${d} (the recovery point of ${meta.name} has it).`);
      return [{ kind: engine.kind, nativeId: copy.id, name, region: env.region, sourceId: meta.sourceId }];
    },

    async reset(created: CreatedResource, ctx: StepContext): Promise<void> {
      const env = ctx.target;
      const id = parseArmId(created.nativeId, `a ${engine.label} flexible server`);
      const s = await find(ctx, env, id.resourceGroup, id.name);
      if (!s) return;
      if (s.tags?.[DR_TAG.test] !== 'true') throw notATestResource(`${engine.label} server`, id.name);
      ctx.progress(`Deleting test copy ${id.name}`);
      await armDelete(az, ctx, env, `delete-test-copy:${id.name}`, {
        action: FAMILY_DELETE(ns),
        intent: { id: created.nativeId },
        start: (signal) => engine.remove(az, env, id.resourceGroup, id.name, { signal }),
        restore: (state, signal) => engine.remove(az, env, id.resourceGroup, id.name, { signal, resumeFrom: state }),
        exists: async (signal) => (await find({ ...ctx, signal }, env, id.resourceGroup, id.name)) !== undefined,
      });
    },

    async failover(item: RecoveryPointItemRef, ctx: StepContext): Promise<ResourceMappingEntry[]> {
      const meta = readCaptured(item, item.resource.name);
      const env = ctx.target;
      const label = `${engine.label} server ${meta.replica.name}`;
      await promote(ctx, env, meta.replica.id, 'stop-replication');
      const standalone = await mustFind(ctx, env, meta.replica.id, `The replica`);
      // Stopping replication is what the product document promises: a server still replicating fails the step.
      if (engine.isReplica(standalone)) {
        throw new ProviderFailure('ProviderError', `${label} in ${env.region} still replicates from ${meta.name} after replication was stopped; the console will retry.`);
      }
      const tags = { ...meta.tags, ...drTags(ctx, 'failover', meta.sourceId) };
      ctx.progress(`Applying the recovery point's settings to ${meta.replica.name}`);
      await update(ctx, env, 'apply-settings', meta.replica.id, settingsPatch(meta.settings, standalone, tags));
      const now = await mustFind(ctx, env, meta.replica.id, 'The promoted server');
      for (const d of differences(meta.settings, now)) ctx.warn?.(`${label} in ${env.region} ${d} (the recovery point of ${meta.name} has it).`);
      for (const w of missingTags(`${label} in ${env.region}`, now.tags, tags)) ctx.warn?.(w);
      // The source's list of replicas, read in the source region: it may be down (the reason to fail
      // over), so a failed read is a warning, never a failed failover.
      try {
        const src = parseArmId(meta.sourceId, `a ${engine.label} flexible server`);
        const still = await az.list(ctx, ctx.source, readAction, (signal) => engine.replicas(az, ctx.source, src.resourceGroup, src.name, signal));
        if (still.some((r) => (r.id ?? '').toLowerCase() === meta.replica.id.toLowerCase())) ctx.warn?.(`${meta.name} in ${ctx.source.region} still lists ${meta.replica.name} as its replica.`);
      } catch (err) {
        ctx.warn?.(`Could not read the replicas of ${meta.name} in ${ctx.source.region} (${err instanceof Error ? err.message : String(err)}); check there that ${meta.replica.name} is no longer listed.`);
      }
      return [{ sourceId: meta.sourceId, kind: engine.kind, name: meta.replica.name, targetId: now.id ?? meta.replica.id, reused: true }];
    },

    async stopReplication(ref: ProtectedResourceRef, ctx: StepContext): Promise<void> {
      const group = armScopeOf(ctx.target).resourceGroup;
      const name = replicaName(parseArmId(ref.nativeId, `a ${engine.label} flexible server`).name, ref.nativeId, ctx.policyId);
      const replica = await find(ctx, ctx.target, group, name);
      if (!replica?.id || replica.tags?.[DR_TAG.policy] !== ctx.policyId) return;
      await promote(ctx, ctx.target, replica.id, 'stop-replication');
    },
  };
}
