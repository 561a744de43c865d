// RDS (a DB instance) and DynamoDB through the composed core and its job engine against moto, as the
// operator drives them: discover → replicate twice → test failover → reset → failover, with the AWS
// state read back by the SDK after every phase. moto limits worked around here (PEERS.md): a promoted
// instance keeps ReadReplicaSourceDBInstanceIdentifier, so promotion shows as StopDBInstance being
// accepted; DynamoDB ReplicaUpdates are ignored, so the target-region table is created by the test as
// AWS would (the replica calls are proven in dynamodb-contract.test.ts).

import {
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBParameterGroupCommand,
  RDSClient,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import {
  CreateTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListBackupsCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  PutItemCommand,
  ScanCommand,
  TagResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { rdsReplicaIdentifier } from '../../../../main/providers/aws/rds';
import { call } from '../../../fixtures/failover-scenario';
import { describeMoto } from '../../../peers/moto';
import { failover, protect, replicate, reset, SOURCE_REGION, TARGET_REGION, testFailover, useAwsEngine } from './engine-harness';

describeMoto('RDS and DynamoDB through the engine against moto', () => {
  const h = useAwsEngine('AKIAMOTOENGINEDB0001');
  const rds = (region: string) => new RDSClient({ region, endpoint: h.moto.url, credentials: h.creds });
  const ddb = (region: string) => new DynamoDBClient({ region, endpoint: h.moto.url, credentials: h.creds });
  const instances = async (region: string) => (await rds(region).send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];

  it('replicates an RDS instance into a cross-region read replica, tests and resets a restored copy, and promotes it on failover', async () => {
    const east = rds(SOURCE_REGION);
    await east.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'orders-pg16', DBParameterGroupFamily: 'postgres16', Description: 'orders' }));
    await east.send(
      new ModifyDBParameterGroupCommand({ DBParameterGroupName: 'orders-pg16', Parameters: [{ ParameterName: 'max_connections', ParameterValue: '400', ApplyMethod: 'pending-reboot' }] }),
    );
    const db = (
      await east.send(
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
      )
    ).DBInstance!;

    const { policy, picked } = await protect(h, 'Orders', (f) => f.type === 'aws.rds' && f.nativeId === db.DBInstanceArn);
    expect(picked).toEqual([expect.objectContaining({ type: 'aws.rds', name: 'orders-db', tags: { app: 'orders' } })]);

    await replicate(h, policy.id);
    await replicate(h, policy.id);
    expect((await call(h.core, 'dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 })).items).toHaveLength(2);
    // One replica for two replications, linked to the source by ARN.
    const replicaId = rdsReplicaIdentifier('orders-db', policy.id);
    const west = rds(TARGET_REGION);
    const replicas = await instances(TARGET_REGION);
    expect(replicas.map((i) => i.DBInstanceIdentifier)).toEqual([replicaId]);
    expect(replicas[0]!.ReadReplicaSourceDBInstanceIdentifier).toBe(db.DBInstanceArn);
    const replicaArn = replicas[0]!.DBInstanceArn!;

    const tests = await testFailover(h, policy.id);
    expect(tests.map((t) => t.kind).sort()).toEqual(['DBInstance', 'DBSnapshot']);
    const testDb = tests.find((t) => t.kind === 'DBInstance')!;
    const testSnap = tests.find((t) => t.kind === 'DBSnapshot')!;
    const copy = (await west.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: testDb.name }))).DBInstances![0]!;
    expect(copy.DBInstanceClass).toBe('db.r6g.large');
    expect(copy.TagList).toEqual(expect.arrayContaining([{ Key: 'dr:test', Value: 'true' }, { Key: 'app', Value: 'orders' }]));
    expect((await west.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: testSnap.name }))).DBSnapshots).toHaveLength(1);
    // The test never touched the production replica: still a replica (moto refuses to stop one).
    await expect(west.send(new StopDBInstanceCommand({ DBInstanceIdentifier: replicaId }))).rejects.toMatchObject({ name: 'InvalidDBClusterStateFault' });

    expect(await reset(h, policy.id)).toEqual([]);
    await expect(west.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: testDb.name }))).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
    await expect(west.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: testSnap.name }))).rejects.toMatchObject({ name: 'DBSnapshotNotFoundFault' });
    expect((await instances(TARGET_REGION)).map((i) => i.DBInstanceIdentifier)).toEqual([replicaId]);

    const { mappings, policy: after } = await failover(h, policy.id);
    expect(after.state).toBe('failed_over');
    expect(mappings).toEqual([expect.objectContaining({ kind: 'DBInstance', sourceId: db.DBInstanceArn, name: replicaId, targetId: replicaArn, reused: true })]);
    const promoted = (await west.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: replicaId }))).DBInstances![0]!;
    expect(promoted).toMatchObject({ DBInstanceClass: 'db.r6g.large', BackupRetentionPeriod: 14, MultiAZ: true });
    expect(promoted.DBParameterGroups?.[0]?.DBParameterGroupName).toBe('orders-pg16');
    expect(promoted.TagList).toEqual(expect.arrayContaining([{ Key: 'app', Value: 'orders' }]));
    const params = await west.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'orders-pg16' }));
    expect(params.Parameters?.map((p) => [p.ParameterName, p.ParameterValue])).toEqual([['max_connections', '400']]);
    // No second database in the target: failover applied the point to the replica and promoted it.
    expect((await instances(TARGET_REGION)).map((i) => i.DBInstanceIdentifier)).toEqual([replicaId]);
    // Promoted: moto now accepts StopDBInstance (it keeps ReadReplicaSourceDBInstanceIdentifier, see PEERS.md).
    await expect(west.send(new StopDBInstanceCommand({ DBInstanceIdentifier: replicaId }))).resolves.toBeDefined();
    // R2/R3: the policy is read-only now.
    await expect(call(h.core, 'dr:replication.run', { policyId: policy.id })).rejects.toMatchObject({ code: 'PreconditionFailed' });
  }, 30_000);

  it('replicates a DynamoDB table, tests and resets a copy restored from the replica, and applies the point to the replica on failover', async () => {
    const east = ddb(SOURCE_REGION);
    const west = ddb(TARGET_REGION);
    const createSessions = (client: DynamoDBClient, billing: 'PROVISIONED' | 'PAY_PER_REQUEST', tags: { Key: string; Value: string }[]) =>
      client.send(
        new CreateTableCommand({
          TableName: 'sessions',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: billing,
          ...(billing === 'PROVISIONED' ? { ProvisionedThroughput: { ReadCapacityUnits: 50, WriteCapacityUnits: 25 } } : {}),
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
          Tags: tags,
        }),
      );
    const t = (await createSessions(east, 'PROVISIONED', [{ Key: 'app', Value: 'web' }])).TableDescription!;
    await east.send(new PutItemCommand({ TableName: 'sessions', Item: { id: { S: 'a' }, expiresAt: { N: '1' } } }));
    await east.send(new UpdateTimeToLiveCommand({ TableName: 'sessions', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } }));
    await east.send(new UpdateContinuousBackupsCommand({ TableName: 'sessions', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));

    const { policy, picked } = await protect(h, 'Sessions', (f) => f.type === 'aws.dynamodb' && f.nativeId === t.TableArn);
    expect(picked).toEqual([expect.objectContaining({ name: 'sessions', tags: { app: 'web' }, summary: 'PROVISIONED' })]);

    await replicate(h, policy.id);
    // What AWS does on the first replication's UpdateTable ReplicaUpdates Create (moto does not): the
    // same-named table in the target, with its data, here on-demand and without TTL/PITR/tags so that
    // failover has the point's settings to apply.
    await createSessions(west, 'PAY_PER_REQUEST', []);
    await west.send(new PutItemCommand({ TableName: 'sessions', Item: { id: { S: 'a' }, expiresAt: { N: '1' } } }));
    await replicate(h, policy.id);
    expect((await call(h.core, 'dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 })).items).toHaveLength(2);
    // A change after the latest point is not what failover applies: it applies the point's metadata.
    await east.send(new TagResourceCommand({ ResourceArn: t.TableArn, Tags: [{ Key: 'late', Value: 'after-the-point' }] }));

    const tests = await testFailover(h, policy.id);
    expect(tests.map((x) => x.kind).sort()).toEqual(['Backup', 'Table']);
    const testTable = tests.find((x) => x.kind === 'Table')!;
    expect(testTable.name).toMatch(/^drtest-sessions-/);
    expect((await west.send(new ScanCommand({ TableName: testTable.name }))).Items?.map((i) => i.id?.S)).toEqual(['a']);
    const testTags = (await west.send(new ListTagsOfResourceCommand({ ResourceArn: testTable.nativeId }))).Tags;
    expect(testTags).toEqual(expect.arrayContaining([{ Key: 'dr:test', Value: 'true' }, { Key: 'app', Value: 'web' }]));
    expect((await west.send(new ListBackupsCommand({ TableName: 'sessions' }))).BackupSummaries).toHaveLength(1);

    expect(await reset(h, policy.id)).toEqual([]);
    await expect(west.send(new DescribeTableCommand({ TableName: testTable.name }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect((await west.send(new ListBackupsCommand({ TableName: 'sessions' }))).BackupSummaries ?? []).toEqual([]);
    expect((await west.send(new ListTablesCommand({}))).TableNames).toEqual(['sessions']);

    const { mappings, policy: after } = await failover(h, policy.id);
    expect(after.state).toBe('failed_over');
    const replicaArn = t.TableArn!.replace(`:${SOURCE_REGION}:`, `:${TARGET_REGION}:`);
    expect(mappings).toEqual([expect.objectContaining({ kind: 'Table', sourceId: t.TableArn, name: 'sessions', targetId: replicaArn, reused: true })]);
    const table = (await west.send(new DescribeTableCommand({ TableName: 'sessions' }))).Table!;
    expect(table.TableArn).toBe(replicaArn);
    expect(table.BillingModeSummary?.BillingMode ?? 'PROVISIONED').toBe('PROVISIONED');
    expect(table.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 50, WriteCapacityUnits: 25 });
    const ttl = await west.send(new DescribeTimeToLiveCommand({ TableName: 'sessions' }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    const pitr = await west.send(new DescribeContinuousBackupsCommand({ TableName: 'sessions' }));
    expect(pitr.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe('ENABLED');
    const tags = (await west.send(new ListTagsOfResourceCommand({ ResourceArn: replicaArn }))).Tags ?? [];
    expect(tags).toEqual(expect.arrayContaining([{ Key: 'app', Value: 'web' }]));
    expect(tags.map((x) => x.Key)).not.toContain('late');
    // The data is still there, and no other table was made.
    expect((await west.send(new ScanCommand({ TableName: 'sessions' }))).Items?.map((i) => i.id?.S)).toEqual(['a']);
    expect((await west.send(new ListTablesCommand({}))).TableNames).toEqual(['sessions']);
  }, 30_000);
});
