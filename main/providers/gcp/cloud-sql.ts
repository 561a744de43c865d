// Cloud SQL instances (gcp.cloud-sql) through the Cloud SQL Admin API v1. Replication: a cross-region
// read replica of the instance in the target region (masterInstanceName, a name derived from the
// policy) plus the instance's settings in the point. Test failover: a second replica under a test
// name, promoted at once so it is an independent copy with the data (Reset deletes it); production
// replication is untouched. Failover (R6: always the LATEST point) promotes the policy's replica
// (instances.promoteReplica) and applies the point's settings to it. Every change is a Cloud SQL
// operation: its name is journaled as the op's handle and awaited through operations.get; a resumed
// step polls the journaled operation, or adopts the instance its deterministic name finds.

import type { sqladmin_v1 } from '@googleapis/sqladmin';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, EnvRef, OperationRecord, RecoveryPointItemRef, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import type { GcpContext } from './clients';
import { customerLabels, DR_LABEL, drLabels, GcpCalls, hashHex, projectOf, slug, testName, type GcpCallContext } from './step-calls';

const SQL = 'gcp.sqladmin';
type Instance = sqladmin_v1.Schema$DatabaseInstance;
type Settings = sqladmin_v1.Schema$Settings;

/** Settings a point carries and failover applies (zone-bound and read-only fields are left out). */
const CARRIED: readonly (keyof Settings)[] = [
  'tier',
  'edition',
  'availabilityType',
  'pricingPlan',
  'activationPolicy',
  'dataDiskSizeGb',
  'dataDiskType',
  'storageAutoResize',
  'storageAutoResizeLimit',
  'databaseFlags',
  'backupConfiguration',
  'ipConfiguration',
  'maintenanceWindow',
  'insightsConfig',
  'deletionProtectionEnabled',
];

export interface SqlCapture {
  instance: string;
  project: string;
  region: string;
  databaseVersion: string;
  labels: Record<string, string>;
  settings: Settings;
  replica: string;
  replicaProject: string;
}

/** The policy's read replica in the target region (Cloud SQL names: at most 98 characters). */
export function sqlReplicaName(instance: string, targetRegion: string, policyId: string): string {
  return `${slug(instance, 80)}-dr-${hashHex('sql-replica', policyId, instance, targetRegion).slice(0, 10)}`;
}

function carried(s: Settings | undefined): Settings {
  const out: Settings = {};
  for (const k of CARRIED) if (s?.[k] !== undefined && s[k] !== null) (out as Record<string, unknown>)[k] = JSON.parse(JSON.stringify(s[k])) as unknown;
  return out;
}

export interface CloudSqlOptions {
  /** Wait between polls of a running operation (the first poll is immediate). */
  pollIntervalMs?: number;
}

export function createCloudSqlHandler(gcp: GcpContext, opts: CloudSqlOptions = {}): ResourceHandler {
  const calls = new GcpCalls(gcp);
  const interval = opts.pollIntervalMs ?? 2_000;

  const getInstance = (ctx: GcpCallContext, env: EnvRef, name: string) =>
    calls.lookup(ctx, env, SQL, 'sql.instances.get', async (c, project, signal) => (await c.sql.instances.get({ project, instance: name }, { signal })).data);

  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((res, rej) => {
      if (signal.aborted) return rej(new ProviderFailure('Cancelled', 'The wait for a Cloud SQL operation was cancelled.'));
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        res();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        rej(new ProviderFailure('Cancelled', 'The wait for a Cloud SQL operation was cancelled.'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });

  /** Polls a Cloud SQL operation to DONE; its error becomes the step's failure. */
  async function awaitOperation(ctx: StepContext, env: EnvRef, operation: string, what: string): Promise<sqladmin_v1.Schema$Operation> {
    for (let n = 0; ; n++) {
      const op = await calls.read(ctx, env, SQL, 'sql.operations.get', async (c, project, signal) => (await c.sql.operations.get({ project, operation }, { signal })).data);
      if (op.status === 'DONE') {
        const e = op.error?.errors?.[0];
        if (e) throw new ProviderFailure('ProviderError', `Cloud SQL could not ${what} (operation ${operation}: ${e.code ?? 'error'}${e.message ? `, ${e.message}` : ''}).`);
        return op;
      }
      ctx.progress(`Waiting for Cloud SQL to ${what} (${op.status ?? 'PENDING'})`);
      await sleep(Math.min(interval * 2 ** Math.min(n, 3), 30_000), ctx.signal);
    }
  }

  /** Operations on an instance that have not finished (a call that went out before its handle was journaled). */
  async function awaitRunning(ctx: StepContext, env: EnvRef, name: string, what: string): Promise<void> {
    const list = await calls.read(ctx, env, SQL, 'sql.operations.list', async (c, project, signal) => (await c.sql.operations.list({ project, instance: name }, { signal })).data);
    for (const op of list.items ?? []) if (op.status !== 'DONE' && op.name) await awaitOperation(ctx, env, op.name, what);
  }

  /**
   * One Cloud SQL mutation: the call answers an operation, whose name is journaled at once and
   * awaited. On resume the journaled operation is polled; without one, `adopt` says whether what the
   * call would have made is there already (then its running operations are awaited).
   */
  function sqlMutate(
    ctx: StepContext,
    env: EnvRef,
    opKey: string,
    m: { action: string; what: string; intent: Record<string, unknown>; instance: string; adopt?: () => Promise<boolean>; absentOk?: boolean; call: (c: Awaited<ReturnType<GcpCalls['clients']>>, project: string, signal: AbortSignal) => Promise<sqladmin_v1.Schema$Operation> },
  ) {
    return calls.mutate(ctx, env, opKey, {
      family: SQL,
      action: m.action,
      intent: { instance: m.instance, ...m.intent },
      ...(m.absentOk ? { absentOk: true } : {}),
      resume: async (previous: OperationRecord) => {
        const operation = previous.handle?.operation;
        if (typeof operation === 'string') {
          await awaitOperation(ctx, env, operation, m.what);
          return { operation };
        }
        if (m.adopt && (await m.adopt())) {
          await awaitRunning(ctx, env, m.instance, m.what);
          return { operation: null };
        }
        return undefined;
      },
      call: async (signal, op) => {
        const c = await calls.clients(env);
        const started = await m.call(c, projectOf(env, c), signal);
        if (!started.name) throw new ProviderFailure('ProviderError', `Cloud SQL answered ${m.action} without an operation name.`);
        await op.handle({ operation: started.name });
        await awaitOperation(ctx, env, started.name, m.what);
        return { operation: started.name };
      },
    });
  }

  async function insertReplica(ctx: StepContext, env: EnvRef, name: string, src: Instance, srcProject: string, labels: Record<string, string>): Promise<void> {
    const targetProject = projectOf(env, await calls.clients(env));
    const master = srcProject === targetProject ? String(src.name) : `${srcProject}:${String(src.name)}`;
    const what = `create the read replica ${name}`;
    const existing = await getInstance(ctx, env, name);
    if (existing?.state === 'RUNNABLE') return;
    // Made by an attempt whose operation this journal does not hold: wait for what runs on it.
    if (existing && !ctx.operations().some((o) => o.opKey === `sql.instances.insert:${name}`)) return awaitRunning(ctx, env, name, what);
    await sqlMutate(ctx, env, `sql.instances.insert:${name}`, {
      action: 'sql.instances.insert',
      what,
      intent: { masterInstanceName: master, region: env.region },
      instance: name,
      adopt: async () => (await getInstance(ctx, env, name)) !== undefined,
      call: async (c, project, signal) =>
        (
          await c.sql.instances.insert(
            {
              project,
              requestBody: {
                name,
                masterInstanceName: master,
                region: env.region,
                ...(src.databaseVersion ? { databaseVersion: src.databaseVersion } : {}),
                settings: { ...(src.settings?.tier ? { tier: src.settings.tier } : {}), userLabels: { ...customerLabels(src.settings?.userLabels), ...labels } },
              },
            },
            { signal },
          )
        ).data,
    });
  }

  const promote = (ctx: StepContext, env: EnvRef, name: string) =>
    sqlMutate(ctx, env, `sql.instances.promoteReplica:${name}`, {
      action: 'sql.instances.promoteReplica',
      what: `promote ${name}`,
      intent: {},
      instance: name,
      adopt: async () => (await getInstance(ctx, env, name))?.instanceType === 'CLOUD_SQL_INSTANCE',
      call: async (c, project, signal) => (await c.sql.instances.promoteReplica({ project, instance: name }, { signal })).data,
    });

  /** A patch sets the fields it names: replaying it is harmless, so a resume without a handle calls again. */
  const applySettings = (ctx: StepContext, env: EnvRef, name: string, cap: SqlCapture, labels: Record<string, string>) =>
    sqlMutate(ctx, env, `sql.instances.patch:${name}`, {
      action: 'sql.instances.patch',
      what: `apply the settings of ${cap.instance} to ${name}`,
      intent: { fields: Object.keys(cap.settings) },
      instance: name,
      call: async (c, project, signal) =>
        (await c.sql.instances.patch({ project, instance: name, requestBody: { settings: { ...cap.settings, userLabels: { ...cap.labels, ...labels } } } }, { signal })).data,
    });

  /** Reads the instance back: not promoted fails the step; a setting not carried is a warning. */
  async function compare(ctx: StepContext, env: EnvRef, name: string, cap: SqlCapture, labels: Record<string, string>): Promise<Instance> {
    const now = await getInstance(ctx, env, name);
    if (!now) throw new ProviderFailure('ProviderError', `Cloud SQL instance ${name} is not there after failover in ${env.region}; retry the step.`);
    if (now.instanceType === 'READ_REPLICA_INSTANCE' || now.masterInstanceName) {
      throw new ProviderFailure('ProviderError', `Cloud SQL instance ${name} is still a read replica of ${now.masterInstanceName ?? 'its primary'} after it was promoted; retry the step.`);
    }
    const said = (what: string) => ctx.warn?.(`Cloud SQL instance ${name} ${what} (from ${cap.instance}'s recovery point).`);
    const s = now.settings ?? {};
    for (const k of ['tier', 'availabilityType', 'dataDiskType', 'activationPolicy', 'edition'] as const) {
      if (cap.settings[k] !== undefined && s[k] !== cap.settings[k]) said(`has ${k} ${String(s[k] ?? 'unset')}, not ${String(cap.settings[k])}`);
    }
    if (cap.settings.dataDiskSizeGb !== undefined && Number(s.dataDiskSizeGb ?? 0) < Number(cap.settings.dataDiskSizeGb)) said(`has a ${String(s.dataDiskSizeGb)} GB disk, not ${String(cap.settings.dataDiskSizeGb)} GB`);
    const flags = new Set((s.databaseFlags ?? []).map((f) => `${f.name}=${f.value}`));
    const lacking = (cap.settings.databaseFlags ?? []).filter((f) => !flags.has(`${f.name}=${f.value}`)).map((f) => f.name);
    if (lacking.length) said(`lacks the database flag${lacking.length === 1 ? '' : 's'} ${lacking.join(', ')}`);
    if (cap.settings.backupConfiguration?.enabled && !s.backupConfiguration?.enabled) said('does not have automated backups enabled');
    const have = s.userLabels ?? {};
    const missing = Object.entries({ ...cap.labels, ...labels }).filter(([k, v]) => have[k] !== v).map(([k]) => k);
    if (missing.length) said(`lacks the label${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`);
    if (now.databaseVersion !== cap.databaseVersion) said(`runs ${now.databaseVersion ?? '?'}, not ${cap.databaseVersion}`);
    return now;
  }

  function readCapture(item: RecoveryPointItemRef): SqlCapture {
    const m = item.metadata as Partial<SqlCapture>;
    if (!m.instance || !m.replica || !m.replicaProject || !m.settings || !m.databaseVersion) {
      throw new ProviderFailure('PreconditionFailed', `The recovery point of Cloud SQL instance ${item.resource.name} does not name its replica; run a replication first.`);
    }
    return m as SqlCapture;
  }

  const targetIdOf = (project: string, name: string) => `projects/${project}/instances/${name}`;

  return {
    type: 'gcp.cloud-sql',
    usesLatestPoint: true,

    async discover(ctx): Promise<DiscoveredResource[]> {
      const items: Instance[] = [];
      let pageToken: string | undefined;
      do {
        const page = await calls.read(ctx, ctx.env, SQL, 'sql.instances.list', async (c, project, signal) => (await c.sql.instances.list({ project, ...(pageToken ? { pageToken } : {}) }, { signal })).data);
        items.push(...(page.items ?? []));
        pageToken = page.nextPageToken ?? undefined;
      } while (pageToken);
      return items
        .filter((i) => i.region === ctx.env.region && i.instanceType !== 'READ_REPLICA_INSTANCE' && !i.settings?.userLabels?.[DR_LABEL.policy])
        .map((i) => ({
          type: 'gcp.cloud-sql' as const,
          nativeId: String(i.name),
          name: String(i.name),
          region: ctx.env.region,
          tags: customerLabels(i.settings?.userLabels),
          summary: `${i.databaseVersion ?? '?'} ${i.settings?.tier ?? ''}`.trim(),
        }));
    },

    async replicate(resource, ctx): Promise<CapturedItem> {
      const name = resource.nativeId;
      const src = await getInstance(ctx, ctx.source, name);
      if (!src) throw new ProviderFailure('NotFound', `Cloud SQL instance ${name} no longer exists; remove it from the policy or restore it.`);
      if (src.instanceType === 'READ_REPLICA_INSTANCE') {
        throw new ProviderFailure('PreconditionFailed', `Cloud SQL instance ${name} is itself a read replica; protect its primary instead.`);
      }
      const srcProject = projectOf(ctx.source, await calls.clients(ctx.source));
      const replicaProject = projectOf(ctx.target, await calls.clients(ctx.target));
      const replica = sqlReplicaName(name, ctx.target.region, ctx.policyId);
      const existing = await getInstance(ctx, ctx.target, replica);
      if (existing && existing.instanceType !== 'READ_REPLICA_INSTANCE') {
        throw new ProviderFailure('PreconditionFailed', `The replica ${replica} of ${name} is no longer a read replica (it was promoted); protect the instance with a new policy.`);
      }
      // A replica still being created (a resumed step) is awaited through its journaled operation.
      if (existing?.state !== 'RUNNABLE') {
        ctx.progress(`Creating the read replica ${replica} in ${ctx.target.region}`);
        await insertReplica(ctx, ctx.target, replica, src, srcProject, drLabels(ctx, 'replication', name));
      }
      const cap: SqlCapture = {
        instance: name,
        project: srcProject,
        region: String(src.region ?? ctx.source.region),
        databaseVersion: String(src.databaseVersion ?? ''),
        labels: customerLabels(src.settings?.userLabels),
        settings: carried(src.settings),
        replica,
        replicaProject,
      };
      return { metadata: { ...cap }, dataRefs: [{ kind: 'ReadReplica', id: targetIdOf(replicaProject, replica), region: ctx.target.region }] };
    },

    async testFailover(item, ctx): Promise<CreatedResource[]> {
      const cap = readCapture(item);
      const src = await getInstance(ctx, ctx.source, cap.instance);
      if (!src) throw new ProviderFailure('PreconditionFailed', `Cloud SQL instance ${cap.instance} is gone from ${ctx.source.region}; a test copy is made from it.`);
      const name = testName(cap.instance, ctx, 90);
      const labels = drLabels(ctx, 'test', cap.instance);
      await insertReplica(ctx, ctx.target, name, src, cap.project, labels);
      await promote(ctx, ctx.target, name);
      // A test copy must be deletable by Reset whatever the source's protection says.
      await applySettings(ctx, ctx.target, name, { ...cap, settings: { ...cap.settings, deletionProtectionEnabled: false } }, labels);
      await compare(ctx, ctx.target, name, { ...cap, settings: { ...cap.settings, deletionProtectionEnabled: false } }, labels);
      const project = projectOf(ctx.target, await calls.clients(ctx.target));
      return [{ kind: 'SqlInstance', nativeId: targetIdOf(project, name), name, region: ctx.target.region, sourceId: cap.instance }];
    },

    async reset(created, ctx): Promise<void> {
      if (created.kind !== 'SqlInstance') return;
      const env = { ...ctx.target, region: created.region || ctx.target.region };
      const name = created.name;
      const now = await getInstance(ctx, env, name);
      if (!now) return;
      if (now.settings?.userLabels?.[DR_LABEL.test] !== 'true') {
        throw new ProviderFailure('PreconditionFailed', `Cloud SQL instance ${name} is not a test copy of the console (no ${DR_LABEL.test} label); Reset leaves it alone.`);
      }
      await sqlMutate(ctx, env, `sql.instances.delete:${name}`, {
        action: 'sql.instances.delete',
        what: `delete the test copy ${name}`,
        intent: {},
        instance: name,
        absentOk: true,
        adopt: async () => (await getInstance(ctx, env, name)) === undefined,
        call: async (c, project, signal) => (await c.sql.instances.delete({ project, instance: name }, { signal })).data,
      });
    },

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      const cap = readCapture(item);
      const replica = await getInstance(ctx, ctx.target, cap.replica);
      if (!replica) throw new ProviderFailure('PreconditionFailed', `The read replica ${cap.replica} of ${cap.instance} is missing in ${ctx.target.region}.`);
      ctx.progress(`Promoting ${cap.replica}`);
      if (replica.instanceType === 'READ_REPLICA_INSTANCE') await promote(ctx, ctx.target, cap.replica);
      // After promotion: a replica cannot take backup settings, a standalone instance can.
      ctx.progress(`Applying the settings of ${cap.instance} to ${cap.replica}`);
      const labels = drLabels(ctx, 'failover', cap.instance);
      await applySettings(ctx, ctx.target, cap.replica, cap, labels);
      await compare(ctx, ctx.target, cap.replica, cap, labels);
      return [{ sourceId: cap.instance, kind: 'SqlInstance', name: cap.replica, targetId: targetIdOf(cap.replicaProject, cap.replica), reused: true }];
    },

    async stopReplication(resource, ctx): Promise<void> {
      // The replica is recovery data: it stays, promoted, so that it no longer follows the source.
      const replica = sqlReplicaName(resource.nativeId, ctx.target.region, ctx.policyId);
      const now = await getInstance(ctx, ctx.target, replica);
      if (now?.instanceType !== 'READ_REPLICA_INSTANCE') return;
      await promote(ctx, ctx.target, replica);
    },
  };
}
