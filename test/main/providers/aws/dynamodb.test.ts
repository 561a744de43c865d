// The DynamoDB handler against moto: discover → replicate twice → test failover → reset → failover,
// reading the tables back with the SDK. moto ignores ReplicaUpdates (PEERS.md): the replica in the target
// is created here as AWS would, and the replica calls themselves are proven in dynamodb-contract.test.ts.

import {
  CreateTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListBackupsCommand,
  ListTagsOfResourceCommand,
  PutItemCommand,
  ScanCommand,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { createDynamoDbHandler, parseTableArn } from '../../../../main/providers/aws/dynamodb';
import { describeMoto } from '../../../peers/moto';
import { useMoto } from './moto-fixture';
import { env, pointItem, resourceRef, step } from './step-context';

describeMoto('DynamoDB handler against moto', () => {
  const moto = useMoto();
  const source = env('us-east-1');
  const target = env('us-west-2');
  const client = (region: string) => new DynamoDBClient(moto.client(region));

  async function table(region: string, billing: 'PROVISIONED' | 'PAY_PER_REQUEST') {
    const ddb = client(region);
    const r = await ddb.send(
      new CreateTableCommand({
        TableName: 'sessions',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: billing,
        ...(billing === 'PROVISIONED' ? { ProvisionedThroughput: { ReadCapacityUnits: 50, WriteCapacityUnits: 25 } } : {}),
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        Tags: region === 'us-east-1' ? [{ Key: 'app', Value: 'web' }] : [],
      }),
    );
    await ddb.send(new PutItemCommand({ TableName: 'sessions', Item: { id: { S: 'a' }, expiresAt: { N: '1' } } }));
    return r.TableDescription!;
  }

  it('captures the table settings, tests from a backup of the replica, resets and applies the point on failover', async () => {
    const handler = createDynamoDbHandler(moto.context());
    const t = await table('us-east-1', 'PROVISIONED');
    const east = client('us-east-1');
    await east.send(new UpdateTimeToLiveCommand({ TableName: 'sessions', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } }));
    await east.send(new UpdateContinuousBackupsCommand({ TableName: 'sessions', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));

    const found = await handler.discover({ env: source, signal: new AbortController().signal });
    expect(found).toEqual([expect.objectContaining({ nativeId: t.TableArn, name: 'sessions', tags: { app: 'web' }, summary: 'PROVISIONED' })]);

    const resource = resourceRef('aws.dynamodb', t.TableArn!, 'sessions');
    const first = await handler.replicate(resource, step({ jobId: 'job-rep-1', source, target }));
    expect(first.metadata).toMatchObject({
      kind: 'Table',
      tags: { app: 'web' },
      settings: {
        billingMode: 'PROVISIONED',
        provisionedThroughput: { readCapacityUnits: 50, writeCapacityUnits: 25 },
        ttl: { enabled: true, attributeName: 'expiresAt' },
        pointInTimeRecovery: true,
        stream: { enabled: true, viewType: 'NEW_AND_OLD_IMAGES' },
      },
    });
    expect(first.dataRefs[0]).toEqual({ kind: 'Replica', id: t.TableArn!.replace('us-east-1', 'us-west-2'), region: 'us-west-2' });

    // What AWS does on UpdateTable ReplicaUpdates Create (moto does not): the same-named table in the target,
    // here created on-demand and without TTL/PITR so failover has settings to apply.
    await table('us-west-2', 'PAY_PER_REQUEST');
    const second = await handler.replicate(resource, step({ jobId: 'job-rep-2', source, target }));
    expect(second.dataRefs).toEqual(first.dataRefs);

    const item = pointItem(resource, second);
    const created = await handler.testFailover(item, step({ jobId: 'job-test-1', source, target }));
    expect(created.map((c) => c.kind)).toEqual(['Table', 'Backup']);
    const replay = step({ jobId: 'job-test-1', source, target });
    expect(await handler.testFailover(item, replay)).toEqual(created);
    // The replay found its backup and table; only the (idempotent) tagging is asked again.
    expect(replay.intents.map((i) => i.action)).toEqual(['dynamodb:TagResource']);
    const west = client('us-west-2');
    const copy = await west.send(new ScanCommand({ TableName: created[0]!.name }));
    expect(copy.Items?.map((i) => i.id?.S)).toEqual(['a']);
    const copyTags = await west.send(new ListTagsOfResourceCommand({ ResourceArn: created[0]!.nativeId }));
    expect(copyTags.Tags).toEqual(expect.arrayContaining([{ Key: 'dr:test', Value: 'true' }, { Key: 'app', Value: 'web' }]));

    for (const c of created) await handler.reset(c, step({ jobId: 'job-reset-1', source, target }));
    for (const c of created) await handler.reset(c, step({ jobId: 'job-reset-2', source, target }));
    await expect(west.send(new DescribeTableCommand({ TableName: created[0]!.name }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect((await west.send(new ListBackupsCommand({ TableName: 'sessions' }))).BackupSummaries ?? []).toEqual([]);
    await expect(
      handler.reset({ kind: 'Table', nativeId: first.dataRefs[0]!.id, name: 'sessions', region: 'us-west-2' }, step({ jobId: 'job-reset-3', source, target })),
    ).rejects.toMatchObject({ code: 'PreconditionFailed' });

    const mapping = await handler.failover(item, step({ jobId: 'job-fo-1', source, target }));
    expect(mapping).toEqual([{ sourceId: t.TableArn, kind: 'Table', name: 'sessions', targetId: first.dataRefs[0]!.id, reused: true }]);
    const after = (await west.send(new DescribeTableCommand({ TableName: 'sessions' }))).Table!;
    expect(after.BillingModeSummary?.BillingMode ?? 'PROVISIONED').toBe('PROVISIONED');
    expect(after.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 50, WriteCapacityUnits: 25 });
    const ttl = await west.send(new DescribeTimeToLiveCommand({ TableName: 'sessions' }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    const pitr = await west.send(new DescribeContinuousBackupsCommand({ TableName: 'sessions' }));
    expect(pitr.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe('ENABLED');
    const tags = await west.send(new ListTagsOfResourceCommand({ ResourceArn: after.TableArn! }));
    expect(tags.Tags).toEqual(expect.arrayContaining([{ Key: 'app', Value: 'web' }]));
  });

  it('refuses an id that is not a table ARN and names a table that is gone', async () => {
    const handler = createDynamoDbHandler(moto.context());
    expect(() => parseTableArn('sessions')).toThrow(/not a DynamoDB table ARN/);
    await expect(
      handler.replicate(resourceRef('aws.dynamodb', 'arn:aws:dynamodb:us-east-1:123456789012:table/ghost', 'ghost'), step({ jobId: 'j', source, target })),
    ).rejects.toMatchObject({ code: 'NotFound', message: expect.stringContaining('ghost') });
  });
});
