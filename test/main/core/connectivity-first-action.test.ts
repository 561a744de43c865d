// The first cloud action on an account the console has not heard from yet (state "unknown") fails
// fast with the plain "offline" sentence and changes nothing, against a loopback port that refuses
// connections and one that accepts them and never answers; the AWS clients themselves give up on a
// silent connection instead of waiting without end.

import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import { composeCore, type Core } from '../../../main/compose';
import { silentLogger } from '../../../main/core/logger';
import { AwsContext } from '../../../main/providers/aws/clients';
import type { ResolvedAccount } from '../../../main/providers/types';
import { dbChecksum } from '../../helpers/db-checksum';
import { testKeyProvider } from '../../helpers/keys';
import { useTempDirs } from '../../helpers/temp-dir';
import { call, fail } from './failover/failover-bed';

const tempDir = useTempDirs();
const creds = { accessKeyId: 'AKIAOFFLINEFIRST0001', secretAccessKey: 'offline' };

/** A loopback port that accepts connections and never says a word. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** A loopback port nobody listens on (taken, then released): connections are refused. */
async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function consoleOn(endpoint: string): Core {
  const core = composeCore({
    dataDir: tempDir(),
    keyProvider: testKeyProvider(),
    startScheduler: false,
    startWebhooks: false,
    logger: silentLogger,
    // The AWS clients' own timeouts stay at their defaults (seconds): the probe's bound is what answers first.
    providers: { sim: false, aws: { endpoint, maxAttempts: 1 } },
    connectivity: { probeTimeoutMs: 400 },
  });
  closers.push(() => core.close());
  return core;
}

/** Every table but the connectivity indicator, which a refused action is allowed (meant) to update. */
function stateSum(core: Core): string {
  const saved = core.db.prepare('SELECT * FROM account_connectivity').all();
  core.db.prepare('DELETE FROM account_connectivity').run();
  try {
    return dbChecksum(core.db);
  } finally {
    const ins = core.db.prepare(
      'INSERT INTO account_connectivity (account_id, status, last_ok_at, last_failure_at, last_error, changed_at) VALUES (@account_id, @status, @last_ok_at, @last_failure_at, @last_error, @changed_at)',
    );
    for (const r of saved) ins.run(r);
  }
}

async function setUp(core: Core) {
  const account = await call(core, 'dr:accounts.create', { name: 'AWS DR', provider: 'aws', cloud: 'aws', credentials: { kind: 'aws-access-key', ...creds } });
  const source = await call(core, 'dr:environments.create', { accountId: account.id, name: 'east', region: 'us-east-1', scope: '123456789012' });
  const target = await call(core, 'dr:environments.create', { accountId: account.id, name: 'west', region: 'us-west-2', scope: '123456789012' });
  const policy = await call(core, 'dr:policies.create', {
    name: 'Shop',
    sourceEnvironmentId: source.id,
    targetEnvironmentId: target.id,
    resources: [{ type: 'aws.s3-bucket', nativeId: 'shop-media', name: 'shop-media' }],
    schedule: null,
    webhookUrl: null,
  });
  return { account, source, target, policy };
}

describe('the first cloud action on an account not heard from yet', () => {
  for (const peer of ['refuses connections', 'accepts and never answers'] as const) {
    it(`says offline at once and changes nothing when the endpoint ${peer}`, async () => {
      let endpoint: string;
      if (peer === 'refuses connections') endpoint = await refusedUrl();
      else {
        const silent = await silentServer();
        closers.push(() => silent.close());
        endpoint = silent.url;
      }
      const core = consoleOn(endpoint);
      const { account, source, policy } = await setUp(core);
      expect(core.services.connectivity.get(account.id).status).toBe('unknown');
      const sum = stateSum(core);
      for (const [channel, req, what] of [
        ['dr:replication.run', { policyId: policy.id }, 'Replication'],
        ['dr:testFailover.run', { policyId: policy.id }, 'Test failover'],
        ['dr:inventory.discover', { environmentId: source.id }, 'Discovery in east'],
      ] as const) {
        const e = await fail(core, channel, req as never);
        expect(e.code, `${channel}: ${e.message}`).toBe('ProviderOffline');
        expect(e.message).toBe(
          `Offline: ${what} did not start because account "AWS DR" cannot be reached (it has not answered since this console started). Nothing was changed; try again when the network is back.`,
        );
      }
      expect(stateSum(core)).toBe(sum);
      expect(core.services.jobs.list({ offset: 0, limit: 10 }).total).toBe(0);
      expect(core.services.connectivity.get(account.id)).toMatchObject({ status: 'offline', lastOkAt: null });
    }, 30_000);
  }
});

describe('the AWS clients on a silent connection', () => {
  it('give up after the silence timeout with the offline sentence, and report the account unreachable', async () => {
    const silent = await silentServer();
    closers.push(() => silent.close());
    const aws = new AwsContext({ endpoint: silent.url, maxAttempts: 1, socketTimeoutMs: 300 });
    closers.push(async () => aws.destroy());
    const account: ResolvedAccount = { id: 'acct-1', name: 'AWS', provider: 'aws', cloud: 'aws', credentials: { kind: 'aws-access-key', ...creds } };
    const outcomes: { reachable: boolean; message?: string }[] = [];
    aws.observe((o) => outcomes.push(o));
    await expect(aws.call(account, 'sts:GetCallerIdentity', () => aws.stsFor(account, 'us-east-1').send(new GetCallerIdentityCommand({})))).rejects.toMatchObject({
      code: 'ProviderOffline',
      message: 'AWS did not answer sts:GetCallerIdentity within 0.3 s: the console is offline for this account.',
    });
    expect(outcomes).toEqual([{ accountId: 'acct-1', reachable: false, message: 'AWS did not answer sts:GetCallerIdentity within 0.3 s: the console is offline for this account.' }]);
  }, 30_000);
});
