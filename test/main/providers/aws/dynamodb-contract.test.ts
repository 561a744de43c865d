// Contract tests for the DynamoDB calls moto ignores (UpdateTable ReplicaUpdates Create/Delete): a loopback
// server records the request the real SDK client sends and answers with response shapes from the DynamoDB API reference.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect, it, describe } from 'vitest';
import { AwsContext } from '../../../../main/providers/aws/clients';
import { createDynamoDbHandler } from '../../../../main/providers/aws/dynamodb';
import { env, pointItem, resourceRef, step } from './step-context';

interface Recorded {
  target: string;
  region: string;
  body: Record<string, unknown>;
}

const ARN = (region: string) => `arn:aws:dynamodb:${region}:123456789012:table/orders`;

/** DescribeTable's TableDescription as the API reference shows it for a 2019.11.21 global table. */
function tableDescription(region: string, replicas: string[], status = 'ACTIVE') {
  return {
    TableName: 'orders',
    TableArn: ARN(region),
    TableStatus: status,
    TableId: '6c2fd8b4-0000-4000-8000-000000000001',
    CreationDateTime: 1.7e9,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST', LastUpdateToPayPerRequestDateTime: 1.7e9 },
    ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    LatestStreamArn: `${ARN(region)}/stream/2025-01-01T00:00:00.000`,
    GlobalTableVersion: '2019.11.21',
    Replicas: replicas.map((r) => ({ RegionName: r, ReplicaStatus: 'ACTIVE' })),
    DeletionProtectionEnabled: false,
    TableSizeBytes: 0,
    ItemCount: 0,
  };
}

describe('DynamoDB replica calls (contract, recorded response shapes)', () => {
  let server: Server;
  let url: string;
  let requests: Recorded[];
  /** Replica regions per region's view of the table; the script of the fake. */
  let replicas: Record<string, string[]>;

  const read = (req: IncomingMessage) =>
    new Promise<string>((res) => {
      let s = '';
      req.on('data', (c: Buffer) => (s += c.toString()));
      req.on('end', () => res(s));
    });

  beforeAll(async () => {
    server = createServer((req, res) => {
      void read(req).then((raw) => {
        const target = String(req.headers['x-amz-target'] ?? '').replace('DynamoDB_20120810.', '');
        const region = /Credential=[^/]+\/\d{8}\/([^/]+)\/dynamodb\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '?';
        const body = JSON.parse(raw || '{}') as Record<string, unknown>;
        requests.push({ target, region, body });
        const reply = (status: number, payload: unknown) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'REQ1' });
          res.end(JSON.stringify(payload));
        };
        switch (target) {
          case 'DescribeTable':
            return reply(200, { Table: tableDescription(region, replicas[region] ?? []) });
          case 'UpdateTable': {
            // As DynamoDB does: a deleted replica region leaves this region's view of the table.
            for (const u of (body.ReplicaUpdates as { Delete?: { RegionName: string } }[] | undefined) ?? []) {
              if (u.Delete) replicas[region] = (replicas[region] ?? []).filter((r) => r !== u.Delete!.RegionName);
            }
            return reply(200, { TableDescription: tableDescription(region, replicas[region] ?? [], 'UPDATING') });
          }
          case 'DescribeTimeToLive':
            return reply(200, { TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
          case 'DescribeContinuousBackups':
            return reply(200, { ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' } } });
          case 'ListTagsOfResource':
            return reply(200, { Tags: [{ Key: 'app', Value: 'shop' }] });
          case 'TagResource':
            return reply(200, {});
          default:
            return reply(400, { __type: 'com.amazonaws.dynamodb.v20120810#UnknownOperationException', message: `not scripted: ${target}` });
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });
  beforeEach(() => {
    requests = [];
    replicas = {};
  });

  const source = env('us-east-1');
  const target = env('us-west-2');
  const handler = () => createDynamoDbHandler(new AwsContext({ endpoint: url, pollIntervalMs: 5 }));
  const resource = resourceRef('aws.dynamodb', ARN('us-east-1'), 'orders');

  it('adds the target-region replica with UpdateTable ReplicaUpdates Create, sent to the source region', async () => {
    const ctx = step({ jobId: 'job-rep-1', source, target });
    await handler().replicate(resource, ctx);
    const updates = requests.filter((r) => r.target === 'UpdateTable');
    expect(updates).toEqual([{ target: 'UpdateTable', region: 'us-east-1', body: { TableName: 'orders', ReplicaUpdates: [{ Create: { RegionName: 'us-west-2' } }] } }]);
    // The intent is journaled before the call.
    expect(ctx.intents).toEqual([{ action: 'dynamodb:UpdateTable', region: 'us-east-1', op: 'UpdateTable.ReplicaUpdates.Create', table: 'orders', replicaRegion: 'us-west-2' }]);
  });

  it('does not ask again when the source already lists the target region as a replica', async () => {
    replicas['us-east-1'] = ['us-west-2', 'eu-west-1'];
    const captured = await handler().replicate(resource, step({ jobId: 'job-rep-2', source, target }));
    expect(requests.filter((r) => r.target === 'UpdateTable')).toEqual([]);
    expect(captured.metadata).toMatchObject({ settings: { replicaRegions: ['us-west-2', 'eu-west-1'], billingMode: 'PAY_PER_REQUEST' } });
  });

  it('on failover removes the source region from the target replica with ReplicaUpdates Delete, sent to the target region', async () => {
    replicas['us-west-2'] = ['us-east-1', 'us-west-2'];
    const captured = await handler().replicate(resource, step({ jobId: 'job-rep-3', source, target }));
    requests = [];
    const mapping = await handler().failover(pointItem(resource, captured), step({ jobId: 'job-fo-1', source, target }));
    const del = requests.find((r) => r.target === 'UpdateTable' && 'ReplicaUpdates' in r.body);
    expect(del).toEqual({ target: 'UpdateTable', region: 'us-west-2', body: { TableName: 'orders', ReplicaUpdates: [{ Delete: { RegionName: 'us-east-1' } }] } });
    expect(requests.some((r) => r.region === 'us-east-1')).toBe(false);
    expect(mapping).toEqual([{ sourceId: ARN('us-east-1'), kind: 'Table', name: 'orders', targetId: ARN('us-west-2'), reused: true }]);
  });

  it('on a replayed failover finds the link already gone and sends no second delete', async () => {
    replicas['us-west-2'] = ['us-west-2'];
    const captured = await handler().replicate(resource, step({ jobId: 'job-rep-4', source, target }));
    requests = [];
    await handler().failover(pointItem(resource, captured), step({ jobId: 'job-fo-2', source, target }));
    expect(requests.filter((r) => r.target === 'UpdateTable' && 'ReplicaUpdates' in r.body)).toEqual([]);
  });
});
