// Aurora clusters: the policy's secondary cluster of a global database (both engines; a binlog replica
// cluster would be MySQL-only); test copies restored from a cluster snapshot; failover detaches (or
// promotes) the secondary, applies the point's settings and reads the result back.

import {
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateGlobalClusterCommand,
  DeleteDBClusterCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeGlobalClustersCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  PromoteReadReplicaDBClusterCommand,
  RemoveFromGlobalClusterCommand,
  RestoreDBClusterFromSnapshotCommand,
  waitUntilDBClusterSnapshotAvailable,
  type DBCluster,
} from '@aws-sdk/client-rds';
import type { CreatedResource, EnvRef, ResourceMappingEntry, StepContext } from '../types';
import type { AwsContext } from './clients';
import { DR_TAG, drTags, tagList, tagRecord, testName } from './naming';
import { globalArnOf, globalIdOf, parseRdsArn, rdsGlobalClusterIdentifier, rdsIdentifier, rdsReplicaIdentifier, type RdsCaptured, type RdsTools } from './rds-common';

export function rdsAurora(aws: AwsContext, t: RdsTools) {
  const capture = async (ctx: StepContext, env: EnvRef, c: DBCluster): Promise<RdsCaptured> => {
    const members = await t.clusterInstances(ctx, env, c.DBClusterIdentifier ?? '');
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
        globalClusterArn: globalArnOf(c) ?? null,
      },
    };
  };

  const ensureGlobalCluster = async (meta: RdsCaptured, ctx: StepContext): Promise<string> => {
    // The source already is in a global database: the replica joins it.
    if (meta.settings.globalClusterArn) return globalIdOf(meta.settings.globalClusterArn);
    const id = rdsGlobalClusterIdentifier(meta.name, ctx.policyId);
    const find = () =>
      aws.lookup(ctx, ctx.source, 'rds:DescribeGlobalClusters', (signal) => t.rds(ctx.source).send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: id }), { abortSignal: signal }));
    if ((await find())?.GlobalClusters?.length) return id;
    await aws.mutate(ctx, ctx.source, 'create-global-cluster', {
      action: 'rds:CreateGlobalCluster',
      intent: { globalClusterId: id, source: meta.sourceId },
      resume: async () => ((await find())?.GlobalClusters?.length ? { id } : undefined),
      call: async (signal) => {
        await t.rds(ctx.source).send(new CreateGlobalClusterCommand({ GlobalClusterIdentifier: id, SourceDBClusterIdentifier: meta.sourceId }), { abortSignal: signal });
        return { id };
      },
    });
    return id;
  };

  /** Aurora joins a global database as a secondary; a cluster without an instance serves nothing, so it gets one reader. */
  const ensureReplica = async (meta: RdsCaptured, ctx: StepContext): Promise<{ arn: string | null; id: string }> => {
    const env = ctx.target;
    const id = rdsReplicaIdentifier(meta.name, ctx.policyId);
    let cluster = await t.findCluster(ctx, env, id);
    if (cluster && tagRecord(cluster.TagList)[DR_TAG.policy] !== ctx.policyId) throw t.conflict(id, env.region, meta.name);
    let arn = cluster?.DBClusterArn ?? null;
    if (!cluster) {
      const globalId = await ensureGlobalCluster(meta, ctx);
      ctx.progress(`Creating Aurora replica cluster ${id} of ${meta.name} in ${env.region}`);
      const made = await aws.mutate(ctx, env, 'create-db-cluster', {
        action: 'rds:CreateDBCluster',
        intent: { replicaId: id, source: meta.sourceId, globalCluster: globalId },
        resume: async () => {
          const found = await t.findCluster(ctx, env, id);
          return found ? { arn: found.DBClusterArn ?? null } : undefined;
        },
        call: async (signal) => {
          const r = await t.rds(env).send(
            new CreateDBClusterCommand({
              DBClusterIdentifier: id,
              Engine: meta.settings.engine,
              EngineVersion: meta.settings.engineVersion,
              GlobalClusterIdentifier: globalId,
              CopyTagsToSnapshot: true,
              Tags: t.replicaTags(ctx, meta),
            }),
            { abortSignal: signal },
          );
          return { arn: r.DBCluster?.DBClusterArn ?? null };
        },
      });
      arn = made.arn;
    }
    const instanceId = rdsIdentifier(id, '1');
    if (!(await t.findInstance(ctx, env, instanceId))) {
      await aws.mutate(ctx, env, 'create-db-instance', {
        action: 'rds:CreateDBInstance',
        intent: { instanceId, cluster: id },
        resume: async () => ((await t.findInstance(ctx, env, instanceId)) ? { instanceId } : undefined),
        call: async (signal) => {
          await t.rds(env).send(
            new CreateDBInstanceCommand({
              DBInstanceIdentifier: instanceId,
              DBClusterIdentifier: id,
              Engine: meta.settings.engine,
              DBInstanceClass: meta.settings.instanceClass ?? 'db.r6g.large',
              Tags: t.replicaTags(ctx, meta),
            }),
            { abortSignal: signal },
          );
          return { instanceId };
        },
      });
    }
    if (!arn) {
      cluster = await t.waitCluster(ctx, env, id);
      arn = cluster.DBClusterArn ?? null;
    }
    return { arn, id };
  };

  const testFailover = async (meta: RdsCaptured, replicaId: string, ctx: StepContext): Promise<CreatedResource[]> => {
    const env = ctx.target;
    const clusterId = testName(meta.name, ctx);
    const instanceId = testName(`${meta.name}-1`, ctx);
    const snapId = testName(`${meta.name}-snap`, ctx);
    const tags = [...tagList(meta.tags), ...drTags(ctx, { role: 'test', sourceId: meta.sourceId })];
    const findSnap = async () =>
      (
        await aws.lookup(ctx, env, 'rds:DescribeDBClusterSnapshots', (signal) =>
          t.rds(env).send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: snapId }), { abortSignal: signal }),
        )
      )?.DBClusterSnapshots?.[0];
    if (!(await findSnap())) {
      await aws.mutate(ctx, env, 'create-db-cluster-snapshot', {
        action: 'rds:CreateDBClusterSnapshot',
        intent: { snapshotId: snapId, of: replicaId },
        resume: async () => ((await findSnap()) ? { snapshotId: snapId } : undefined),
        call: async (signal) => {
          await t.rds(env).send(new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: replicaId, DBClusterSnapshotIdentifier: snapId, Tags: tags }), { abortSignal: signal });
          return { snapshotId: snapId };
        },
      });
    }
    // The SDK's DBClusterSnapshotAvailable waiter: at most 30 minutes, its documented maximum.
    await aws.wait(ctx, env, 'rds:DBClusterSnapshotAvailable', `cluster snapshot ${snapId}`, waitUntilDBClusterSnapshotAvailable, t.rds(env), { DBClusterSnapshotIdentifier: snapId });
    const snapshot = await findSnap();
    if (!(await t.findCluster(ctx, env, clusterId))) {
      await aws.mutate(ctx, env, 'restore-db-cluster-from-snapshot', {
        action: 'rds:RestoreDBClusterFromSnapshot',
        intent: { snapshotId: snapId, clusterId },
        resume: async () => ((await t.findCluster(ctx, env, clusterId)) ? { clusterId } : undefined),
        call: async (signal) => {
          await t.rds(env).send(
            new RestoreDBClusterFromSnapshotCommand({
              DBClusterIdentifier: clusterId,
              SnapshotIdentifier: snapId,
              Engine: meta.settings.engine,
              EngineVersion: meta.settings.engineVersion,
              DeletionProtection: false,
              Tags: tags,
            }),
            { abortSignal: signal },
          );
          return { clusterId };
        },
      });
    }
    if (!(await t.findInstance(ctx, env, instanceId))) {
      await aws.mutate(ctx, env, 'create-db-instance', {
        action: 'rds:CreateDBInstance',
        intent: { instanceId, clusterId },
        resume: async () => ((await t.findInstance(ctx, env, instanceId)) ? { instanceId } : undefined),
        call: async (signal) => {
          await t.rds(env).send(
            new CreateDBInstanceCommand({
              DBInstanceIdentifier: instanceId,
              DBClusterIdentifier: clusterId,
              Engine: meta.settings.engine,
              DBInstanceClass: meta.settings.instanceClass ?? 'db.r6g.large',
              Tags: tags,
            }),
            { abortSignal: signal },
          );
          return { instanceId };
        },
      });
    }
    const cluster = await t.findCluster(ctx, env, clusterId);
    const instance = await t.findInstance(ctx, env, instanceId);
    if (cluster) for (const w of t.missingTags(`Test cluster ${clusterId}`, cluster.TagList, tags)) ctx.warn?.(w);
    const region = env.region;
    return [
      { kind: 'DBCluster', nativeId: cluster?.DBClusterArn ?? clusterId, name: clusterId, region, sourceId: meta.sourceId },
      { kind: 'DBInstance', nativeId: instance?.DBInstanceArn ?? instanceId, name: instanceId, region, sourceId: meta.sourceId },
      { kind: 'DBClusterSnapshot', nativeId: snapshot?.DBClusterSnapshotArn ?? snapId, name: snapId, region, sourceId: meta.sourceId },
    ];
  };

  /** Whether the global database still lists the cluster (moto keeps GlobalClusterIdentifier on a detached cluster). */
  const isGlobalMember = async (ctx: StepContext, globalId: string, clusterArn: string): Promise<boolean> => {
    const r = await aws.lookup(ctx, ctx.target, 'rds:DescribeGlobalClusters', (signal) =>
      t.rds(ctx.target).send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: globalId }), { abortSignal: signal }),
    );
    return (r?.GlobalClusters?.[0]?.GlobalClusterMembers ?? []).some((m) => m.DBClusterArn === clusterArn);
  };

  /** Ends the replication of the policy's secondary: promote a replica cluster, or detach it from its global database. */
  const detach = async (ctx: StepContext, cluster: DBCluster, id: string): Promise<void> => {
    const globalArn = globalArnOf(cluster);
    if (cluster.ReplicationSourceIdentifier) {
      ctx.progress(`Promoting replica cluster ${id} in ${ctx.target.region}`);
      await aws.mutate(ctx, ctx.target, `promote-read-replica-db-cluster:${id}`, {
        action: 'rds:PromoteReadReplicaDBCluster',
        intent: { id },
        resume: async () => ((await t.findCluster(ctx, ctx.target, id))?.ReplicationSourceIdentifier ? undefined : { promoted: id }),
        call: async (signal) => {
          await t.rds(ctx.target).send(new PromoteReadReplicaDBClusterCommand({ DBClusterIdentifier: id }), { abortSignal: signal });
          return { promoted: id };
        },
      });
    } else if (globalArn) {
      const globalId = globalIdOf(globalArn);
      ctx.progress(`Detaching ${id} from global database ${globalId}`);
      // Called in the target region: it works while the source region is down.
      await aws.mutate(ctx, ctx.target, `remove-from-global-cluster:${id}`, {
        action: 'rds:RemoveFromGlobalCluster',
        intent: { id, globalCluster: globalId },
        absentOk: true,
        resume: async () => ((await isGlobalMember(ctx, globalId, cluster.DBClusterArn ?? id)) ? undefined : { detached: id }),
        call: async (signal) => {
          await t.rds(ctx.target).send(new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: globalId, DbClusterIdentifier: cluster.DBClusterArn ?? id }), { abortSignal: signal });
          return { detached: id };
        },
      });
    }
  };

  const failover = async (meta: RdsCaptured, replicaArn: string, ctx: StepContext): Promise<ResourceMappingEntry[]> => {
    const env = ctx.target;
    const id = parseRdsArn(replicaArn).id;
    const cluster = await t.findCluster(ctx, env, id);
    if (!cluster) throw t.missingReplica(meta, id, ctx);
    await detach(ctx, cluster, id);
    await t.waitCluster(ctx, env, id);
    const s = meta.settings;
    await aws.mutate(ctx, env, `modify-db-cluster:${id}`, {
      action: 'rds:ModifyDBCluster',
      intent: { id },
      call: async (signal) => {
        await t.rds(env).send(
          new ModifyDBClusterCommand({
            DBClusterIdentifier: id,
            BackupRetentionPeriod: Math.max(s.backupRetentionPeriod, 1),
            ...(s.preferredBackupWindow ? { PreferredBackupWindow: s.preferredBackupWindow } : {}),
            DeletionProtection: s.deletionProtection,
            EnableIAMDatabaseAuthentication: s.iamAuth,
            ApplyImmediately: true,
          }),
          { abortSignal: signal },
        );
        return { modified: id };
      },
    });
    if (s.instanceClass) {
      const instanceClass = s.instanceClass;
      for (const m of await t.clusterInstances(ctx, env, id)) {
        const memberId = m.DBInstanceIdentifier;
        if (!memberId || m.DBInstanceClass === instanceClass) continue;
        await aws.mutate(ctx, env, `modify-db-instance:${memberId}`, {
          action: 'rds:ModifyDBInstance',
          intent: { id: memberId, instanceClass },
          call: async (signal) => {
            await t.rds(env).send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: memberId, DBInstanceClass: instanceClass, ApplyImmediately: true }), { abortSignal: signal });
            return { modified: memberId };
          },
        });
      }
    }
    const arn = cluster.DBClusterArn ?? replicaArn;
    const tags = await t.tagTarget(ctx, arn, meta);
    // Read back: the link to the source must be gone (promised); settings that differ are warnings.
    const after = await t.findCluster(ctx, env, id);
    // The detach itself is not read back: moto keeps global clusters per region and ignores a
    // RemoveFromGlobalCluster sent to the secondary's region (PEERS.md); its outcome is journaled.
    if (after) {
      const warn = (w: string) => ctx.warn?.(`Aurora cluster ${id} in ${env.region} ${w} (the recovery point of ${meta.name} has it).`);
      if ((after.DeletionProtection ?? false) !== s.deletionProtection) warn(`has deletion protection ${after.DeletionProtection ? 'on' : 'off'}`);
      if ((after.IAMDatabaseAuthenticationEnabled ?? false) !== s.iamAuth) warn(`has IAM authentication ${after.IAMDatabaseAuthenticationEnabled ? 'on' : 'off'}`);
      if (after.BackupRetentionPeriod !== undefined && after.BackupRetentionPeriod !== Math.max(s.backupRetentionPeriod, 1)) warn(`keeps backups ${after.BackupRetentionPeriod} days, not ${s.backupRetentionPeriod}`);
      if (s.instanceClass) {
        for (const m of await t.clusterInstances(ctx, env, id)) {
          const cls = m.PendingModifiedValues?.DBInstanceClass ?? m.DBInstanceClass;
          if (cls !== s.instanceClass) warn(`has member ${m.DBInstanceIdentifier ?? '?'} running as ${cls ?? 'an unknown class'}, not ${s.instanceClass}`);
        }
      }
      for (const w of t.missingTags(`Aurora cluster ${id}`, after.TagList, tags)) ctx.warn?.(w);
    }
    return [{ sourceId: meta.sourceId, kind: 'DBCluster', name: id, targetId: arn, reused: true }];
  };

  const reset = async (ctx: StepContext, env: EnvRef, created: CreatedResource): Promise<void> => {
    const c = await t.findCluster(ctx, env, created.name);
    if (!c) return;
    t.refuseNonTest(created, tagRecord(c.TagList));
    // A cluster cannot be deleted while it has instances, whatever order Reset visits them in.
    for (const m of await t.clusterInstances(ctx, env, created.name)) {
      await t.deleteInstance(ctx, env, { ...created, kind: 'DBInstance', name: m.DBInstanceIdentifier ?? '' });
    }
    await aws.mutate(ctx, env, `delete-db-cluster:${created.name}`, {
      action: 'rds:DeleteDBCluster',
      intent: { id: created.name },
      absentOk: true,
      call: async (signal) => {
        await t.rds(env).send(new DeleteDBClusterCommand({ DBClusterIdentifier: created.name, SkipFinalSnapshot: true }), { abortSignal: signal });
        return { deleted: created.name };
      },
    });
  };

  const stopReplication = async (sourceName: string, ctx: StepContext): Promise<void> => {
    const id = rdsReplicaIdentifier(sourceName, ctx.policyId);
    const c = await t.findCluster(ctx, ctx.target, id);
    if (c) await detach(ctx, c, id);
  };

  return { capture, ensureReplica, testFailover, failover, reset, stopReplication };
}
