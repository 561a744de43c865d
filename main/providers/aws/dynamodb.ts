// DynamoDB through the AWS SDK: a global-table (2019.11.21) replica in the target region; test copies
// restored from a backup of the replica; failover applies the point's settings and ends the replication.

import {
  CreateBackupCommand,
  DeleteBackupCommand,
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ListBackupsCommand,
  ListTagsOfResourceCommand,
  RestoreTableFromBackupCommand,
  TagResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  paginateListTables,
  waitUntilTableExists,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, EnvRef, RecoveryPointItemRef, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import type { AwsContext, CallContext } from './clients';
import { DR_TAG, drTags, tagList, tagRecord, testName } from './naming';

export interface DynamoSettings {
  billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
  provisionedThroughput: { readCapacityUnits: number; writeCapacityUnits: number } | null;
  ttl: { enabled: boolean; attributeName: string | null };
  pointInTimeRecovery: boolean;
  sse: { type: string | null; kmsKeyArn: string | null };
  stream: { enabled: boolean; viewType: string | null };
  globalSecondaryIndexes: { name: string; keySchema: { name: string; type: string }[]; projection: string | null }[];
  tableClass: string | null;
  deletionProtection: boolean;
  /** Regions the table already replicates to (global tables v2019). */
  replicaRegions: string[];
}

export interface DynamoCaptured {
  name: string;
  kind: 'Table';
  sourceId: string;
  sourceRegion: string;
  tags: Record<string, string>;
  settings: DynamoSettings;
}

export function parseTableArn(arn: string): { region: string; account: string; table: string } {
  const m = /^arn:aws[\w-]*:dynamodb:([\w-]+):(\d{12}):table\/([\w.-]{3,255})$/.exec(arn);
  if (!m) throw new ProviderFailure('ValidationFailed', `"${arn}" is not a DynamoDB table ARN (arn:aws:dynamodb:<region>:<account>:table/<name>).`);
  return { region: m[1]!, account: m[2]!, table: m[3]! };
}

function readCaptured(item: { metadata: Record<string, unknown> }, label: string): DynamoCaptured {
  const m = item.metadata as Partial<DynamoCaptured>;
  if (!m || typeof m.name !== 'string' || typeof m.sourceId !== 'string' || !m.settings) {
    throw new ProviderFailure('PreconditionFailed', `The recovery point of ${label} holds no DynamoDB settings; choose a point created by a successful replication.`);
  }
  return m as DynamoCaptured;
}

const replicaRegions = (t: TableDescription) => (t.Replicas ?? []).flatMap((r) => (r.RegionName ? [r.RegionName] : []));

export function createDynamoDbHandler(aws: AwsContext): ResourceHandler {
  const ddb = (env: EnvRef): DynamoDBClient => aws.dynamodb(env);

  const findTable = async (ctx: CallContext, env: EnvRef, name: string): Promise<TableDescription | undefined> =>
    (await aws.lookup(ctx, env, 'dynamodb:DescribeTable', (signal) => ddb(env).send(new DescribeTableCommand({ TableName: name }), { abortSignal: signal })))?.Table;

  const tagsOf = async (ctx: CallContext, env: EnvRef, arn: string | undefined): Promise<Record<string, string>> => {
    if (!arn) return {};
    const r = await aws.lookup(ctx, env, 'dynamodb:ListTagsOfResource', (signal) => ddb(env).send(new ListTagsOfResourceCommand({ ResourceArn: arn }), { abortSignal: signal }));
    return tagRecord(r?.Tags);
  };

  /** The SDK's TableExists waiter (ACTIVE): at most 500 s, its documented maximum. */
  const waitActive = async (ctx: StepContext, env: EnvRef, name: string): Promise<TableDescription> => {
    await aws.wait(ctx, env, 'dynamodb:TableExists', `table ${name} in ${env.region} to become active`, waitUntilTableExists, ddb(env), { TableName: name });
    const t = await findTable(ctx, env, name);
    if (!t) throw new ProviderFailure('ProviderUnavailable', `Table ${name} was active in ${env.region} and then could not be read; the console will retry.`);
    return t;
  };

  const capture = async (ctx: CallContext, env: EnvRef, t: TableDescription): Promise<DynamoCaptured> => {
    const name = t.TableName ?? '';
    const ttl = await aws.lookup(ctx, env, 'dynamodb:DescribeTimeToLive', (signal) => ddb(env).send(new DescribeTimeToLiveCommand({ TableName: name }), { abortSignal: signal }));
    const backups = await aws.lookup(ctx, env, 'dynamodb:DescribeContinuousBackups', (signal) =>
      ddb(env).send(new DescribeContinuousBackupsCommand({ TableName: name }), { abortSignal: signal }),
    );
    const billing = t.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED';
    const ttlStatus = ttl?.TimeToLiveDescription?.TimeToLiveStatus;
    return {
      name,
      kind: 'Table',
      sourceId: t.TableArn ?? '',
      sourceRegion: env.region,
      tags: await tagsOf(ctx, env, t.TableArn),
      settings: {
        billingMode: billing,
        provisionedThroughput:
          billing === 'PROVISIONED'
            ? { readCapacityUnits: t.ProvisionedThroughput?.ReadCapacityUnits ?? 0, writeCapacityUnits: t.ProvisionedThroughput?.WriteCapacityUnits ?? 0 }
            : null,
        ttl: { enabled: ttlStatus === 'ENABLED' || ttlStatus === 'ENABLING', attributeName: ttl?.TimeToLiveDescription?.AttributeName ?? null },
        pointInTimeRecovery: backups?.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus === 'ENABLED',
        sse: { type: t.SSEDescription?.SSEType ?? null, kmsKeyArn: t.SSEDescription?.KMSMasterKeyArn ?? null },
        stream: { enabled: t.StreamSpecification?.StreamEnabled ?? false, viewType: t.StreamSpecification?.StreamViewType ?? null },
        globalSecondaryIndexes: (t.GlobalSecondaryIndexes ?? []).map((g) => ({
          name: g.IndexName ?? '',
          keySchema: (g.KeySchema ?? []).map((k) => ({ name: k.AttributeName ?? '', type: k.KeyType ?? '' })),
          projection: g.Projection?.ProjectionType ?? null,
        })),
        tableClass: t.TableClassSummary?.TableClass ?? null,
        deletionProtection: t.DeletionProtectionEnabled ?? false,
        replicaRegions: replicaRegions(t),
      },
    };
  };

  /** Reads the table back and compares it with the point: each setting not carried is a warning. */
  const compareWithPoint = async (ctx: StepContext, env: EnvRef, table: TableDescription, meta: DynamoCaptured, opts: { tags: Record<string, string>; full: boolean }): Promise<string[]> => {
    const now = await capture(ctx, env, table);
    const s = meta.settings;
    const n = now.settings;
    const name = table.TableName ?? meta.name;
    const out: string[] = [];
    const said = (what: string) => out.push(`DynamoDB table ${name} in ${env.region} ${what} (the recovery point of ${meta.name} has it).`);
    if (opts.full) {
      if (n.billingMode !== s.billingMode) said(`is billed ${n.billingMode}, not ${s.billingMode}`);
      const t = s.provisionedThroughput;
      if (s.billingMode === 'PROVISIONED' && t && (n.provisionedThroughput?.readCapacityUnits !== t.readCapacityUnits || n.provisionedThroughput?.writeCapacityUnits !== t.writeCapacityUnits)) {
        said(`has ${n.provisionedThroughput?.readCapacityUnits ?? 0}/${n.provisionedThroughput?.writeCapacityUnits ?? 0} read/write capacity, not ${t.readCapacityUnits}/${t.writeCapacityUnits}`);
      }
      if (s.ttl.attributeName && n.ttl.enabled !== s.ttl.enabled) said(`has time to live ${n.ttl.enabled ? 'on' : 'off'} on ${s.ttl.attributeName}`);
      if (n.pointInTimeRecovery !== s.pointInTimeRecovery) said(`has point-in-time recovery ${n.pointInTimeRecovery ? 'on' : 'off'}`);
      if (n.deletionProtection !== s.deletionProtection) said(`has deletion protection ${n.deletionProtection ? 'on' : 'off'}`);
    }
    const indexes = new Set(n.globalSecondaryIndexes.map((g) => g.name));
    for (const g of s.globalSecondaryIndexes) if (!indexes.has(g.name)) said(`lacks the global secondary index ${g.name}`);
    for (const [k, v] of Object.entries(opts.tags)) if (now.tags[k] !== v) said(`lacks the tag ${k}`);
    return out;
  };

  const replicaRef = (item: RecoveryPointItemRef, name: string) => {
    const ref = item.dataRefs.find((d) => d.kind === 'Replica');
    if (!ref) {
      throw new ProviderFailure('PreconditionFailed', `The recovery point of table ${name} has no replica reference; choose a recovery point created by a successful replication.`);
    }
    return ref;
  };

  const missingReplica = (name: string, ctx: StepContext) =>
    new ProviderFailure(
      'NotFound',
      `The replica of table ${name} is missing from ${ctx.target.region}; it may still be creating or was deleted outside the console. Run a replication, then retry.`,
    );

  const refuseNonTest = (kind: string, name: string, tags: Record<string, string>) => {
    if (tags[DR_TAG.test] !== 'true' && !name.startsWith('drtest-')) {
      throw new ProviderFailure('PreconditionFailed', `${kind} ${name} was not created by a test failover (no ${DR_TAG.test} tag); Reset leaves it alone.`);
    }
  };

  const tagTable = (ctx: StepContext, env: EnvRef, opKey: string, arn: string, tags: { Key: string; Value: string }[]) =>
    aws.mutate(ctx, env, opKey, {
      action: 'dynamodb:TagResource',
      intent: { resourceArn: arn },
      call: async (signal) => {
        await ddb(env).send(new TagResourceCommand({ ResourceArn: arn, Tags: tags }), { abortSignal: signal });
        return { tagged: arn };
      },
    });

  return {
    type: 'aws.dynamodb',
    usesLatestPoint: false,

    async discover(ctx): Promise<DiscoveredResource[]> {
      const env = ctx.env;
      const names = (await aws.pages(ctx, env, 'dynamodb:ListTables', paginateListTables, ddb(env), {})).flatMap((p) => p.TableNames ?? []);
      const out: DiscoveredResource[] = [];
      for (const name of names) {
        const t = await findTable(ctx, env, name);
        if (!t?.TableArn) continue;
        const tags = await tagsOf(ctx, env, t.TableArn);
        // Test copies are the console's, not the customer's.
        if (tags[DR_TAG.test] === 'true') continue;
        const billing = t.BillingModeSummary?.BillingMode ?? 'PROVISIONED';
        const gsi = t.GlobalSecondaryIndexes?.length ?? 0;
        const replicas = replicaRegions(t).length;
        out.push({
          type: 'aws.dynamodb',
          nativeId: t.TableArn,
          name,
          region: env.region,
          tags,
          summary: `${billing}${gsi ? `, ${gsi} GSI` : ''}${replicas ? `, global table (${replicas} replicas)` : ''}`,
        });
      }
      return out;
    },

    async replicate(resource, ctx): Promise<CapturedItem> {
      const { table } = parseTableArn(resource.nativeId);
      const source = await findTable(ctx, ctx.source, table);
      if (!source) {
        throw new ProviderFailure('NotFound', `The table ${resource.name} (${resource.nativeId}) no longer exists in ${ctx.source.region}. Restore it, or remove it from the policy.`);
      }
      const meta = await capture(ctx, ctx.source, source);
      if (!meta.settings.replicaRegions.includes(ctx.target.region)) {
        // Global tables v2019: one UpdateTable adds the replica (streams are switched on by DynamoDB).
        ctx.progress(`Adding a replica of ${table} in ${ctx.target.region}`);
        await aws.mutate(ctx, ctx.source, 'add-replica', {
          action: 'dynamodb:UpdateTable',
          intent: { op: 'UpdateTable.ReplicaUpdates.Create', table, replicaRegion: ctx.target.region },
          call: async (signal) => {
            await ddb(ctx.source).send(new UpdateTableCommand({ TableName: table, ReplicaUpdates: [{ Create: { RegionName: ctx.target.region } }] }), { abortSignal: signal });
            return { added: ctx.target.region };
          },
        });
      }
      const replicaArn = resource.nativeId.replace(`:dynamodb:${ctx.source.region}:`, `:dynamodb:${ctx.target.region}:`);
      return {
        metadata: { ...meta },
        dataRefs: [
          { kind: 'Replica', id: replicaArn, region: ctx.target.region },
          { kind: 'GlobalTableReplica', id: `${table}@${ctx.target.region}`, region: ctx.source.region },
        ],
      };
    },

    async testFailover(item, ctx): Promise<CreatedResource[]> {
      const meta = readCaptured(item, item.resource.name);
      const { table } = parseTableArn(replicaRef(item, meta.name).id);
      const replica = await findTable(ctx, ctx.target, table);
      if (!replica) throw missingReplica(meta.name, ctx);
      const testTable = testName(meta.name, ctx, 255);
      const backupName = testName(`${meta.name}-backup`, ctx, 255);
      const findBackup = async () => {
        const listed = await aws.read(ctx, ctx.target, 'dynamodb:ListBackups', (signal) => ddb(ctx.target).send(new ListBackupsCommand({ TableName: table }), { abortSignal: signal }));
        return listed.BackupSummaries?.find((b) => b.BackupName === backupName)?.BackupArn;
      };
      let backupArn = await findBackup();
      if (!backupArn) {
        const made = await aws.mutate(ctx, ctx.target, 'create-backup', {
          action: 'dynamodb:CreateBackup',
          intent: { table, backupName },
          // Backup names are the step's own: an earlier attempt's backup is found by name.
          resume: async () => {
            const found = await findBackup();
            return found ? { backupArn: found } : undefined;
          },
          call: async (signal) => {
            const r = await ddb(ctx.target).send(new CreateBackupCommand({ TableName: table, BackupName: backupName }), { abortSignal: signal });
            return { backupArn: r.BackupDetails?.BackupArn ?? '' };
          },
        });
        backupArn = made.backupArn;
      }
      if (!backupArn) throw new ProviderFailure('ProviderError', `DynamoDB did not return the backup of ${table}.`);
      const fromBackup = backupArn;
      if (!(await findTable(ctx, ctx.target, testTable))) {
        ctx.progress(`Restoring test table ${testTable} from a backup of the replica`);
        await aws.mutate(ctx, ctx.target, 'restore-table-from-backup', {
          action: 'dynamodb:RestoreTableFromBackup',
          intent: { backupArn: fromBackup, testTable },
          resume: async () => ((await findTable(ctx, ctx.target, testTable)) ? { table: testTable } : undefined),
          call: async (signal) => {
            await ddb(ctx.target).send(new RestoreTableFromBackupCommand({ TargetTableName: testTable, BackupArn: fromBackup }), { abortSignal: signal });
            return { table: testTable };
          },
        });
      }
      const active = await waitActive(ctx, ctx.target, testTable);
      const arn = active.TableArn ?? testTable;
      const tags = [...tagList(meta.tags), ...drTags(ctx, { role: 'test', sourceId: meta.sourceId })];
      await tagTable(ctx, ctx.target, 'tag-test-table', arn, tags);
      for (const w of await compareWithPoint(ctx, ctx.target, active, meta, { tags: Object.fromEntries(tags.map((t) => [t.Key, t.Value])), full: false })) ctx.warn?.(w);
      return [
        { kind: 'Table', nativeId: arn, name: testTable, region: ctx.target.region, sourceId: meta.sourceId },
        { kind: 'Backup', nativeId: fromBackup, name: backupName, region: ctx.target.region, sourceId: meta.sourceId },
      ];
    },

    async reset(created, ctx): Promise<void> {
      const env = ctx.target;
      if (created.kind === 'Table') {
        const t = await findTable(ctx, env, created.name);
        if (!t) return;
        refuseNonTest('Table', created.name, await tagsOf(ctx, env, t.TableArn));
        if (t.TableStatus === 'DELETING') return;
        await aws.mutate(ctx, env, `delete-table:${created.name}`, {
          action: 'dynamodb:DeleteTable',
          intent: { table: created.name },
          absentOk: true,
          call: async (signal) => {
            await ddb(env).send(new DeleteTableCommand({ TableName: created.name }), { abortSignal: signal });
            return { deleted: created.name };
          },
        });
        return;
      }
      if (created.kind === 'Backup') {
        refuseNonTest('Backup', created.name, {});
        await aws.mutate(ctx, env, `delete-backup:${created.name}`, {
          action: 'dynamodb:DeleteBackup',
          intent: { backupArn: created.nativeId },
          absentOk: true,
          call: async (signal) => {
            await ddb(env).send(new DeleteBackupCommand({ BackupArn: created.nativeId }), { abortSignal: signal });
            return { deleted: created.nativeId };
          },
        });
        return;
      }
      throw new ProviderFailure('ValidationFailed', `Reset does not know how to delete a DynamoDB ${created.kind}.`);
    },

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      const meta = readCaptured(item, item.resource.name);
      const ref = replicaRef(item, meta.name);
      const { table } = parseTableArn(ref.id);
      let replica = await findTable(ctx, ctx.target, table);
      if (!replica) throw missingReplica(meta.name, ctx);
      const s = meta.settings;
      const env = ctx.target;
      // End the replication first, from the target region (it answers while the source region is down):
      // removing the source region's replica leaves this table standalone with all its data.
      if (replicaRegions(replica).includes(meta.sourceRegion)) {
        ctx.progress(`Removing the replica link of ${table} to ${meta.sourceRegion}`);
        await aws.mutate(ctx, env, 'remove-replica-link', {
          action: 'dynamodb:UpdateTable',
          intent: { op: 'UpdateTable.ReplicaUpdates.Delete', table, replicaRegion: meta.sourceRegion },
          call: async (signal) => {
            await ddb(env).send(new UpdateTableCommand({ TableName: table, ReplicaUpdates: [{ Delete: { RegionName: meta.sourceRegion } }] }), { abortSignal: signal });
            return { removed: meta.sourceRegion };
          },
        });
        replica = await waitActive(ctx, env, table);
      }
      const billing = replica.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED';
      const throughput = s.provisionedThroughput;
      const throughputDiffers =
        throughput !== null &&
        (replica.ProvisionedThroughput?.ReadCapacityUnits !== throughput.readCapacityUnits ||
          replica.ProvisionedThroughput?.WriteCapacityUnits !== throughput.writeCapacityUnits);
      if (billing !== s.billingMode || (s.billingMode === 'PROVISIONED' && throughputDiffers) || (replica.DeletionProtectionEnabled ?? false) !== s.deletionProtection) {
        await aws.mutate(ctx, env, 'update-table', {
          action: 'dynamodb:UpdateTable',
          intent: { table },
          call: async (signal) => {
            await ddb(env).send(
              new UpdateTableCommand({
                TableName: table,
                BillingMode: s.billingMode,
                ...(s.billingMode === 'PROVISIONED' && throughput
                  ? { ProvisionedThroughput: { ReadCapacityUnits: throughput.readCapacityUnits, WriteCapacityUnits: throughput.writeCapacityUnits } }
                  : {}),
                DeletionProtectionEnabled: s.deletionProtection,
              }),
              { abortSignal: signal },
            );
            return { updated: table };
          },
        });
        await waitActive(ctx, env, table);
      }
      const ttl = await aws.lookup(ctx, env, 'dynamodb:DescribeTimeToLive', (signal) => ddb(env).send(new DescribeTimeToLiveCommand({ TableName: table }), { abortSignal: signal }));
      const ttlOn = ['ENABLED', 'ENABLING'].includes(ttl?.TimeToLiveDescription?.TimeToLiveStatus ?? '');
      const ttlAttribute = s.ttl.attributeName;
      if (ttlAttribute && ttlOn !== s.ttl.enabled) {
        await aws.mutate(ctx, env, 'update-time-to-live', {
          action: 'dynamodb:UpdateTimeToLive',
          intent: { table, enabled: s.ttl.enabled },
          call: async (signal) => {
            await ddb(env).send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { Enabled: s.ttl.enabled, AttributeName: ttlAttribute } }), { abortSignal: signal });
            return { ttl: s.ttl.enabled };
          },
        });
      }
      const pitr = await aws.lookup(ctx, env, 'dynamodb:DescribeContinuousBackups', (signal) =>
        ddb(env).send(new DescribeContinuousBackupsCommand({ TableName: table }), { abortSignal: signal }),
      );
      const pitrOn = pitr?.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus === 'ENABLED';
      if (pitrOn !== s.pointInTimeRecovery) {
        await aws.mutate(ctx, env, 'update-continuous-backups', {
          action: 'dynamodb:UpdateContinuousBackups',
          intent: { table, pointInTimeRecovery: s.pointInTimeRecovery },
          call: async (signal) => {
            await ddb(env).send(new UpdateContinuousBackupsCommand({ TableName: table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: s.pointInTimeRecovery } }), { abortSignal: signal });
            return { pointInTimeRecovery: s.pointInTimeRecovery };
          },
        });
      }
      const arn = replica.TableArn ?? ref.id;
      const tags = [...tagList(meta.tags), ...drTags(ctx, { role: 'failover', purpose: 'failover', sourceId: meta.sourceId })];
      await tagTable(ctx, env, 'tag-table', arn, tags);
      // Deleting the replica link is promised: the table must no longer replicate from the source.
      const after = await findTable(ctx, env, table);
      if (after && replicaRegions(after).includes(meta.sourceRegion)) {
        throw new ProviderFailure('ProviderError', `Table ${table} in ${env.region} still replicates with ${meta.sourceRegion} after the link was removed; retry the failover.`);
      }
      for (const w of await compareWithPoint(ctx, env, after ?? replica, meta, { tags: Object.fromEntries(tags.map((t) => [t.Key, t.Value])), full: true })) ctx.warn?.(w);
      return [{ sourceId: meta.sourceId, kind: 'Table', name: table, targetId: arn, reused: true }];
    },

    async stopReplication(resource, ctx): Promise<void> {
      // Stopping protection for good removes the policy's replica (the target region's copy) from the global table.
      const { table } = parseTableArn(resource.nativeId);
      const source = await findTable(ctx, ctx.source, table);
      if (!source || !replicaRegions(source).includes(ctx.target.region)) return;
      await aws.mutate(ctx, ctx.source, 'remove-replica', {
        action: 'dynamodb:UpdateTable',
        intent: { op: 'UpdateTable.ReplicaUpdates.Delete', table, replicaRegion: ctx.target.region },
        call: async (signal) => {
          await ddb(ctx.source).send(new UpdateTableCommand({ TableName: table, ReplicaUpdates: [{ Delete: { RegionName: ctx.target.region } }] }), { abortSignal: signal });
          return { removed: ctx.target.region };
        },
      });
    },
  };
}
