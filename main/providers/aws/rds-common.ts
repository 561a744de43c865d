// What the RDS instance, Aurora and parameter-group parts share: the point's shape, ARNs and the
// deterministic names of the policy's replicas, and the lookups, waits and sentences of the RDS API.

import {
  AddTagsToResourceCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  paginateDescribeDBInstances,
  waitUntilDBClusterAvailable,
  waitUntilDBInstanceAvailable,
  type DBCluster,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { ProviderFailure } from '../provider-failure';
import type { CreatedResource, EnvRef, RecoveryPointItemRef, StepContext } from '../types';
import type { AwsContext, CallContext } from './clients';
import { DR_TAG, drTags, hashHex, tagList, tagRecord, type AwsTag } from './naming';

export type RdsKind = 'DBInstance' | 'DBCluster';

export interface RdsParameterGroup {
  name: string;
  family: string | null;
  /** Parameters the customer set (Source=user); default groups carry none. */
  parameters: Record<string, string>;
}

export interface RdsSettings {
  engine: string;
  engineVersion: string;
  instanceClass: string | null;
  multiAz: boolean;
  allocatedStorageGb: number | null;
  storageType: string | null;
  iops: number | null;
  storageEncrypted: boolean;
  backupRetentionPeriod: number;
  preferredBackupWindow: string | null;
  parameterGroup: RdsParameterGroup | null;
  vpcSecurityGroupIds: string[];
  dbSubnetGroup: string | null;
  port: number | null;
  deletionProtection: boolean;
  iamAuth: boolean;
  /** Aurora: the global database the source already belongs to, if any. */
  globalClusterArn: string | null;
}

export interface RdsCaptured {
  name: string;
  kind: RdsKind;
  sourceId: string;
  sourceRegion: string;
  tags: Record<string, string>;
  settings: RdsSettings;
}

interface RdsArn {
  region: string;
  account: string;
  kind: RdsKind;
  id: string;
}

export function parseRdsArn(arn: string): RdsArn {
  const m = /^arn:aws[\w-]*:rds:([\w-]+):(\d{12}):(db|cluster):([A-Za-z][\w-]*)$/.exec(arn);
  if (!m) {
    throw new ProviderFailure('ValidationFailed', `"${arn}" is not an RDS instance or Aurora cluster ARN (arn:aws:rds:<region>:<account>:db|cluster:<name>).`);
  }
  return { region: m[1]!, account: m[2]!, kind: m[3] === 'cluster' ? 'DBCluster' : 'DBInstance', id: m[4]! };
}

/** An RDS identifier: letters, digits, single hyphens, starts with a letter, ≤ 63 characters. */
export function rdsIdentifier(base: string, suffix: string): string {
  const cleaned = base.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^[^a-z]+|-$/g, '');
  return `${(cleaned || 'db').slice(0, 63 - suffix.length - 1).replace(/-$/, '')}-${suffix}`;
}

/** The policy's replica of one source in the target: the same name for every replication run. */
export function rdsReplicaIdentifier(sourceId: string, policyId: string): string {
  return rdsIdentifier(sourceId, `dr-${hashHex('rds-replica', policyId, sourceId).slice(0, 8)}`);
}

/** The global database the console creates for an Aurora source that is not in one yet. */
export function rdsGlobalClusterIdentifier(sourceId: string, policyId: string): string {
  return rdsIdentifier(sourceId, `global-${hashHex('rds-global', policyId, sourceId).slice(0, 8)}`);
}

/** The global cluster identifier from its ARN (arn:aws:rds::<account>:global-cluster:<id>). */
export const globalIdOf = (arn: string) => arn.split(':').pop()!.replace(/^global-cluster\//, '');

export const globalArnOf = (c: DBCluster) => (c as DBCluster & { GlobalClusterIdentifier?: string }).GlobalClusterIdentifier;

export const isAurora = (engine: string | undefined) => (engine ?? '').startsWith('aurora');
export const isDefaultGroup = (name: string) => name.startsWith('default.');
const hasTestTag = (tags: Record<string, string>) => tags[DR_TAG.test] === 'true';

export function readCaptured(item: { metadata: Record<string, unknown> }, label: string): RdsCaptured {
  const m = item.metadata as Partial<RdsCaptured>;
  if (!m || typeof m.name !== 'string' || typeof m.sourceId !== 'string' || !m.settings || (m.kind !== 'DBInstance' && m.kind !== 'DBCluster')) {
    throw new ProviderFailure('PreconditionFailed', `The recovery point of ${label} holds no RDS settings; choose a point created by a successful replication.`);
  }
  return m as RdsCaptured;
}

export function replicaRef(item: RecoveryPointItemRef, name: string): string {
  const ref = item.dataRefs.find((d) => d.kind === 'Replica');
  if (!ref) {
    throw new ProviderFailure(
      'PreconditionFailed',
      `The recovery point of database ${name} has no replica reference; choose a recovery point created by a successful replication.`,
    );
  }
  return ref.id;
}

/** The RDS calls every part uses, bound to the adapter's clients. */
export function rdsTools(aws: AwsContext) {
  const rds = (env: EnvRef): RDSClient => aws.rds(env);

  const findInstance = async (ctx: CallContext, env: EnvRef, id: string): Promise<DBInstance | undefined> => {
    const r = await aws.lookup(ctx, env, 'rds:DescribeDBInstances', (signal) => rds(env).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }), { abortSignal: signal }));
    return r?.DBInstances?.[0];
  };
  const findCluster = async (ctx: CallContext, env: EnvRef, id: string): Promise<DBCluster | undefined> => {
    const r = await aws.lookup(ctx, env, 'rds:DescribeDBClusters', (signal) => rds(env).send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }), { abortSignal: signal }));
    return r?.DBClusters?.[0];
  };
  const clusterInstances = async (ctx: CallContext, env: EnvRef, clusterId: string): Promise<DBInstance[]> => {
    const pages = await aws.pages(ctx, env, 'rds:DescribeDBInstances', paginateDescribeDBInstances, rds(env), { Filters: [{ Name: 'db-cluster-id', Values: [clusterId] }] });
    return pages.flatMap((p) => p.DBInstances ?? []).filter((i) => i.DBClusterIdentifier === clusterId);
  };

  /** The SDK's DBInstanceAvailable waiter: at most 30 minutes, its documented maximum. */
  const waitInstance = async (ctx: StepContext, env: EnvRef, id: string): Promise<DBInstance> => {
    await aws.wait(ctx, env, 'rds:DBInstanceAvailable', `DB instance ${id} in ${env.region} to become available`, waitUntilDBInstanceAvailable, rds(env), { DBInstanceIdentifier: id });
    const db = await findInstance(ctx, env, id);
    if (!db) throw new ProviderFailure('ProviderUnavailable', `DB instance ${id} was available in ${env.region} and then could not be read; the console will retry.`);
    return db;
  };
  /** The SDK's DBClusterAvailable waiter: at most 30 minutes, its documented maximum. */
  const waitCluster = async (ctx: StepContext, env: EnvRef, id: string): Promise<DBCluster> => {
    await aws.wait(ctx, env, 'rds:DBClusterAvailable', `Aurora cluster ${id} in ${env.region} to become available`, waitUntilDBClusterAvailable, rds(env), { DBClusterIdentifier: id });
    const c = await findCluster(ctx, env, id);
    if (!c) throw new ProviderFailure('ProviderUnavailable', `Aurora cluster ${id} was available in ${env.region} and then could not be read; the console will retry.`);
    return c;
  };

  const replicaTags = (ctx: StepContext, meta: RdsCaptured): AwsTag[] => [...tagList(meta.tags), ...drTags(ctx, { role: 'replication', purpose: 'replica', sourceId: meta.sourceId })];
  const failoverTags = (ctx: StepContext, meta: RdsCaptured): AwsTag[] => [...tagList(meta.tags), ...drTags(ctx, { role: 'failover', purpose: 'failover', sourceId: meta.sourceId })];

  const tagTarget = async (ctx: StepContext, arn: string, meta: RdsCaptured): Promise<AwsTag[]> => {
    const tags = failoverTags(ctx, meta);
    await aws.mutate(ctx, ctx.target, `add-tags:${arn}`, {
      action: 'rds:AddTagsToResource',
      intent: { resourceName: arn },
      call: async (signal) => {
        await rds(ctx.target).send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: tags }), { abortSignal: signal });
        return { tagged: arn };
      },
    });
    return tags;
  };

  const conflict = (id: string, region: string, source: string) =>
    new ProviderFailure(
      'Conflict',
      `${id} already exists in ${region} and is not this policy's replica of ${source}. Remove or rename it, or choose another target environment.`,
    );

  const missingReplica = (meta: RdsCaptured, id: string, ctx: StepContext) =>
    new ProviderFailure(
      'NotFound',
      `The replica ${id} of database ${meta.name} is missing from ${ctx.target.region}; it may have been deleted outside the console. Run a replication, then retry.`,
    );

  const refuseNonTest = (created: CreatedResource, tags: Record<string, string>) => {
    if (!hasTestTag(tags) && !created.name.startsWith('drtest-')) {
      throw new ProviderFailure(
        'PreconditionFailed',
        `${created.kind} ${created.name} was not created by a test failover (no ${DR_TAG.test} tag); Reset leaves it alone.`,
      );
    }
  };

  const deleteInstance = async (ctx: StepContext, env: EnvRef, created: CreatedResource) => {
    const db = await findInstance(ctx, env, created.name);
    if (!db) return;
    refuseNonTest(created, tagRecord(db.TagList));
    if (db.DBInstanceStatus === 'deleting') return;
    await aws.mutate(ctx, env, `delete-db-instance:${created.name}`, {
      action: 'rds:DeleteDBInstance',
      intent: { id: created.name },
      absentOk: true,
      call: async (signal) => {
        await rds(env).send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: created.name, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }), { abortSignal: signal });
        return { deleted: created.name };
      },
    });
  };

  /** Tags on the target compared with those the step wrote: each one missing is a warning. */
  const missingTags = (label: string, have: { Key?: string | undefined; Value?: string | undefined }[] | undefined, want: AwsTag[]): string[] => {
    const now = tagRecord(have);
    const lost = want.filter((t) => now[t.Key] !== t.Value).map((t) => t.Key);
    return lost.length ? [`${label} lacks the tag${lost.length === 1 ? '' : 's'} ${lost.join(', ')} of the recovery point.`] : [];
  };

  return { rds, findInstance, findCluster, clusterInstances, waitInstance, waitCluster, replicaTags, tagTarget, conflict, missingReplica, refuseNonTest, deleteInstance, missingTags };
}

export type RdsTools = ReturnType<typeof rdsTools>;
