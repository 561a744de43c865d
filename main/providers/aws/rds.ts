// RDS and Aurora through the AWS SDK: the handler that dispatches to the instance part (a cross-region
// read replica, rds-instance.ts) or the Aurora part (a global-database secondary, rds-aurora.ts); the
// customer's parameter groups travel with them (rds-parameter-group.ts).

import {
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  paginateDescribeDBClusters,
  paginateDescribeDBInstances,
} from '@aws-sdk/client-rds';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, ResourceHandler, StepContext } from '../types';
import type { AwsContext } from './clients';
import { DR_TAG, tagRecord } from './naming';
import { rdsAurora } from './rds-aurora';
import { isAurora, parseRdsArn, rdsReplicaIdentifier, rdsTools, readCaptured, replicaRef, type RdsCaptured } from './rds-common';
import { rdsInstances } from './rds-instance';

export {
  parseRdsArn,
  rdsGlobalClusterIdentifier,
  rdsReplicaIdentifier,
  type RdsCaptured,
  type RdsParameterGroup,
  type RdsSettings,
} from './rds-common';

export function createRdsHandler(aws: AwsContext): ResourceHandler {
  const t = rdsTools(aws);
  const instances = rdsInstances(aws, t);
  const aurora = rdsAurora(aws, t);

  const loadSource = async (resource: { nativeId: string; name: string }, ctx: StepContext): Promise<RdsCaptured> => {
    const arn = parseRdsArn(resource.nativeId);
    const gone = () =>
      new ProviderFailure(
        'NotFound',
        `The database ${resource.name} (${resource.nativeId}) no longer exists in ${ctx.source.region}. Restore it, or remove it from the policy.`,
      );
    if (arn.kind === 'DBInstance') {
      const db = await t.findInstance(ctx, ctx.source, arn.id);
      if (!db) throw gone();
      return instances.capture(ctx, ctx.source, db);
    }
    const c = await t.findCluster(ctx, ctx.source, arn.id);
    if (!c) throw gone();
    return aurora.capture(ctx, ctx.source, c);
  };

  const deleteSnapshot = async (ctx: StepContext, created: CreatedResource) => {
    if (!created.name.startsWith('drtest-')) t.refuseNonTest(created, {});
    const env = ctx.target;
    const cluster = created.kind === 'DBClusterSnapshot';
    await aws.mutate(ctx, env, `delete-${cluster ? 'db-cluster-snapshot' : 'db-snapshot'}:${created.name}`, {
      action: cluster ? 'rds:DeleteDBClusterSnapshot' : 'rds:DeleteDBSnapshot',
      intent: { snapshotId: created.name },
      absentOk: true,
      call: async (signal) => {
        if (cluster) await t.rds(env).send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: created.name }), { abortSignal: signal });
        else await t.rds(env).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: created.name }), { abortSignal: signal });
        return { deleted: created.name };
      },
    });
  };

  return {
    type: 'aws.rds',
    usesLatestPoint: false,

    async discover(ctx): Promise<DiscoveredResource[]> {
      const env = ctx.env;
      const out: DiscoveredResource[] = [];
      for (const page of await aws.pages(ctx, env, 'rds:DescribeDBInstances', paginateDescribeDBInstances, t.rds(env), {})) {
        for (const db of page.DBInstances ?? []) {
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
      }
      for (const page of await aws.pages(ctx, env, 'rds:DescribeDBClusters', paginateDescribeDBClusters, t.rds(env), {})) {
        for (const c of page.DBClusters ?? []) {
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
      }
      return out;
    },

    async replicate(resource, ctx): Promise<CapturedItem> {
      const meta = await loadSource(resource, ctx);
      if (meta.kind === 'DBCluster' && !isAurora(meta.settings.engine)) {
        throw new ProviderFailure('PreconditionFailed', `${meta.name} is a ${meta.settings.engine} cluster; only Aurora clusters can be replicated across regions.`);
      }
      const replica = meta.kind === 'DBInstance' ? await instances.ensureReplica(meta, ctx) : await aurora.ensureReplica(meta, ctx);
      return {
        metadata: { ...meta },
        dataRefs: [
          { kind: 'Replica', id: replica.arn ?? rdsReplicaIdentifier(meta.name, ctx.policyId), region: ctx.target.region },
          { kind: 'ReadReplica', id: replica.id, region: meta.sourceRegion },
        ],
      };
    },

    async testFailover(item, ctx): Promise<CreatedResource[]> {
      const meta = readCaptured(item, item.resource.name);
      const ref = replicaRef(item, meta.name);
      const replicaId = ref.startsWith('arn:') ? parseRdsArn(ref).id : ref;
      const replica = meta.kind === 'DBInstance' ? await t.findInstance(ctx, ctx.target, replicaId) : await t.findCluster(ctx, ctx.target, replicaId);
      if (!replica) throw t.missingReplica(meta, replicaId, ctx);
      return meta.kind === 'DBInstance' ? instances.testFailover(meta, replicaId, ctx) : aurora.testFailover(meta, replicaId, ctx);
    },

    async reset(created, ctx): Promise<void> {
      switch (created.kind) {
        case 'DBInstance':
          return t.deleteInstance(ctx, ctx.target, created);
        case 'DBSnapshot':
        case 'DBClusterSnapshot':
          return deleteSnapshot(ctx, created);
        case 'DBCluster':
          return aurora.reset(ctx, ctx.target, created);
        default:
          throw new ProviderFailure('ValidationFailed', `Reset does not know how to delete an RDS ${created.kind}.`);
      }
    },

    async failover(item, ctx) {
      const meta = readCaptured(item, item.resource.name);
      const ref = replicaRef(item, meta.name);
      return meta.kind === 'DBInstance' ? instances.failover(meta, ref, ctx) : aurora.failover(meta, ref, ctx);
    },

    async stopReplication(resource, ctx): Promise<void> {
      // Ending replication for good detaches the replica (promotion); a replica already standalone is done.
      const arn = parseRdsArn(resource.nativeId);
      if (arn.kind === 'DBInstance') await instances.stopReplication(arn.id, ctx);
      else await aurora.stopReplication(arn.id, ctx);
    },
  };
}
