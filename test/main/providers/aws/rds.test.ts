// The RDS/Aurora handler against moto: discover → replicate twice → test failover → reset → failover,
// reading the AWS state back with the SDK after every stage.

import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  DescribeDBSnapshotsCommand,
  DescribeGlobalClustersCommand,
  ModifyDBParameterGroupCommand,
  RDSClient,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { expect, it } from 'vitest';
import { createRdsHandler, parseRdsArn, rdsReplicaIdentifier } from '../../../../main/providers/aws/rds';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import { describeMoto } from '../../../peers/moto';
import { useMoto } from './moto-fixture';
import { env, pointItem, resourceRef, step } from './step-context';

describeMoto('RDS and Aurora handler against moto', () => {
  const moto = useMoto();
  const source = env('us-east-1');
  const target = env('us-west-2');
  const client = (region: string) => new RDSClient(moto.client(region));

  const fresh = () => createRdsHandler(moto.context());

  async function seedInstance() {
    const rds = client('us-east-1');
    await rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'orders-pg16', DBParameterGroupFamily: 'postgres16', Description: 'orders' }));
    await rds.send(
      new ModifyDBParameterGroupCommand({
        DBParameterGroupName: 'orders-pg16',
        Parameters: [{ ParameterName: 'max_connections', ParameterValue: '400', ApplyMethod: 'pending-reboot' }],
      }),
    );
    const r = await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'orders-db',
        Engine: 'postgres',
        EngineVersion: '16.4',
        DBInstanceClass: 'db.r6g.large',
        AllocatedStorage: 100,
        MasterUsername: 'app',
        MasterUserPassword: 'moto-password-1',
        BackupRetentionPeriod: 14,
        DBParameterGroupName: 'orders-pg16',
        MultiAZ: true,
        Tags: [{ Key: 'app', Value: 'orders' }],
      }),
    );
    return r.DBInstance!;
  }

  it('replicates an RDS instance once into a cross-region read replica, tests, resets and fails over by promotion', async () => {
    const handler = fresh();
    const db = await seedInstance();

    const found = await handler.discover({ env: source, signal: new AbortController().signal });
    expect(found.map((d) => d.nativeId)).toEqual([db.DBInstanceArn]);
    expect(found[0]).toMatchObject({ name: 'orders-db', region: 'us-east-1', tags: { app: 'orders' } });

    const resource = resourceRef('aws.rds', db.DBInstanceArn!, 'orders-db');
    const first = await handler.replicate(resource, step({ jobId: 'job-rep-1', source, target }));
    const again = step({ jobId: 'job-rep-2', source, target });
    const second = await handler.replicate(resource, again);
    // The second run found the replica: no create intent, same replica reference.
    expect(again.intents).toEqual([]);
    expect(second.dataRefs).toEqual(first.dataRefs);
    expect(second.metadata).toMatchObject({
      kind: 'DBInstance',
      settings: { instanceClass: 'db.r6g.large', backupRetentionPeriod: 14, multiAz: true, parameterGroup: { name: 'orders-pg16', family: 'postgres16', parameters: { max_connections: '400' } } },
      tags: { app: 'orders' },
    });

    const replicaId = rdsReplicaIdentifier('orders-db', 'policy-1');
    const west = client('us-west-2');
    const replica = (await west.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: replicaId }))).DBInstances![0]!;
    expect(replica.ReadReplicaSourceDBInstanceIdentifier).toBe(db.DBInstanceArn);
    const east = (await client('us-east-1').send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-db' }))).DBInstances![0]!;
    expect(east.ReadReplicaDBInstanceIdentifiers).toEqual([replica.DBInstanceArn]);
    // The console's replica is not offered as a resource to protect in the target.
    expect(await handler.discover({ env: target, signal: new AbortController().signal })).toEqual([]);

    const item = pointItem(resource, second);
    const testCtx = step({ jobId: 'job-test-1', source, target });
    const created = await handler.testFailover(item, testCtx);
    expect(created.map((c) => c.kind)).toEqual(['DBInstance', 'DBSnapshot']);
    // A replayed test-failover step finds its snapshot and database instead of making new ones.
    const replay = step({ jobId: 'job-test-1', source, target });
    expect(await handler.testFailover(item, replay)).toEqual(created);
    expect(replay.intents).toEqual([]);
    const testDb = (await west.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: created[0]!.name }))).DBInstances![0]!;
    expect(testDb.DBInstanceClass).toBe('db.r6g.large');
    expect(testDb.TagList).toEqual(expect.arrayContaining([{ Key: 'dr:test', Value: 'true' }, { Key: 'app', Value: 'orders' }]));
    // The replica link is untouched by the test.
    const stillReplica = (await west.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: replicaId }))).DBInstances![0]!;
    expect(stillReplica.ReadReplicaSourceDBInstanceIdentifier).toBe(db.DBInstanceArn);

    for (const c of created) await handler.reset(c, step({ jobId: 'job-reset-1', source, target }));
    for (const c of created) await handler.reset(c, step({ jobId: 'job-reset-2', source, target })); // already gone is fine
    await expect(west.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: created[0]!.name }))).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
    await expect(west.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: created[1]!.name }))).rejects.toMatchObject({ name: 'DBSnapshotNotFoundFault' });
    // Reset never deletes what a test did not create.
    await expect(
      handler.reset({ kind: 'DBInstance', nativeId: replica.DBInstanceArn!, name: replicaId, region: 'us-west-2' }, step({ jobId: 'job-reset-3', source, target })),
    ).rejects.toBeInstanceOf(ProviderFailure);

    // moto refuses to stop a read replica: the refusal is how we see the link from the peer's side.
    await expect(west.send(new StopDBInstanceCommand({ DBInstanceIdentifier: replicaId }))).rejects.toMatchObject({ name: 'InvalidDBClusterStateFault' });
    const failCtx = step({ jobId: 'job-fo-1', source, target });
    const mapping = await handler.failover(item, failCtx);
    expect(mapping).toEqual([{ sourceId: db.DBInstanceArn, kind: 'DBInstance', name: replicaId, targetId: replica.DBInstanceArn, reused: true }]);
    expect(failCtx.intents.map((i) => i.action)).toEqual(expect.arrayContaining(['rds:PromoteReadReplica', 'rds:ModifyDBInstance']));
    const promoted = (await west.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: replicaId }))).DBInstances![0]!;
    expect(promoted).toMatchObject({ DBInstanceClass: 'db.r6g.large', BackupRetentionPeriod: 14, MultiAZ: true });
    expect(promoted.DBParameterGroups?.[0]?.DBParameterGroupName).toBe('orders-pg16');
    // The customer's parameter group was copied into the target with its parameters.
    const params = await west.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'orders-pg16' }));
    expect(params.Parameters?.map((p) => [p.ParameterName, p.ParameterValue])).toEqual([['max_connections', '400']]);
    expect(promoted.TagList).toEqual(expect.arrayContaining([{ Key: 'app', Value: 'orders' }]));
    // Promoted: moto now lets it stop (it keeps ReadReplicaSourceDBInstanceIdentifier, see PEERS.md).
    await expect(west.send(new StopDBInstanceCommand({ DBInstanceIdentifier: replicaId }))).resolves.toBeDefined();
  });

  it('replicates an Aurora cluster as a global-database secondary, and detaches it on failover', async () => {
    const handler = fresh();
    const east = client('us-east-1');
    const c = (
      await east.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: 'billing',
          Engine: 'aurora-mysql',
          EngineVersion: '8.0.mysql_aurora.3.07.1',
          MasterUsername: 'app',
          MasterUserPassword: 'moto-password-1',
          BackupRetentionPeriod: 7,
          Tags: [{ Key: 'app', Value: 'billing' }],
        }),
      )
    ).DBCluster!;
    await east.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'billing-1', DBClusterIdentifier: 'billing', Engine: 'aurora-mysql', DBInstanceClass: 'db.r6g.xlarge' }));

    const found = await handler.discover({ env: source, signal: new AbortController().signal });
    expect(found.map((d) => d.nativeId)).toEqual([c.DBClusterArn]);
    const resource = resourceRef('aws.rds', c.DBClusterArn!, 'billing');
    await handler.replicate(resource, step({ jobId: 'job-rep-1', source, target }));
    const second = await handler.replicate(resource, step({ jobId: 'job-rep-2', source, target }));
    expect(second.metadata).toMatchObject({ kind: 'DBCluster', settings: { engine: 'aurora-mysql', instanceClass: 'db.r6g.xlarge', backupRetentionPeriod: 7 } });

    const west = client('us-west-2');
    const replicaId = rdsReplicaIdentifier('billing', 'policy-1');
    const clusters = (await west.send(new DescribeDBClustersCommand({}))).DBClusters!;
    expect(clusters.map((x) => x.DBClusterIdentifier)).toEqual([replicaId]);
    const globals = (await east.send(new DescribeGlobalClustersCommand({}))).GlobalClusters!;
    expect(globals).toHaveLength(1);
    expect(globals[0]!.GlobalClusterMembers?.map((m) => m.DBClusterArn).sort()).toEqual([c.DBClusterArn, clusters[0]!.DBClusterArn].sort());

    const item = pointItem(resource, second);
    // Test failover of a cluster (cluster snapshot + RestoreDBClusterFromSnapshot) is not run here: moto 5.2.5
    // fails with HTTP 500 restoring a snapshot of a global secondary (it has no master password), see PEERS.md.

    const foCtx = step({ jobId: 'job-fo-1', source, target });
    const mapping = await handler.failover(item, foCtx);
    expect(mapping[0]).toMatchObject({ kind: 'DBCluster', name: replicaId, sourceId: c.DBClusterArn, reused: true });
    // moto keeps global clusters per region and ignores a RemoveFromGlobalCluster sent to the secondary's
    // region (PEERS.md): the detach is proven by the journal here, the metadata by reading the cluster back.
    expect(foCtx.intents.map((i) => i.action)).toEqual(expect.arrayContaining(['rds:RemoveFromGlobalCluster', 'rds:ModifyDBCluster']));
    const promoted = (await west.send(new DescribeDBClustersCommand({ DBClusterIdentifier: replicaId }))).DBClusters![0]!;
    expect(promoted.BackupRetentionPeriod).toBe(7);
    expect(promoted.TagList).toEqual(expect.arrayContaining([{ Key: 'app', Value: 'billing' }]));
  });

  it('refuses a resource id that is not an RDS ARN and names a missing source', async () => {
    const handler = fresh();
    expect(() => parseRdsArn('orders-db')).toThrow(/not an RDS instance or Aurora cluster ARN/);
    await expect(
      handler.replicate(resourceRef('aws.rds', 'arn:aws:rds:us-east-1:123456789012:db:ghost', 'ghost'), step({ jobId: 'j', source, target })),
    ).rejects.toMatchObject({ code: 'NotFound', message: expect.stringContaining('ghost') });
  });
});
