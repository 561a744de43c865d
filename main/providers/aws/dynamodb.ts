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
  ListTablesCommand,
  ListTagsOfResourceCommand,
  RestoreTableFromBackupCommand,
  TagResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, EnvRef, RecoveryPointItemRef, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import type { AwsContext } from './clients';
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

  const findTable = async (env: EnvRef, name: string): Promise<TableDescription | undefined> =>
    (await aws.find(env, 'dynamodb:DescribeTable', () => ddb(env).send(new DescribeTableCommand({ TableName: name }))))?.Table;

  const tagsOf = async (env: EnvRef, arn: string | undefined): Promise<Record<string, string>> => {
    if (!arn) return {};
    const r = await aws.find(env, 'dynamodb:ListTagsOfResource', () => ddb(env).send(new ListTagsOfResourceCommand({ ResourceArn: arn })));
    return tagRecord(r?.Tags);
  };

  const waitActive = (env: EnvRef, name: string, ctx: StepContext) =>
    aws.waitFor(`table ${name} in ${env.region} to become active`, ctx.signal, async () => {
      const t = await findTable(env, name);
      return t?.TableStatus === 'ACTIVE' ? t : undefined;
    });

  const capture = async (env: EnvRef, t: TableDescription): Promise<DynamoCaptured> => {
    const name = t.TableName ?? '';
    const ttl = await aws.find(env, 'dynamodb:DescribeTimeToLive', () => ddb(env).send(new DescribeTimeToLiveCommand({ TableName: name })));
    const backups = await aws.find(env, 'dynamodb:DescribeContinuousBackups', () => ddb(env).send(new DescribeContinuousBackupsCommand({ TableName: name })));
    const billing = t.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED';
    const ttlStatus = ttl?.TimeToLiveDescription?.TimeToLiveStatus;
    return {
      name,
      kind: 'Table',
      sourceId: t.TableArn ?? '',
      sourceRegion: env.region,
      tags: await tagsOf(env, t.TableArn),
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

  return {
    type: 'aws.dynamodb',
    usesLatestPoint: false,

    async discover(ctx): Promise<DiscoveredResource[]> {
      const env = ctx.env;
      const names: string[] = [];
      let start: string | undefined;
      do {
        const r = await aws.call(env, 'dynamodb:ListTables', () =>
          ddb(env).send(new ListTablesCommand({ ...(start ? { ExclusiveStartTableName: start } : {}) }), { abortSignal: ctx.signal }),
        );
        names.push(...(r.TableNames ?? []));
        start = r.LastEvaluatedTableName;
      } while (start);
      const out: DiscoveredResource[] = [];
      for (const name of names) {
        const t = await findTable(env, name);
        if (!t?.TableArn) continue;
        const tags = await tagsOf(env, t.TableArn);
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
      const source = await findTable(ctx.source, table);
      if (!source) {
        throw new ProviderFailure('NotFound', `The table ${resource.name} (${resource.nativeId}) no longer exists in ${ctx.source.region}. Restore it, or remove it from the policy.`);
      }
      const meta = await capture(ctx.source, source);
      if (!meta.settings.replicaRegions.includes(ctx.target.region)) {
        // Global tables v2019: one UpdateTable adds the replica (streams are switched on by DynamoDB).
        ctx.recordIntent({ op: 'UpdateTable.ReplicaUpdates.Create', table, region: ctx.target.region });
        ctx.progress(`Adding a replica of ${table} in ${ctx.target.region}`);
        await aws.call(ctx.source, 'dynamodb:UpdateTable', () =>
          ddb(ctx.source).send(new UpdateTableCommand({ TableName: table, ReplicaUpdates: [{ Create: { RegionName: ctx.target.region } }] })),
        );
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
      const replica = await findTable(ctx.target, table);
      if (!replica) throw missingReplica(meta.name, ctx);
      const testTable = testName(meta.name, ctx, 255);
      const backupName = testName(`${meta.name}-backup`, ctx, 255);
      const listed = await aws.call(ctx.target, 'dynamodb:ListBackups', () => ddb(ctx.target).send(new ListBackupsCommand({ TableName: table })));
      let backupArn = listed.BackupSummaries?.find((b) => b.BackupName === backupName)?.BackupArn;
      if (!backupArn) {
        ctx.recordIntent({ op: 'CreateBackup', table, backupName });
        const r = await aws.call(ctx.target, 'dynamodb:CreateBackup', () => ddb(ctx.target).send(new CreateBackupCommand({ TableName: table, BackupName: backupName })));
        backupArn = r.BackupDetails?.BackupArn;
      }
      if (!backupArn) throw new ProviderFailure('ProviderError', `DynamoDB did not return the backup of ${table}.`);
      let copy = await findTable(ctx.target, testTable);
      if (!copy) {
        ctx.recordIntent({ op: 'RestoreTableFromBackup', backupArn, testTable });
        ctx.progress(`Restoring test table ${testTable} from a backup of the replica`);
        const r = await aws.call(ctx.target, 'dynamodb:RestoreTableFromBackup', () =>
          ddb(ctx.target).send(new RestoreTableFromBackupCommand({ TargetTableName: testTable, BackupArn: backupArn })),
        );
        copy = r.TableDescription;
      }
      const active = await waitActive(ctx.target, testTable, ctx);
      const arn = active.TableArn ?? copy?.TableArn ?? testTable;
      await aws.call(ctx.target, 'dynamodb:TagResource', () =>
        ddb(ctx.target).send(new TagResourceCommand({ ResourceArn: arn, Tags: [...tagList(meta.tags), ...drTags(ctx, { test: true, sourceId: meta.sourceId })] })),
      );
      return [
        { kind: 'Table', nativeId: arn, name: testTable, region: ctx.target.region, sourceId: meta.sourceId },
        { kind: 'Backup', nativeId: backupArn, name: backupName, region: ctx.target.region, sourceId: meta.sourceId },
      ];
    },

    async reset(created, ctx): Promise<void> {
      const env = ctx.target;
      if (created.kind === 'Table') {
        const t = await findTable(env, created.name);
        if (!t) return;
        refuseNonTest('Table', created.name, await tagsOf(env, t.TableArn));
        if (t.TableStatus === 'DELETING') return;
        ctx.recordIntent({ op: 'DeleteTable', table: created.name });
        await aws.find(env, 'dynamodb:DeleteTable', () => ddb(env).send(new DeleteTableCommand({ TableName: created.name })));
        return;
      }
      if (created.kind === 'Backup') {
        refuseNonTest('Backup', created.name, {});
        await aws.find(env, 'dynamodb:DeleteBackup', () => ddb(env).send(new DeleteBackupCommand({ BackupArn: created.nativeId })));
        return;
      }
      throw new ProviderFailure('ValidationFailed', `Reset does not know how to delete a DynamoDB ${created.kind}.`);
    },

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      const meta = readCaptured(item, item.resource.name);
      const ref = replicaRef(item, meta.name);
      const { table } = parseTableArn(ref.id);
      let replica = await findTable(ctx.target, table);
      if (!replica) throw missingReplica(meta.name, ctx);
      const s = meta.settings;
      const env = ctx.target;
      // End the replication first, from the target region (it answers while the source region is down):
      // removing the source region's replica leaves this table standalone with all its data.
      if (replicaRegions(replica).includes(meta.sourceRegion)) {
        ctx.recordIntent({ op: 'UpdateTable.ReplicaUpdates.Delete', table, region: meta.sourceRegion });
        ctx.progress(`Removing the replica link of ${table} to ${meta.sourceRegion}`);
        await aws.call(env, 'dynamodb:UpdateTable', () =>
          ddb(env).send(new UpdateTableCommand({ TableName: table, ReplicaUpdates: [{ Delete: { RegionName: meta.sourceRegion } }] })),
        );
        replica = await waitActive(env, table, ctx);
      }
      const billing = replica.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED';
      const throughput = s.provisionedThroughput;
      const throughputDiffers =
        throughput !== null &&
        (replica.ProvisionedThroughput?.ReadCapacityUnits !== throughput.readCapacityUnits ||
          replica.ProvisionedThroughput?.WriteCapacityUnits !== throughput.writeCapacityUnits);
      if (billing !== s.billingMode || (s.billingMode === 'PROVISIONED' && throughputDiffers) || (replica.DeletionProtectionEnabled ?? false) !== s.deletionProtection) {
        ctx.recordIntent({ op: 'UpdateTable', table });
        await aws.call(env, 'dynamodb:UpdateTable', () =>
          ddb(env).send(
            new UpdateTableCommand({
              TableName: table,
              BillingMode: s.billingMode,
              ...(s.billingMode === 'PROVISIONED' && throughput
                ? { ProvisionedThroughput: { ReadCapacityUnits: throughput.readCapacityUnits, WriteCapacityUnits: throughput.writeCapacityUnits } }
                : {}),
              DeletionProtectionEnabled: s.deletionProtection,
            }),
          ),
        );
        await waitActive(env, table, ctx);
      }
      const ttl = await aws.find(env, 'dynamodb:DescribeTimeToLive', () => ddb(env).send(new DescribeTimeToLiveCommand({ TableName: table })));
      const ttlOn = ['ENABLED', 'ENABLING'].includes(ttl?.TimeToLiveDescription?.TimeToLiveStatus ?? '');
      if (s.ttl.attributeName && ttlOn !== s.ttl.enabled) {
        await aws.call(env, 'dynamodb:UpdateTimeToLive', () =>
          ddb(env).send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { Enabled: s.ttl.enabled, AttributeName: s.ttl.attributeName! } })),
        );
      }
      const pitr = await aws.find(env, 'dynamodb:DescribeContinuousBackups', () => ddb(env).send(new DescribeContinuousBackupsCommand({ TableName: table })));
      const pitrOn = pitr?.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus === 'ENABLED';
      if (pitrOn !== s.pointInTimeRecovery) {
        await aws.call(env, 'dynamodb:UpdateContinuousBackups', () =>
          ddb(env).send(new UpdateContinuousBackupsCommand({ TableName: table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: s.pointInTimeRecovery } })),
        );
      }
      const arn = replica.TableArn ?? ref.id;
      await aws.call(env, 'dynamodb:TagResource', () =>
        ddb(env).send(new TagResourceCommand({ ResourceArn: arn, Tags: [...tagList(meta.tags), ...drTags(ctx, { purpose: 'failover', sourceId: meta.sourceId })] })),
      );
      return [{ sourceId: meta.sourceId, kind: 'Table', name: table, targetId: arn, reused: true }];
    },

    async stopReplication(resource, ctx): Promise<void> {
      // Stopping protection for good removes the policy's replica (the target region's copy) from the global table.
      const { table } = parseTableArn(resource.nativeId);
      const source = await findTable(ctx.source, table);
      if (!source || !replicaRegions(source).includes(ctx.target.region)) return;
      ctx.recordIntent({ op: 'UpdateTable.ReplicaUpdates.Delete', table, region: ctx.target.region });
      await aws.call(ctx.source, 'dynamodb:UpdateTable', () =>
        ddb(ctx.source).send(new UpdateTableCommand({ TableName: table, ReplicaUpdates: [{ Delete: { RegionName: ctx.target.region } }] })),
      );
    },
  };
}
