// RDS and Aurora through the AWS SDK: a cross-region read replica (instance) or a global-database
// secondary (Aurora); test copies restored from a snapshot of the replica; failover promotes / detaches.

import {
  AddTagsToResourceCommand,
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  CreateDBParameterGroupCommand,
  CreateDBSnapshotCommand,
  CreateGlobalClusterCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBParameterGroupsCommand,
  DescribeDBParametersCommand,
  DescribeDBSnapshotsCommand,
  DescribeGlobalClustersCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  ModifyDBParameterGroupCommand,
  PromoteReadReplicaCommand,
  PromoteReadReplicaDBClusterCommand,
  RemoveFromGlobalClusterCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  type DBCluster,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type {
  CapturedItem,
  CreatedResource,
  EnvRef,
  ProtectedResourceRef,
  RecoveryPointItemRef,
  ResourceHandler,
  ResourceMappingEntry,
  StepContext,
} from '../types';
import type { AwsContext } from './clients';
import { DR_TAG, drTags, hashHex, tagList, tagRecord, testName, type AwsTag } from './naming';

type RdsKind = 'DBInstance' | 'DBCluster';

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
function rdsIdentifier(base: string, suffix: string): string {
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

const isAurora = (engine: string | undefined) => (engine ?? '').startsWith('aurora');
const isDefaultGroup = (name: string) => name.startsWith('default.');
const hasTestTag = (tags: Record<string, string>) => tags[DR_TAG.test] === 'true';

function readCaptured(item: { metadata: Record<string, unknown> }, label: string): RdsCaptured {
  const m = item.metadata as Partial<RdsCaptured>;
  if (!m || typeof m.name !== 'string' || typeof m.sourceId !== 'string' || !m.settings || (m.kind !== 'DBInstance' && m.kind !== 'DBCluster')) {
    throw new ProviderFailure('PreconditionFailed', `The recovery point of ${label} holds no RDS settings; choose a point created by a successful replication.`);
  }
  return m as RdsCaptured;
}

function replicaRef(item: RecoveryPointItemRef, name: string): string {
  const ref = item.dataRefs.find((d) => d.kind === 'Replica');
  if (!ref) {
    throw new ProviderFailure(
      'PreconditionFailed',
      `The recovery point of database ${name} has no replica reference; choose a recovery point created by a successful replication.`,
    );
  }
  return ref.id;
}

export function createRdsHandler(aws: AwsContext): ResourceHandler {
  const rds = (env: EnvRef): RDSClient => aws.rds(env);

  const findInstance = async (env: EnvRef, id: string): Promise<DBInstance | undefined> => {
    const r = await aws.find(env, 'rds:DescribeDBInstances', () => rds(env).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })));
    return r?.DBInstances?.[0];
  };
  const findCluster = async (env: EnvRef, id: string): Promise<DBCluster | undefined> => {
    const r = await aws.find(env, 'rds:DescribeDBClusters', () => rds(env).send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })));
    return r?.DBClusters?.[0];
  };
  const clusterInstances = async (env: EnvRef, clusterId: string): Promise<DBInstance[]> => {
    const r = await aws.call(env, 'rds:DescribeDBInstances', () =>
      rds(env).send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: [clusterId] }] })),
    );
    return (r.DBInstances ?? []).filter((i) => i.DBClusterIdentifier === clusterId);
  };

  const waitInstance = (env: EnvRef, id: string, ctx: StepContext) =>
    aws.waitFor(`DB instance ${id} in ${env.region} to become available`, ctx.signal, async () => {
      const i = await findInstance(env, id);
      return i && (i.DBInstanceStatus === 'available' || i.DBInstanceStatus === 'storage-optimization') ? i : undefined;
    });
  const waitCluster = (env: EnvRef, id: string, ctx: StepContext) =>
    aws.waitFor(`Aurora cluster ${id} in ${env.region} to become available`, ctx.signal, async () => {
      const c = await findCluster(env, id);
      return c && c.Status === 'available' ? c : undefined;
    });

  const parameterGroup = async (env: EnvRef, name: string | undefined): Promise<RdsParameterGroup | null> => {
    if (!name) return null;
    if (isDefaultGroup(name)) return { name, family: null, parameters: {} };
    const group = await aws.find(env, 'rds:DescribeDBParameterGroups', () =>
      rds(env).send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: name })),
    );
    const params = await aws.find(env, 'rds:DescribeDBParameters', () =>
      rds(env).send(new DescribeDBParametersCommand({ DBParameterGroupName: name, Source: 'user' })),
    );
    const parameters: Record<string, string> = {};
    for (const p of params?.Parameters ?? []) if (p.ParameterName && p.ParameterValue !== undefined) parameters[p.ParameterName] = p.ParameterValue;
    return { name, family: group?.DBParameterGroups?.[0]?.DBParameterGroupFamily ?? null, parameters };
  };

  /** The customer's parameter group must exist in the target before ModifyDBInstance can name it. */
  const ensureParameterGroup = async (env: EnvRef, group: RdsParameterGroup | null, ctx: StepContext): Promise<string | undefined> => {
    if (!group) return undefined;
    if (isDefaultGroup(group.name)) return group.name;
    const existing = await aws.find(env, 'rds:DescribeDBParameterGroups', () =>
      rds(env).send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: group.name })),
    );
    if (!existing?.DBParameterGroups?.length) {
      if (!group.family) return undefined;
      ctx.recordIntent({ op: 'CreateDBParameterGroup', name: group.name, region: env.region });
      await aws.call(env, 'rds:CreateDBParameterGroup', () =>
        rds(env).send(
          new CreateDBParameterGroupCommand({
            DBParameterGroupName: group.name,
            DBParameterGroupFamily: group.family!,
            Description: `Copied by Failover Console from ${group.name}`,
            Tags: drTags(ctx),
          }),
        ),
      );
    }
    const entries = Object.entries(group.parameters);
    for (let i = 0; i < entries.length; i += 20) {
      // ModifyDBParameterGroup takes at most 20 parameters per call.
      const chunk = entries.slice(i, i + 20);
      await aws.call(env, 'rds:ModifyDBParameterGroup', () =>
        rds(env).send(
          new ModifyDBParameterGroupCommand({
            DBParameterGroupName: group.name,
            Parameters: chunk.map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue, ApplyMethod: 'pending-reboot' })),
          }),
        ),
      );
    }
    return group.name;
  };

  const captureInstance = async (env: EnvRef, db: DBInstance): Promise<RdsCaptured> => ({
    name: db.DBInstanceIdentifier ?? '',
    kind: 'DBInstance',
    sourceId: db.DBInstanceArn ?? '',
    sourceRegion: env.region,
    tags: tagRecord(db.TagList),
    settings: {
      engine: db.Engine ?? '',
      engineVersion: db.EngineVersion ?? '',
      instanceClass: db.DBInstanceClass ?? null,
      multiAz: db.MultiAZ ?? false,
      allocatedStorageGb: db.AllocatedStorage ?? null,
      storageType: db.StorageType ?? null,
      iops: db.Iops ?? null,
      storageEncrypted: db.StorageEncrypted ?? false,
      backupRetentionPeriod: db.BackupRetentionPeriod ?? 0,
      preferredBackupWindow: db.PreferredBackupWindow ?? null,
      parameterGroup: await parameterGroup(env, db.DBParameterGroups?.[0]?.DBParameterGroupName),
      vpcSecurityGroupIds: (db.VpcSecurityGroups ?? []).flatMap((g) => (g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : [])),
      dbSubnetGroup: db.DBSubnetGroup?.DBSubnetGroupName ?? null,
      port: db.Endpoint?.Port ?? db.DbInstancePort ?? null,
      deletionProtection: db.DeletionProtection ?? false,
      iamAuth: db.IAMDatabaseAuthenticationEnabled ?? false,
      globalClusterArn: null,
    },
  });

  const captureCluster = async (env: EnvRef, c: DBCluster): Promise<RdsCaptured> => {
    const members = await clusterInstances(env, c.DBClusterIdentifier ?? '');
    const writerId = c.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier;
    const writer = members.find((m) => m.DBInstanceIdentifier === writerId) ?? members[0];
    return {
      name: c.DBClusterIdentifier ?? '',
      kind: 'DBCluster',
      sourceId: c.DBClusterArn ?? '',
      sourceRegion: env.region,
      tags: tagRecord(c.TagList),
      settings: {
        engine: c.Engine ?? '',
        engineVersion: c.EngineVersion ?? '',
        instanceClass: writer?.DBInstanceClass ?? c.DBClusterInstanceClass ?? null,
        multiAz: c.MultiAZ ?? false,
        allocatedStorageGb: null,
        storageType: c.StorageType ?? 'aurora',
        iops: c.Iops ?? null,
        storageEncrypted: c.StorageEncrypted ?? false,
        backupRetentionPeriod: c.BackupRetentionPeriod ?? 1,
        preferredBackupWindow: c.PreferredBackupWindow ?? null,
        parameterGroup: c.DBClusterParameterGroup ? { name: c.DBClusterParameterGroup, family: null, parameters: {} } : null,
        vpcSecurityGroupIds: (c.VpcSecurityGroups ?? []).flatMap((g) => (g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : [])),
        dbSubnetGroup: c.DBSubnetGroup ?? null,
        port: c.Port ?? null,
        deletionProtection: c.DeletionProtection ?? false,
        iamAuth: c.IAMDatabaseAuthenticationEnabled ?? false,
        globalClusterArn: (c as DBCluster & { GlobalClusterIdentifier?: string }).GlobalClusterIdentifier ?? null,
      },
    };
  };

  const loadSource = async (resource: ProtectedResourceRef, ctx: StepContext): Promise<RdsCaptured> => {
    const arn = parseRdsArn(resource.nativeId);
    const gone = () =>
      new ProviderFailure(
        'NotFound',
        `The database ${resource.name} (${resource.nativeId}) no longer exists in ${ctx.source.region}. Restore it, or remove it from the policy.`,
      );
    if (arn.kind === 'DBInstance') {
      const db = await findInstance(ctx.source, arn.id);
      if (!db) throw gone();
      return captureInstance(ctx.source, db);
    }
    const c = await findCluster(ctx.source, arn.id);
    if (!c) throw gone();
    return captureCluster(ctx.source, c);
  };

  const replicaTags = (ctx: StepContext, meta: RdsCaptured): AwsTag[] => [
    ...tagList(meta.tags),
    ...drTags(ctx, { purpose: 'replica', sourceId: meta.sourceId }),
  ];

  const conflict = (id: string, region: string, source: string) =>
    new ProviderFailure(
      'Conflict',
      `${id} already exists in ${region} and is not this policy's replica of ${source}. Remove or rename it, or choose another target environment.`,
    );

  const ensureInstanceReplica = async (meta: RdsCaptured, ctx: StepContext): Promise<DBInstance> => {
    const id = rdsReplicaIdentifier(meta.name, ctx.policyId);
    const existing = await findInstance(ctx.target, id);
    if (existing) {
      if (tagRecord(existing.TagList)[DR_TAG.policy] !== ctx.policyId) throw conflict(id, ctx.target.region, meta.name);
      return existing;
    }
    // A cross-region replica gets the region's default parameter group unless told otherwise: copy the customer's first.
    const group = await ensureParameterGroup(ctx.target, meta.settings.parameterGroup, ctx);
    ctx.recordIntent({ op: 'CreateDBInstanceReadReplica', replicaId: id, source: meta.sourceId, region: ctx.target.region });
    ctx.progress(`Creating read replica ${id} of ${meta.name} in ${ctx.target.region}`);
    const r = await aws.call(ctx.target, 'rds:CreateDBInstanceReadReplica', () =>
      rds(ctx.target).send(
        new CreateDBInstanceReadReplicaCommand({
          DBInstanceIdentifier: id,
          // Cross-region replicas name their source by ARN; from its region the SDK presigns the request.
          SourceDBInstanceIdentifier: meta.sourceId,
          ...(meta.settings.instanceClass ? { DBInstanceClass: meta.settings.instanceClass } : {}),
          ...(meta.settings.storageType ? { StorageType: meta.settings.storageType } : {}),
          ...(group ? { DBParameterGroupName: group } : {}),
          CopyTagsToSnapshot: true,
          Tags: replicaTags(ctx, meta),
        }),
      ),
    );
    return r.DBInstance ?? (await waitInstance(ctx.target, id, ctx));
  };

  /**
   * Aurora joins a global database as a secondary (both engines; a binlog replica cluster would be
   * MySQL-only). A replica cluster made by ReplicationSourceIdentifier is still promoted on failover.
   */
  const ensureClusterReplica = async (meta: RdsCaptured, ctx: StepContext): Promise<DBCluster> => {
    const id = rdsReplicaIdentifier(meta.name, ctx.policyId);
    let cluster = await findCluster(ctx.target, id);
    if (cluster && tagRecord(cluster.TagList)[DR_TAG.policy] !== ctx.policyId) throw conflict(id, ctx.target.region, meta.name);
    if (!cluster) {
      const globalId = await ensureGlobalCluster(meta, ctx);
      ctx.recordIntent({ op: 'CreateDBCluster', replicaId: id, source: meta.sourceId, globalCluster: globalId, region: ctx.target.region });
      ctx.progress(`Creating Aurora replica cluster ${id} of ${meta.name} in ${ctx.target.region}`);
      const r = await aws.call(ctx.target, 'rds:CreateDBCluster', () =>
        rds(ctx.target).send(
          new CreateDBClusterCommand({
            DBClusterIdentifier: id,
            Engine: meta.settings.engine,
            EngineVersion: meta.settings.engineVersion,
            GlobalClusterIdentifier: globalId,
            CopyTagsToSnapshot: true,
            Tags: replicaTags(ctx, meta),
          }),
        ),
      );
      cluster = r.DBCluster;
    }
    // A cluster without an instance serves nothing: the replica gets one reader like the source's writer.
    const instanceId = rdsIdentifier(id, '1');
    if (!(await findInstance(ctx.target, instanceId))) {
      ctx.recordIntent({ op: 'CreateDBInstance', instanceId, cluster: id, region: ctx.target.region });
      await aws.call(ctx.target, 'rds:CreateDBInstance', () =>
        rds(ctx.target).send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: instanceId,
            DBClusterIdentifier: id,
            Engine: meta.settings.engine,
            DBInstanceClass: meta.settings.instanceClass ?? 'db.r6g.large',
            Tags: replicaTags(ctx, meta),
          }),
        ),
      );
    }
    return cluster ?? (await waitCluster(ctx.target, id, ctx));
  };

  const ensureGlobalCluster = async (meta: RdsCaptured, ctx: StepContext): Promise<string> => {
    if (meta.settings.globalClusterArn) {
      // The source already is in a global database: the replica joins it. Its identifier is the ARN's last part.
      return meta.settings.globalClusterArn.split(':').pop()!.replace(/^global-cluster\//, '');
    }
    const id = rdsGlobalClusterIdentifier(meta.name, ctx.policyId);
    const existing = await aws.find(ctx.source, 'rds:DescribeGlobalClusters', () =>
      rds(ctx.source).send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: id })),
    );
    if (existing?.GlobalClusters?.length) return id;
    ctx.recordIntent({ op: 'CreateGlobalCluster', globalClusterId: id, source: meta.sourceId });
    await aws.call(ctx.source, 'rds:CreateGlobalCluster', () =>
      rds(ctx.source).send(new CreateGlobalClusterCommand({ GlobalClusterIdentifier: id, SourceDBClusterIdentifier: meta.sourceId })),
    );
    return id;
  };

  const describeTarget = async (ctx: StepContext, kind: RdsKind, arnOrId: string) => {
    const id = arnOrId.startsWith('arn:') ? parseRdsArn(arnOrId).id : arnOrId;
    return kind === 'DBInstance' ? findInstance(ctx.target, id) : findCluster(ctx.target, id);
  };

  // ---- test failover -------------------------------------------------------------------------------

  const testInstance = async (meta: RdsCaptured, replicaId: string, ctx: StepContext): Promise<CreatedResource[]> => {
    const dbId = testName(meta.name, ctx);
    const snapId = testName(`${meta.name}-snap`, ctx);
    const tags = [...tagList(meta.tags), ...drTags(ctx, { test: true, sourceId: meta.sourceId })];
    const snap = await aws.find(ctx.target, 'rds:DescribeDBSnapshots', () =>
      rds(ctx.target).send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapId })),
    );
    if (!snap?.DBSnapshots?.length) {
      ctx.recordIntent({ op: 'CreateDBSnapshot', snapshotId: snapId, dbId, of: replicaId });
      ctx.progress(`Snapshotting replica ${replicaId}`);
      await aws.call(ctx.target, 'rds:CreateDBSnapshot', () =>
        rds(ctx.target).send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: replicaId, DBSnapshotIdentifier: snapId, Tags: tags })),
      );
    }
    const snapshot = await aws.waitFor(`snapshot ${snapId}`, ctx.signal, async () => {
      const r = await aws.find(ctx.target, 'rds:DescribeDBSnapshots', () =>
        rds(ctx.target).send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapId })),
      );
      const s = r?.DBSnapshots?.[0];
      return s?.Status === 'available' ? s : undefined;
    });
    let db = await findInstance(ctx.target, dbId);
    if (!db) {
      ctx.recordIntent({ op: 'RestoreDBInstanceFromDBSnapshot', snapshotId: snapId, dbId });
      ctx.progress(`Restoring test database ${dbId} from ${snapId}`);
      const r = await aws.call(ctx.target, 'rds:RestoreDBInstanceFromDBSnapshot', () =>
        rds(ctx.target).send(
          new RestoreDBInstanceFromDBSnapshotCommand({
            DBInstanceIdentifier: dbId,
            DBSnapshotIdentifier: snapId,
            ...(meta.settings.instanceClass ? { DBInstanceClass: meta.settings.instanceClass } : {}),
            MultiAZ: false,
            DeletionProtection: false,
            Tags: tags,
          }),
        ),
      );
      db = r.DBInstance;
    }
    return [
      { kind: 'DBInstance', nativeId: db?.DBInstanceArn ?? dbId, name: dbId, region: ctx.target.region, sourceId: meta.sourceId },
      { kind: 'DBSnapshot', nativeId: snapshot.DBSnapshotArn ?? snapId, name: snapId, region: ctx.target.region, sourceId: meta.sourceId },
    ];
  };

  const testCluster = async (meta: RdsCaptured, replicaId: string, ctx: StepContext): Promise<CreatedResource[]> => {
    const clusterId = testName(meta.name, ctx);
    const instanceId = testName(`${meta.name}-1`, ctx);
    const snapId = testName(`${meta.name}-snap`, ctx);
    const tags = [...tagList(meta.tags), ...drTags(ctx, { test: true, sourceId: meta.sourceId })];
    const findSnap = async () => {
      const r = await aws.find(ctx.target, 'rds:DescribeDBClusterSnapshots', () =>
        rds(ctx.target).send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: snapId })),
      );
      return r?.DBClusterSnapshots?.[0];
    };
    if (!(await findSnap())) {
      ctx.recordIntent({ op: 'CreateDBClusterSnapshot', snapshotId: snapId, of: replicaId });
      await aws.call(ctx.target, 'rds:CreateDBClusterSnapshot', () =>
        rds(ctx.target).send(new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: replicaId, DBClusterSnapshotIdentifier: snapId, Tags: tags })),
      );
    }
    const snapshot = await aws.waitFor(`cluster snapshot ${snapId}`, ctx.signal, async () => {
      const s = await findSnap();
      return s?.Status === 'available' ? s : undefined;
    });
    let cluster = await findCluster(ctx.target, clusterId);
    if (!cluster) {
      ctx.recordIntent({ op: 'RestoreDBClusterFromSnapshot', snapshotId: snapId, clusterId });
      const r = await aws.call(ctx.target, 'rds:RestoreDBClusterFromSnapshot', () =>
        rds(ctx.target).send(
          new RestoreDBClusterFromSnapshotCommand({
            DBClusterIdentifier: clusterId,
            SnapshotIdentifier: snapId,
            Engine: meta.settings.engine,
            EngineVersion: meta.settings.engineVersion,
            DeletionProtection: false,
            Tags: tags,
          }),
        ),
      );
      cluster = r.DBCluster;
    }
    let instance = await findInstance(ctx.target, instanceId);
    if (!instance) {
      ctx.recordIntent({ op: 'CreateDBInstance', instanceId, clusterId });
      const r = await aws.call(ctx.target, 'rds:CreateDBInstance', () =>
        rds(ctx.target).send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: instanceId,
            DBClusterIdentifier: clusterId,
            Engine: meta.settings.engine,
            DBInstanceClass: meta.settings.instanceClass ?? 'db.r6g.large',
            Tags: tags,
          }),
        ),
      );
      instance = r.DBInstance;
    }
    const region = ctx.target.region;
    return [
      { kind: 'DBCluster', nativeId: cluster?.DBClusterArn ?? clusterId, name: clusterId, region, sourceId: meta.sourceId },
      { kind: 'DBInstance', nativeId: instance?.DBInstanceArn ?? instanceId, name: instanceId, region, sourceId: meta.sourceId },
      { kind: 'DBClusterSnapshot', nativeId: snapshot.DBClusterSnapshotArn ?? snapId, name: snapId, region, sourceId: meta.sourceId },
    ];
  };

  // ---- reset ---------------------------------------------------------------------------------------

  const refuseNonTest = (created: CreatedResource, tags: Record<string, string>) => {
    if (!hasTestTag(tags) && !created.name.startsWith('drtest-')) {
      throw new ProviderFailure(
        'PreconditionFailed',
        `${created.kind} ${created.name} was not created by a test failover (no ${DR_TAG.test} tag); Reset leaves it alone.`,
      );
    }
  };

  const deleteInstance = async (env: EnvRef, created: CreatedResource, ctx: StepContext) => {
    const db = await findInstance(env, created.name);
    if (!db) return;
    refuseNonTest(created, tagRecord(db.TagList));
    if (db.DBInstanceStatus === 'deleting') return;
    ctx.recordIntent({ op: 'DeleteDBInstance', id: created.name });
    await aws.find(env, 'rds:DeleteDBInstance', () =>
      rds(env).send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: created.name, SkipFinalSnapshot: true, DeleteAutomatedBackups: true })),
    );
  };

  // ---- failover ------------------------------------------------------------------------------------

  const failoverInstance = async (meta: RdsCaptured, replicaArn: string, ctx: StepContext): Promise<ResourceMappingEntry[]> => {
    const id = parseRdsArn(replicaArn).id;
    let db = await findInstance(ctx.target, id);
    if (!db) throw missingReplica(meta, id, ctx);
    const s = meta.settings;
    if (db.ReadReplicaSourceDBInstanceIdentifier) {
      ctx.recordIntent({ op: 'PromoteReadReplica', id });
      ctx.progress(`Promoting read replica ${id} in ${ctx.target.region}`);
      await aws.call(ctx.target, 'rds:PromoteReadReplica', () =>
        rds(ctx.target).send(
          new PromoteReadReplicaCommand({
            DBInstanceIdentifier: id,
            BackupRetentionPeriod: Math.max(s.backupRetentionPeriod, 1),
            ...(s.preferredBackupWindow ? { PreferredBackupWindow: s.preferredBackupWindow } : {}),
          }),
        ),
      );
    }
    db = await waitInstance(ctx.target, id, ctx);
    const group = await ensureParameterGroup(ctx.target, s.parameterGroup, ctx);
    ctx.recordIntent({ op: 'ModifyDBInstance', id });
    await aws.call(ctx.target, 'rds:ModifyDBInstance', () =>
      rds(ctx.target).send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: id,
          ...(s.instanceClass ? { DBInstanceClass: s.instanceClass } : {}),
          BackupRetentionPeriod: s.backupRetentionPeriod,
          ...(s.preferredBackupWindow ? { PreferredBackupWindow: s.preferredBackupWindow } : {}),
          ...(group ? { DBParameterGroupName: group } : {}),
          MultiAZ: s.multiAz,
          DeletionProtection: s.deletionProtection,
          EnableIAMDatabaseAuthentication: s.iamAuth,
          ApplyImmediately: true,
        }),
      ),
    );
    await tagTarget(db.DBInstanceArn ?? replicaArn, meta, ctx);
    return [{ sourceId: meta.sourceId, kind: 'DBInstance', name: id, targetId: db.DBInstanceArn ?? replicaArn, reused: true }];
  };

  const failoverCluster = async (meta: RdsCaptured, replicaArn: string, ctx: StepContext): Promise<ResourceMappingEntry[]> => {
    const id = parseRdsArn(replicaArn).id;
    const cluster = await findCluster(ctx.target, id);
    if (!cluster) throw missingReplica(meta, id, ctx);
    const globalArn = (cluster as DBCluster & { GlobalClusterIdentifier?: string }).GlobalClusterIdentifier;
    if (cluster.ReplicationSourceIdentifier) {
      ctx.recordIntent({ op: 'PromoteReadReplicaDBCluster', id });
      ctx.progress(`Promoting replica cluster ${id} in ${ctx.target.region}`);
      await aws.call(ctx.target, 'rds:PromoteReadReplicaDBCluster', () =>
        rds(ctx.target).send(new PromoteReadReplicaDBClusterCommand({ DBClusterIdentifier: id })),
      );
    } else if (globalArn) {
      const globalId = globalArn.split(':').pop()!.replace(/^global-cluster\//, '');
      ctx.recordIntent({ op: 'RemoveFromGlobalCluster', id, globalCluster: globalId });
      ctx.progress(`Detaching ${id} from global database ${globalId}`);
      // Called in the target region: it works while the source region is down.
      await aws.find(ctx.target, 'rds:RemoveFromGlobalCluster', () =>
        rds(ctx.target).send(new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: globalId, DbClusterIdentifier: cluster.DBClusterArn ?? replicaArn })),
      );
    }
    await waitCluster(ctx.target, id, ctx);
    const s = meta.settings;
    ctx.recordIntent({ op: 'ModifyDBCluster', id });
    await aws.call(ctx.target, 'rds:ModifyDBCluster', () =>
      rds(ctx.target).send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: id,
          BackupRetentionPeriod: Math.max(s.backupRetentionPeriod, 1),
          ...(s.preferredBackupWindow ? { PreferredBackupWindow: s.preferredBackupWindow } : {}),
          DeletionProtection: s.deletionProtection,
          EnableIAMDatabaseAuthentication: s.iamAuth,
          ApplyImmediately: true,
        }),
      ),
    );
    if (s.instanceClass) {
      for (const m of await clusterInstances(ctx.target, id)) {
        if (m.DBInstanceClass === s.instanceClass) continue;
        await aws.call(ctx.target, 'rds:ModifyDBInstance', () =>
          rds(ctx.target).send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: m.DBInstanceIdentifier!, DBInstanceClass: s.instanceClass!, ApplyImmediately: true })),
        );
      }
    }
    await tagTarget(cluster.DBClusterArn ?? replicaArn, meta, ctx);
    return [{ sourceId: meta.sourceId, kind: 'DBCluster', name: id, targetId: cluster.DBClusterArn ?? replicaArn, reused: true }];
  };

  const tagTarget = async (arn: string, meta: RdsCaptured, ctx: StepContext) => {
    const tags = [...tagList(meta.tags), ...drTags(ctx, { purpose: 'failover', sourceId: meta.sourceId })];
    await aws.call(ctx.target, 'rds:AddTagsToResource', () => rds(ctx.target).send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: tags })));
  };

  const missingReplica = (meta: RdsCaptured, id: string, ctx: StepContext) =>
    new ProviderFailure(
      'NotFound',
      `The replica ${id} of database ${meta.name} is missing from ${ctx.target.region}; it may have been deleted outside the console. Run a replication, then retry.`,
    );

  return {
    type: 'aws.rds',
    usesLatestPoint: false,

    async discover(ctx): Promise<DiscoveredResource[]> {
      const env = ctx.env;
      const out: DiscoveredResource[] = [];
      let marker: string | undefined;
      do {
        const r = await aws.call(env, 'rds:DescribeDBInstances', () => rds(env).send(new DescribeDBInstancesCommand({ ...(marker ? { Marker: marker } : {}) }), { abortSignal: ctx.signal }));
        for (const db of r.DBInstances ?? []) {
          // Aurora members are listed through their cluster; the console's own replicas and test copies are not the customer's.
          const tags = tagRecord(db.TagList);
          if (db.DBClusterIdentifier || tags[DR_TAG.policy] || !db.DBInstanceArn || !db.DBInstanceIdentifier) continue;
          out.push({
            type: 'aws.rds',
            nativeId: db.DBInstanceArn,
            name: db.DBInstanceIdentifier,
            region: env.region,
            tags,
            summary: `${db.DBInstanceClass ?? '?'}, ${db.Engine ?? '?'} ${db.EngineVersion ?? ''}${db.MultiAZ ? ', Multi-AZ' : ''}${db.ReadReplicaSourceDBInstanceIdentifier ? ', read replica' : ''}`.slice(0, 256),
          });
        }
        marker = r.Marker;
      } while (marker);
      do {
        const r = await aws.call(env, 'rds:DescribeDBClusters', () => rds(env).send(new DescribeDBClustersCommand({ ...(marker ? { Marker: marker } : {}) }), { abortSignal: ctx.signal }));
        for (const c of r.DBClusters ?? []) {
          const tags = tagRecord(c.TagList);
          if (tags[DR_TAG.policy] || !c.DBClusterArn || !c.DBClusterIdentifier) continue;
          out.push({
            type: 'aws.rds',
            nativeId: c.DBClusterArn,
            name: c.DBClusterIdentifier,
            region: env.region,
            tags,
            summary: `Aurora cluster, ${c.Engine ?? '?'} ${c.EngineVersion ?? ''}, ${c.DBClusterMembers?.length ?? 0} instances`.slice(0, 256),
          });
        }
        marker = r.Marker;
      } while (marker);
      return out;
    },

    async replicate(resource, ctx): Promise<CapturedItem> {
      const meta = await loadSource(resource, ctx);
      if (meta.kind === 'DBInstance') {
        const replica = await ensureInstanceReplica(meta, ctx);
        return {
          metadata: { ...meta },
          dataRefs: [
            { kind: 'Replica', id: replica.DBInstanceArn ?? rdsReplicaIdentifier(meta.name, ctx.policyId), region: ctx.target.region },
            { kind: 'ReadReplica', id: replica.DBInstanceIdentifier ?? '', region: meta.sourceRegion },
          ],
        };
      }
      if (!isAurora(meta.settings.engine)) {
        throw new ProviderFailure('PreconditionFailed', `${meta.name} is a ${meta.settings.engine} cluster; only Aurora clusters can be replicated across regions.`);
      }
      const replica = await ensureClusterReplica(meta, ctx);
      return {
        metadata: { ...meta },
        dataRefs: [
          { kind: 'Replica', id: replica.DBClusterArn ?? rdsReplicaIdentifier(meta.name, ctx.policyId), region: ctx.target.region },
          { kind: 'ReadReplica', id: replica.DBClusterIdentifier ?? '', region: meta.sourceRegion },
        ],
      };
    },

    async testFailover(item, ctx): Promise<CreatedResource[]> {
      const meta = readCaptured(item, item.resource.name);
      const ref = replicaRef(item, meta.name);
      const replica = await describeTarget(ctx, meta.kind, ref);
      const replicaId = parseRdsArn(ref).id;
      if (!replica) throw missingReplica(meta, replicaId, ctx);
      return meta.kind === 'DBInstance' ? testInstance(meta, replicaId, ctx) : testCluster(meta, replicaId, ctx);
    },

    async reset(created, ctx): Promise<void> {
      const env = ctx.target;
      switch (created.kind) {
        case 'DBInstance':
          return deleteInstance(env, created, ctx);
        case 'DBSnapshot': {
          if (!created.name.startsWith('drtest-')) refuseNonTest(created, {});
          await aws.find(env, 'rds:DeleteDBSnapshot', () => rds(env).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: created.name })));
          return;
        }
        case 'DBClusterSnapshot': {
          if (!created.name.startsWith('drtest-')) refuseNonTest(created, {});
          await aws.find(env, 'rds:DeleteDBClusterSnapshot', () =>
            rds(env).send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: created.name })),
          );
          return;
        }
        case 'DBCluster': {
          const c = await findCluster(env, created.name);
          if (!c) return;
          refuseNonTest(created, tagRecord(c.TagList));
          // A cluster cannot be deleted while it has instances, whatever order Reset visits them in.
          for (const m of await clusterInstances(env, created.name)) {
            await deleteInstance(env, { ...created, kind: 'DBInstance', name: m.DBInstanceIdentifier ?? '' }, ctx);
          }
          ctx.recordIntent({ op: 'DeleteDBCluster', id: created.name });
          await aws.find(env, 'rds:DeleteDBCluster', () =>
            rds(env).send(new DeleteDBClusterCommand({ DBClusterIdentifier: created.name, SkipFinalSnapshot: true })),
          );
          return;
        }
        default:
          throw new ProviderFailure('ValidationFailed', `Reset does not know how to delete an RDS ${created.kind}.`);
      }
    },

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      const meta = readCaptured(item, item.resource.name);
      const ref = replicaRef(item, meta.name);
      return meta.kind === 'DBInstance' ? failoverInstance(meta, ref, ctx) : failoverCluster(meta, ref, ctx);
    },

    async stopReplication(resource, ctx): Promise<void> {
      // Ending replication for good detaches the replica (promotion); a replica already standalone is done.
      const arn = parseRdsArn(resource.nativeId);
      const id = rdsReplicaIdentifier(arn.id, ctx.policyId);
      if (arn.kind === 'DBInstance') {
        const db = await findInstance(ctx.target, id);
        if (!db?.ReadReplicaSourceDBInstanceIdentifier) return;
        ctx.recordIntent({ op: 'PromoteReadReplica', id });
        await aws.call(ctx.target, 'rds:PromoteReadReplica', () => rds(ctx.target).send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: id })));
        return;
      }
      const c = await findCluster(ctx.target, id);
      if (!c) return;
      const globalArn = (c as DBCluster & { GlobalClusterIdentifier?: string }).GlobalClusterIdentifier;
      if (c.ReplicationSourceIdentifier) {
        ctx.recordIntent({ op: 'PromoteReadReplicaDBCluster', id });
        await aws.call(ctx.target, 'rds:PromoteReadReplicaDBCluster', () => rds(ctx.target).send(new PromoteReadReplicaDBClusterCommand({ DBClusterIdentifier: id })));
      } else if (globalArn) {
        ctx.recordIntent({ op: 'RemoveFromGlobalCluster', id });
        await aws.find(ctx.target, 'rds:RemoveFromGlobalCluster', () =>
          rds(ctx.target).send(
            new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: globalArn.split(':').pop()!.replace(/^global-cluster\//, ''), DbClusterIdentifier: c.DBClusterArn ?? id }),
          ),
        );
      }
    },
  };
}
