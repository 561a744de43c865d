// Azure SQL databases: the policy keeps a geo-secondary of the database on a server of its own in the
// target (created when missing, deterministic name), and each recovery point holds the database's
// settings. Test failover copies the geo-secondary under a test name; failover makes the geo-secondary
// primary through its replication link (planned, or forced when the primary cannot answer) and applies
// the selected point's settings to it. Every long-running call goes through the journal (lro.ts).

import { randomBytes } from 'node:crypto';
import type { Database, DatabaseUpdate, ReplicationLink, Server, SqlManagementClient } from '@azure/arm-sql';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, DiscoverContext, EnvRef, ProtectedResourceRef, RecoveryPointItemRef, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import { armScopeOf, type AzureContext, type CallContext } from './clients';
import { DR_TAG, drTagRecord, sameLocation, userTags, parseTypedId, targetSqlServerName, testDatabaseName } from './data-naming';
import { armDelete, armLro, v2Poller } from './lro';

/** The database settings a point carries and a failover applies (null: the source did not say). */
export interface SqlSettings {
  maxSizeBytes: number | null;
  zoneRedundant: boolean | null;
  readScale: string | null;
  licenseType: string | null;
  requestedBackupStorageRedundancy: string | null;
  collation: string | null;
}

export interface SqlCapture {
  /** The source database's ARM id, server, resource group and location. */
  databaseId: string;
  database: string;
  server: string;
  resourceGroup: string;
  location: string;
  sku: { name: string; tier: string | null; capacity: number | null; family: string | null } | null;
  tags: Record<string, string>;
  settings: SqlSettings;
  /** Where the policy's geo-secondary lives. */
  targetServer: string;
  targetServerId: string;
  targetResourceGroup: string;
  secondaryId: string;
  /** The replication link's name (the same on both databases), when ARM listed it. */
  linkName: string | null;
}

const SETTING_KEYS = ['maxSizeBytes', 'zoneRedundant', 'readScale', 'licenseType', 'requestedBackupStorageRedundancy'] as const;


function parseDbId(id: string) {
  const p = parseTypedId(id, 'Microsoft.Sql', ['servers', 'databases'], 'an Azure SQL database');
  return { resourceGroup: p.resourceGroup, server: p.names[0]!, database: p.names[1]! };
}

/** SQL reports `state`/`status`, not provisioningState: map them for the journal's read-back. */
const serverState = (s: Server) => (s.state === 'Ready' ? 'Succeeded' : s.state === 'Disabled' ? 'Failed' : (s.state ?? 'Succeeded'));
const databaseState = (d: Database) =>
  d.status === 'Online' || d.status === 'Paused' || d.status === 'AutoClosed' ? 'Succeeded' : d.status === 'Offline' || d.status === 'Disabled' ? 'Failed' : (d.status ?? 'Succeeded');

function settingsOf(d: Database): SqlSettings {
  return {
    maxSizeBytes: d.maxSizeBytes ?? null,
    zoneRedundant: d.zoneRedundant ?? null,
    readScale: d.readScale ?? null,
    licenseType: d.licenseType ?? null,
    requestedBackupStorageRedundancy: d.requestedBackupStorageRedundancy ?? null,
    collation: d.collation ?? null,
  };
}

/** The settings a PUT or PATCH can carry (collation is fixed at creation; a copy and a secondary inherit it). */
function settingsBody(s: SqlSettings): Partial<DatabaseUpdate> {
  const out: Record<string, unknown> = {};
  for (const k of SETTING_KEYS) if (s[k] !== null) out[k] = s[k];
  return out as Partial<DatabaseUpdate>;
}

function readCapture(item: RecoveryPointItemRef): SqlCapture {
  const m = item.metadata as Partial<SqlCapture>;
  if (!m.databaseId || !m.secondaryId || !m.targetServer || !m.targetResourceGroup || !m.settings) {
    throw new ProviderFailure('PreconditionFailed', `The recovery point of SQL database ${item.resource.name} does not name its geo-secondary; choose a later recovery point.`);
  }
  return m as SqlCapture;
}

/** Compares a database read back with the point; one sentence per setting that did not carry. */
export function compareDatabase(db: Database, cap: SqlCapture, wantTags: Record<string, string>, region: string): string[] {
  const out: string[] = [];
  const said = (what: string) => out.push(`SQL database ${db.name ?? '?'} in ${region} ${what} (from ${cap.database}'s recovery point).`);
  if (cap.sku && db.sku?.name !== cap.sku.name) said(`runs as ${db.sku?.name ?? 'an unknown SKU'}, not ${cap.sku.name}`);
  const now = settingsOf(db);
  for (const k of [...SETTING_KEYS, 'collation'] as const) {
    if (cap.settings[k] !== null && now[k] !== cap.settings[k]) said(`has ${k} ${String(now[k])} instead of ${String(cap.settings[k])}`);
  }
  const missing = Object.entries(wantTags).filter(([k, v]) => db.tags?.[k] !== v).map(([k]) => k);
  if (missing.length) said(`lacks the tag${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`);
  return out;
}

/** What failing over from this point will not carry, known from the point alone (the confirmation shows it). */
export function foreseeSqlDatabase(item: RecoveryPointItemRef): string[] {
  const m = item.metadata as Partial<SqlCapture>;
  if (!m.targetServer) return [];
  const db = m.database ?? item.resource.name;
  return [
    `If ${m.server ?? 'the primary server'} cannot take part, the failover of ${db} is forced: transactions not yet replicated to ${m.targetServer} are lost.`,
    `Server-level logins of ${m.server ?? 'the source server'} do not replicate; users contained in ${db} do.`,
  ];
}

export function createSqlDatabaseHandler(az: AzureContext): ResourceHandler {
  const sql = (env: EnvRef): SqlManagementClient => az.sql(env);
  const A = {
    serverRead: 'Microsoft.Sql/servers/read',
    serverWrite: 'Microsoft.Sql/servers/write',
    dbRead: 'Microsoft.Sql/servers/databases/read',
    dbWrite: 'Microsoft.Sql/servers/databases/write',
    dbDelete: 'Microsoft.Sql/servers/databases/delete',
    linkRead: 'Microsoft.Sql/servers/databases/replicationLinks/read',
    linkFailover: 'Microsoft.Sql/servers/databases/replicationLinks/failover/action',
    linkForce: 'Microsoft.Sql/servers/databases/replicationLinks/forceFailoverAllowDataLoss/action',
    linkDelete: 'Microsoft.Sql/servers/databases/replicationLinks/delete',
  };
  const report = (ctx: StepContext, warnings: string[]) => {
    for (const w of warnings) ctx.warn?.(w);
  };

  const getDb = (ctx: CallContext, env: EnvRef, rg: string, server: string, db: string) =>
    az.lookup(ctx, env, A.dbRead, (signal) => sql(env).databases.get(rg, server, db, { abortSignal: signal }));
  const links = (ctx: CallContext, env: EnvRef, rg: string, server: string, db: string) =>
    az.list(ctx, env, A.linkRead, (signal) => sql(env).replicationLinks.listByDatabase(rg, server, db, { abortSignal: signal })).catch((err: unknown) => {
      if (err instanceof ProviderFailure && err.code === 'NotFound') return [] as ReplicationLink[];
      throw err;
    });

  /** The target server the policy keeps its geo-secondaries on: made when missing, like the source's. */
  async function ensureTargetServer(ctx: StepContext, source: Server, name: string): Promise<{ id: string; name: string }> {
    const env = ctx.target;
    const rg = armScopeOf(env).resourceGroup;
    const found = await az.lookup(ctx, env, A.serverRead, (signal) => sql(env).servers.get(rg, name, { abortSignal: signal }));
    if (found?.id && serverState(found) === 'Succeeded') return { id: found.id, name };
    const admins = source.administrators;
    // A SQL server needs an administrator. With Entra-only authentication the source's Entra admin is
    // reused; otherwise the source's login with a new random password, never journaled or stored:
    // the operator resets it (the geo-secondary's own users replicate from the primary).
    const body: Server = {
      location: env.region,
      version: source.version ?? '12.0',
      tags: drTagRecord(ctx, { role: 'replication', sourceId: source.id ?? source.name ?? '' }),
      ...(source.minimalTlsVersion ? { minimalTlsVersion: source.minimalTlsVersion } : {}),
      ...(source.publicNetworkAccess ? { publicNetworkAccess: source.publicNetworkAccess } : {}),
      ...(admins?.azureADOnlyAuthentication
        ? { administrators: { administratorType: 'ActiveDirectory', login: admins.login, sid: admins.sid, tenantId: admins.tenantId, principalType: admins.principalType, azureADOnlyAuthentication: true } }
        : { administratorLogin: source.administratorLogin ?? 'drconsoleadmin', administratorLoginPassword: `${randomBytes(24).toString('base64url')}Aa1!` }),
    };
    const made = await armLro(az, ctx, env, `sql-server:${name}`, {
      action: A.serverWrite,
      intent: { resourceGroup: rg, server: name, sourceServer: source.name },
      start: async (signal) => v2Poller(await sql(env).servers.beginCreateOrUpdate(rg, name, body, az.pollOptions(signal))),
      restore: async (state, signal) => v2Poller(await sql(env).servers.beginCreateOrUpdate(rg, name, body, { ...az.pollOptions(signal), resumeFrom: state })),
      lookup: (signal) => sql(env).servers.get(rg, name, { abortSignal: signal }),
      stateOf: serverState,
      project: (s) => ({ id: s.id ?? '', name }),
    });
    if (!admins?.azureADOnlyAuthentication) {
      ctx.warn?.(`SQL server ${name} was created in ${env.region} with a new password for its administrator ${body.administratorLogin ?? ''}; reset it in the Azure portal before anyone signs in with it.`);
    }
    return made;
  }

  /** The link on a database whose partner is the given server and database. */
  const linkTo = (all: ReplicationLink[], server: string, database: string) =>
    all.find((l) => l.partnerServer?.toLowerCase() === server.toLowerCase() && l.partnerDatabase?.toLowerCase() === database.toLowerCase());

  async function discover(ctx: DiscoverContext): Promise<DiscoveredResource[]> {
    const env = ctx.env;
    const rg = armScopeOf(env).resourceGroup;
    const servers = await az.list(ctx, env, A.serverRead, (signal) => sql(env).servers.listByResourceGroup(rg, { abortSignal: signal }));
    const out: DiscoveredResource[] = [];
    for (const s of servers) {
      if (!s.name || !sameLocation(s.location, env.region)) continue;
      if (s.tags?.[DR_TAG.policy]) continue; // a server the console made for geo-secondaries
      const dbs = await az.list(ctx, env, A.dbRead, (signal) => sql(env).databases.listByServer(rg, s.name!, { abortSignal: signal }));
      for (const d of dbs) {
        if (!d.id || !d.name || d.name === 'master') continue;
        if (d.tags?.[DR_TAG.policy] || d.tags?.[DR_TAG.test]) continue;
        const role = d.secondaryType ? `${d.secondaryType.toLowerCase()} secondary` : 'primary';
        out.push({
          type: 'azure.sql-database',
          nativeId: d.id,
          name: d.name,
          region: env.region,
          tags: userTags(d.tags),
          summary: `${d.sku?.name ?? 'SQL database'} on ${s.name}, ${role}`.slice(0, 256),
        });
      }
    }
    return out;
  }

  async function replicate(resource: ProtectedResourceRef, ctx: StepContext): Promise<CapturedItem> {
    const src = ctx.source;
    const { resourceGroup, server, database } = parseDbId(resource.nativeId);
    const db = await getDb(ctx, src, resourceGroup, server, database);
    if (!db?.id) throw new ProviderFailure('NotFound', `SQL database ${database} on server ${server} no longer exists; remove it from the policy or restore it.`);
    if (db.secondaryType) throw new ProviderFailure('PreconditionFailed', `SQL database ${database} on server ${server} is itself a ${db.secondaryType} secondary; protect its primary instead.`);
    const srcServer = await az.read(ctx, src, A.serverRead, (signal) => sql(src).servers.get(resourceGroup, server, { abortSignal: signal }));

    const targetRg = armScopeOf(ctx.target).resourceGroup;
    const targetName = targetSqlServerName(server, ctx.target.region, ctx.policyId);
    const target = await ensureTargetServer(ctx, srcServer, targetName);

    // The geo-secondary has the primary's name, on the policy's server in the target.
    let secondary = await getDb(ctx, ctx.target, targetRg, targetName, database);
    if (secondary && !linkTo(await links(ctx, ctx.target, targetRg, targetName, database), server, database)) {
      throw new ProviderFailure('Conflict', `SQL database ${database} already exists on server ${targetName} in ${ctx.target.region} and is not a geo-secondary of ${server}/${database}; delete or rename it, then replicate again.`);
    }
    if (!secondary || databaseState(secondary) !== 'Succeeded') {
      const body: Database = {
        location: ctx.target.region,
        createMode: 'Secondary',
        secondaryType: 'Geo',
        sourceDatabaseId: db.id,
        ...(db.sku ? { sku: db.sku } : {}),
        tags: { ...userTags(db.tags), ...drTagRecord(ctx, { role: 'replication', sourceId: db.id }) },
      };
      const env = ctx.target;
      await armLro(az, ctx, env, `sql-geo-secondary:${targetName}/${database}`, {
        action: A.dbWrite,
        intent: { resourceGroup: targetRg, server: targetName, database, createMode: 'Secondary', sourceDatabaseId: db.id },
        start: async (signal) => v2Poller(await sql(env).databases.beginCreateOrUpdate(targetRg, targetName, database, body, az.pollOptions(signal))),
        restore: async (state, signal) => v2Poller(await sql(env).databases.beginCreateOrUpdate(targetRg, targetName, database, body, { ...az.pollOptions(signal), resumeFrom: state })),
        lookup: (signal) => sql(env).databases.get(targetRg, targetName, database, { abortSignal: signal }),
        stateOf: databaseState,
        project: (d) => ({ id: d.id ?? '' }),
      });
      secondary = await getDb(ctx, env, targetRg, targetName, database);
    }
    if (!secondary?.id) throw new ProviderFailure('ProviderError', `The geo-secondary of ${server}/${database} did not appear on ${targetName} in ${ctx.target.region}; replicate again.`);
    const link = linkTo(await links(ctx, ctx.target, targetRg, targetName, database), server, database);

    const metadata: SqlCapture = {
      databaseId: db.id,
      database,
      server,
      resourceGroup,
      location: db.location,
      sku: db.sku ? { name: db.sku.name, tier: db.sku.tier ?? null, capacity: db.sku.capacity ?? null, family: db.sku.family ?? null } : null,
      tags: userTags(db.tags),
      settings: settingsOf(db),
      targetServer: targetName,
      targetServerId: target.id,
      targetResourceGroup: targetRg,
      secondaryId: secondary.id,
      linkName: link?.name ?? null,
    };
    return {
      metadata: { ...metadata },
      dataRefs: [
        { kind: 'SqlDatabase', id: secondary.id, region: ctx.target.region },
        ...(link?.name ? [{ kind: 'ReplicationLink', id: link.name, region: ctx.target.region }] : []),
      ],
    };
  }

  async function testFailover(item: RecoveryPointItemRef, ctx: StepContext): Promise<CreatedResource[]> {
    const cap = readCapture(item);
    const env = ctx.target;
    const rg = cap.targetResourceGroup;
    const secondary = await getDb(ctx, env, rg, cap.targetServer, cap.database);
    if (!secondary?.id) throw new ProviderFailure('PreconditionFailed', `The geo-secondary of ${cap.server}/${cap.database} is gone from ${cap.targetServer} in ${env.region}; run a replication first.`);
    // A copy of the geo-secondary: an independent database; the geo-replication is not touched.
    const name = testDatabaseName(cap.database, ctx);
    const tags = { ...cap.tags, ...drTagRecord(ctx, { role: 'test', sourceId: cap.databaseId }) };
    const body: Database = {
      location: env.region,
      createMode: 'Copy',
      sourceDatabaseId: secondary.id,
      ...(cap.sku ? { sku: { name: cap.sku.name, ...(cap.sku.tier ? { tier: cap.sku.tier } : {}), ...(cap.sku.capacity !== null ? { capacity: cap.sku.capacity } : {}) } } : {}),
      ...settingsBody(cap.settings),
      tags,
    };
    ctx.progress(`Copying ${cap.database} to ${name} on ${cap.targetServer}`);
    const copy = await armLro(az, ctx, env, `sql-test-copy:${cap.targetServer}/${name}`, {
      action: A.dbWrite,
      intent: { resourceGroup: rg, server: cap.targetServer, database: name, createMode: 'Copy', sourceDatabaseId: secondary.id },
      start: async (signal) => v2Poller(await sql(env).databases.beginCreateOrUpdate(rg, cap.targetServer, name, body, az.pollOptions(signal))),
      restore: async (state, signal) => v2Poller(await sql(env).databases.beginCreateOrUpdate(rg, cap.targetServer, name, body, { ...az.pollOptions(signal), resumeFrom: state })),
      lookup: (signal) => sql(env).databases.get(rg, cap.targetServer, name, { abortSignal: signal }),
      stateOf: databaseState,
      project: (d) => ({ id: d.id ?? '' }),
    });
    const back = await getDb(ctx, env, rg, cap.targetServer, name);
    if (back) report(ctx, compareDatabase(back, cap, tags, env.region));
    return [{ kind: 'SqlDatabase', nativeId: copy.id || `${cap.targetServerId}/databases/${name}`, name, region: env.region, sourceId: cap.databaseId }];
  }

  async function reset(created: CreatedResource, ctx: StepContext): Promise<void> {
    if (created.kind !== 'SqlDatabase') return;
    const env = { ...ctx.target, region: created.region || ctx.target.region };
    const { resourceGroup, server, database } = parseDbId(created.nativeId);
    const db = await getDb(ctx, env, resourceGroup, server, database);
    if (!db) return;
    // Reset deletes test copies only: a database without the console's test tag is never touched.
    if (db.tags?.[DR_TAG.test] !== 'true') {
      throw new ProviderFailure('PreconditionFailed', `SQL database ${database} on ${server} is not a test copy made by the console (no ${DR_TAG.test} tag); Reset leaves it alone.`);
    }
    await armDelete(az, ctx, env, `sql-delete:${server}/${database}`, {
      action: A.dbDelete,
      intent: { resourceGroup, server, database },
      start: async (signal) => v2Poller(await sql(env).databases.beginDelete(resourceGroup, server, database, az.pollOptions(signal))),
      restore: async (state, signal) => v2Poller(await sql(env).databases.beginDelete(resourceGroup, server, database, { ...az.pollOptions(signal), resumeFrom: state })),
      exists: async (signal) => (await getDb({ ...ctx, signal }, env, resourceGroup, server, database)) !== undefined,
    });
  }

  /** Makes the geo-secondary primary: a planned failover, forced (allowing data loss) when the primary cannot take part. */
  async function makePrimary(ctx: StepContext, cap: SqlCapture, link: ReplicationLink): Promise<void> {
    const env = ctx.target;
    const rg = cap.targetResourceGroup;
    const linkName = link.name!;
    const isPrimary = async (signal: AbortSignal) => {
      const l = await sql(env).replicationLinks.get(rg, cap.targetServer, cap.database, linkName, { abortSignal: signal });
      return l.role === 'Primary' ? l : undefined;
    };
    const run = (forced: boolean) =>
      armLro(az, ctx, env, `sql-${forced ? 'forced-' : ''}failover:${cap.targetServer}/${cap.database}`, {
        action: forced ? A.linkForce : A.linkFailover,
        intent: { resourceGroup: rg, server: cap.targetServer, database: cap.database, link: linkName, forced },
        start: async (signal) =>
          v2Poller(
            forced
              ? await sql(env).replicationLinks.beginFailoverAllowDataLoss(rg, cap.targetServer, cap.database, linkName, az.pollOptions(signal))
              : await sql(env).replicationLinks.beginFailover(rg, cap.targetServer, cap.database, linkName, az.pollOptions(signal)),
          ),
        restore: async (state, signal) =>
          v2Poller(
            forced
              ? await sql(env).replicationLinks.beginFailoverAllowDataLoss(rg, cap.targetServer, cap.database, linkName, { ...az.pollOptions(signal), resumeFrom: state })
              : await sql(env).replicationLinks.beginFailover(rg, cap.targetServer, cap.database, linkName, { ...az.pollOptions(signal), resumeFrom: state }),
          ),
        lookup: isPrimary,
        project: (l) => ({ role: l.role ?? null }),
      });
    const forcedBefore = ctx.operations().some((o) => o.opKey.startsWith('sql-forced-failover:'));
    if (!forcedBefore) {
      try {
        await run(false);
        return;
      } catch (err) {
        // A planned failover needs the primary: when it cannot answer (its region is down) the forced one
        // is what is left. Permission, sign-in, validation and conflict (another operation under way)
        // errors are the operator's to fix or wait out instead: they never cost data.
        const retryForced = err instanceof ProviderFailure && ['ProviderError', 'ProviderUnavailable', 'ProviderOffline'].includes(err.code) && !ctx.signal.aborted;
        if (!retryForced) throw err;
        ctx.warn?.(`The planned failover of ${cap.database} could not reach its primary ${cap.server} (${err.message}); it was forced, so changes not yet replicated to ${cap.targetServer} are lost.`);
      }
    }
    await run(true);
  }

  async function failover(item: RecoveryPointItemRef, ctx: StepContext): Promise<ResourceMappingEntry[]> {
    const cap = readCapture(item);
    const env = ctx.target;
    const rg = cap.targetResourceGroup;
    const db = await getDb(ctx, env, rg, cap.targetServer, cap.database);
    if (!db?.id) throw new ProviderFailure('PreconditionFailed', `The geo-secondary of ${cap.server}/${cap.database} is missing on ${cap.targetServer} in ${env.region}; it cannot be failed over.`);

    ctx.progress(`Making ${cap.database} on ${cap.targetServer} primary`);
    const all = await links(ctx, env, rg, cap.targetServer, cap.database);
    const link = (cap.linkName ? all.find((l) => l.name === cap.linkName) : undefined) ?? linkTo(all, cap.server, cap.database);
    if (link?.name && link.role !== 'Primary') await makePrimary(ctx, cap, link);
    else if (!link && db.secondaryType) {
      throw new ProviderFailure('ProviderError', `SQL database ${cap.database} on ${cap.targetServer} is a ${db.secondaryType} secondary without a replication link to fail over; check it in the Azure portal.`);
    }

    ctx.progress(`Applying the settings of ${cap.database}'s recovery point`);
    const tags = { ...cap.tags, ...drTagRecord(ctx, { role: 'failover', sourceId: cap.databaseId }) };
    const patch: DatabaseUpdate = {
      ...(cap.sku ? { sku: { name: cap.sku.name, ...(cap.sku.tier ? { tier: cap.sku.tier } : {}), ...(cap.sku.capacity !== null ? { capacity: cap.sku.capacity } : {}) } } : {}),
      ...settingsBody(cap.settings),
      tags,
    };
    await armLro(az, ctx, env, `sql-apply:${cap.targetServer}/${cap.database}`, {
      action: A.dbWrite,
      intent: { resourceGroup: rg, server: cap.targetServer, database: cap.database, sku: cap.sku?.name ?? null },
      start: async (signal) => v2Poller(await sql(env).databases.beginUpdate(rg, cap.targetServer, cap.database, patch, az.pollOptions(signal))),
      restore: async (state, signal) => v2Poller(await sql(env).databases.beginUpdate(rg, cap.targetServer, cap.database, patch, { ...az.pollOptions(signal), resumeFrom: state })),
      project: (d) => ({ id: d.id ?? db.id }),
    });

    // Primary is what the product promises: read it back; a database still secondary fails the step.
    const back = await getDb(ctx, env, rg, cap.targetServer, cap.database);
    const nowLink = link?.name ? (await links(ctx, env, rg, cap.targetServer, cap.database)).find((l) => l.name === link.name) : undefined;
    if (!back || back.secondaryType || (nowLink && nowLink.role !== 'Primary')) {
      throw new ProviderFailure('ProviderError', `SQL database ${cap.database} on ${cap.targetServer} is still a secondary after the failover; retry the failover.`);
    }
    report(ctx, compareDatabase(back, cap, tags, env.region));
    const sourceServerId = cap.databaseId.replace(/\/databases\/[^/]+$/i, '');
    return [
      { sourceId: cap.databaseId, kind: 'SqlDatabase', name: cap.database, targetId: back.id ?? db.id, reused: true },
      { sourceId: sourceServerId, kind: 'SqlServer', name: cap.targetServer, targetId: cap.targetServerId, reused: true },
    ];
  }

  async function stopReplication(resource: ProtectedResourceRef, ctx: StepContext): Promise<void> {
    // Ending replication for good ends the geo-replication link; both databases stay (the target one
    // is the recovery data). No link (never made, or already ended): done.
    const { resourceGroup, server, database } = parseDbId(resource.nativeId);
    const targetRg = armScopeOf(ctx.target).resourceGroup;
    const targetServer = targetSqlServerName(server, ctx.target.region, ctx.policyId);
    const env = ctx.target;
    const link = linkTo(await links(ctx, env, targetRg, targetServer, database), server, database);
    if (!link?.name) return;
    const linkName = link.name;
    await armDelete(az, ctx, env, `sql-link-delete:${targetServer}/${database}`, {
      action: A.linkDelete,
      intent: { resourceGroup: targetRg, server: targetServer, database, link: linkName, source: `${resourceGroup}/${server}/${database}` },
      start: async (signal) => v2Poller(await sql(env).replicationLinks.beginDelete(targetRg, targetServer, database, linkName, az.pollOptions(signal))),
      restore: async (state, signal) => v2Poller(await sql(env).replicationLinks.beginDelete(targetRg, targetServer, database, linkName, { ...az.pollOptions(signal), resumeFrom: state })),
      exists: async (signal) => (await links({ ...ctx, signal }, env, targetRg, targetServer, database)).some((l) => l.name === linkName),
    });
  }

  return {
    type: 'azure.sql-database',
    usesLatestPoint: false,
    foresee: foreseeSqlDatabase,
    discover,
    replicate,
    testFailover,
    reset,
    failover,
    stopReplication,
  };
}
