// Test fixtures for the webhook outbox: a loopback receiver (node:http on 127.0.0.1), a composed
// core on a real SQLite file with a sim Azure policy, and a completed job with its resource mappings.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { composeCore, type Core } from '../../../../main/compose';
import type { Logger } from '../../../../main/core/logger';
import type { WebhookOptions } from '../../../../main/core/webhooks/outbox';
import type { Channel, RequestOf, ResponseOf } from '../../../../shared/ipc/contract';
import type { DrErrorData } from '../../../../shared/errors';
import { testKeyProvider } from '../../../helpers/keys';
import { receiverSecret } from '../../../../main/core/webhooks/signer';

export interface Received {
  delivery: string | undefined;
  event: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  contentType: string | undefined;
  method: string | undefined;
  path: string | undefined;
  body: string;
  /** The status the receiver answered, or null when it never answered (held, then cut off). */
  answered: number | null;
}

/**
 * What a receiver does, with the Standard Webhooks library itself: true when the request verifies
 * under the policy's secret (given as stored in the console; a receiver configures `whsec_...`).
 */
export function receiverVerifies(secret: string, r: Received): boolean {
  try {
    new Webhook(receiverSecret(secret)).verify(r.body, {
      'webhook-id': r.delivery ?? '',
      'webhook-timestamp': r.timestamp ?? '',
      'webhook-signature': r.signature ?? '',
    });
    return true;
  } catch {
    return false;
  }
}

export type Answer = number | 'hold' | { status: number; headers: Record<string, string> };

export interface Receiver {
  url: string;
  port: number;
  requests: Received[];
  close(): Promise<void>;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/** A webhook receiver on loopback; `answer` decides each response by its 0-based index. */
export async function startReceiver(answer: (r: Received, index: number) => Answer = () => 200, port = 0, host = '127.0.0.1'): Promise<Receiver> {
  const requests: Received[] = [];
  const held = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        delivery: header(req, 'webhook-id'),
        event: header(req, 'X-DR-Event'),
        timestamp: header(req, 'webhook-timestamp'),
        signature: header(req, 'webhook-signature'),
        contentType: header(req, 'content-type'),
        method: req.method,
        path: req.url,
        body: Buffer.concat(chunks).toString('utf8'),
        answered: null,
      };
      const index = requests.push(r) - 1;
      const a = answer(r, index);
      if (a === 'hold') {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      const status = typeof a === 'number' ? a : a.status;
      r.answered = status;
      res.writeHead(status, typeof a === 'number' ? { 'content-type': 'text/plain' } : a.headers);
      res.end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actual}/hooks/dr?token=receiver-token`,
    port: actual,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (listened on once, then released). */
export async function freePort(): Promise<number> {
  const r = await startReceiver();
  await r.close();
  return r.port;
}

export const FAST: Partial<WebhookOptions> = {
  timeoutMs: 2_000,
  baseDelayMs: 40,
  maxDelayMs: 150,
  minDelayMs: 20,
  idleRecheckMs: 50,
};

export interface CapturingLogger extends Logger {
  lines: string[];
}

export function capturingLogger(): CapturingLogger {
  const lines: string[] = [];
  const put = (level: string) => (m: string, d?: unknown) => {
    lines.push(`${level} ${m} ${d === undefined ? '' : safeJson(d)}`);
  };
  return { lines, info: put('info'), warn: put('warn'), error: put('error') };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export interface WebhookCore extends Core {
  call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  fail<C extends Channel>(channel: C, request: RequestOf<C>): Promise<DrErrorData>;
}

export function openCore(dataDir: string, opts: { webhooks?: Partial<WebhookOptions>; logger?: Logger; startWebhooks?: boolean } = {}): WebhookCore {
  const core = composeCore({
    dataDir,
    keyProvider: testKeyProvider(),
    startScheduler: false,
    webhooks: { ...FAST, ...opts.webhooks },
    ...(opts.logger ? { logger: opts.logger } : { logger: capturingLogger() }),
    ...(opts.startWebhooks === false ? { startWebhooks: false } : {}),
  });
  return Object.assign(core, {
    async call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
      const r = await core.router.dispatch(channel, request);
      if (!r.ok) throw new Error(`${channel} failed: ${r.error.code}: ${r.error.message}`);
      return r.value as ResponseOf<C>;
    },
    async fail<C extends Channel>(channel: C, request: RequestOf<C>): Promise<DrErrorData> {
      const r = await core.router.dispatch(channel, request);
      if (r.ok) throw new Error(`${channel} unexpectedly succeeded`);
      return r.error;
    },
  });
}

/** A sim Azure account with a source and a target environment and one protected VM. */
export async function createPolicy(
  core: WebhookCore,
  webhook: { url: string | null; secret?: string | null; onTestFailover?: boolean; allowPrivateTargets?: boolean; name?: string; vmName?: RegExp },
) {
  const account = await core.call('dr:accounts.create', { name: `Sim Azure ${Math.random()}`, provider: 'sim', cloud: 'azure', credentials: { kind: 'none' } });
  const source = await core.call('dr:environments.create', { accountId: account.id, name: 'Prod', region: 'westeurope', scope: '00000000-0000-4000-8000-000000000001/rg-prod' });
  const target = await core.call('dr:environments.create', { accountId: account.id, name: 'DR', region: 'northeurope', scope: '00000000-0000-4000-8000-000000000001/rg-dr' });
  const inventory = await core.call('dr:inventory.discover', { environmentId: source.id });
  const vm = inventory.find((r) => r.type === 'azure.vm' && (webhook.vmName ? webhook.vmName.test(r.name) : true));
  if (!vm) throw new Error('the sim Azure inventory has no VM');
  const policy = await core.call('dr:policies.create', {
    name: webhook.name ?? 'policy01',
    sourceEnvironmentId: source.id,
    targetEnvironmentId: target.id,
    resources: [{ type: vm.type, nativeId: vm.nativeId, name: vm.name }],
    schedule: null,
    webhookUrl: webhook.url,
    ...(webhook.secret !== undefined ? { webhookSecret: webhook.secret } : {}),
    webhookOnTestFailover: webhook.onTestFailover ?? false,
    ...(webhook.allowPrivateTargets !== undefined ? { webhookAllowPrivateTargets: webhook.allowPrivateTargets } : {}),
  });
  return { account, source, target, vm, policy };
}

const SUB = '/subscriptions/xxxxxx/resourceGroups/xxxxxx/providers';

/**
 * The product document's example mapping (a VM with its OS disk, NIC, virtual network and public
 * IP), in the order the sim's Azure VM plan records it: dependencies first, the VM last.
 */
export const DOCUMENT_VM_MAPPINGS = [
  { kind: 'VirtualNetwork', name: 'vnet01', path: 'Microsoft.Network/virtualNetworks/vnet01' },
  { kind: 'PublicIPAddress', name: 'vm01-ip', path: 'Microsoft.Network/publicIPAddresses/vm01-ip' },
  { kind: 'NetworkInterface', name: 'vm01898_z1', path: 'Microsoft.Network/networkInterfaces/vm01898_z1' },
  {
    kind: 'Disk',
    name: 'vm01_OsDisk_1_94794b06b4df4cdf868f6d1cd692dccc',
    path: 'Microsoft.Compute/disks/vm01_OsDisk_1_94794b06b4df4cdf868f6d1cd692dccc',
  },
  { kind: 'VirtualMachine', name: 'vm01', path: 'Microsoft.Compute/virtualMachines/vm01' },
].map((m) => ({ kind: m.kind, name: m.name, sourceId: `${SUB}/${m.path}`, targetId: `${SUB}/${m.path}` }));

/** The document's example payload, verbatim (whitespace removed). */
export const DOCUMENT_EXAMPLE_JSON =
  '{"PolicyName":"policy01","ResourceMapping":[' +
  [
    ['Microsoft.Compute/virtualMachines/vm01', 'VirtualMachine', 'vm01'],
    ['Microsoft.Compute/disks/vm01_OsDisk_1_94794b06b4df4cdf868f6d1cd692dccc', 'Disk', 'vm01_OsDisk_1_94794b06b4df4cdf868f6d1cd692dccc'],
    ['Microsoft.Network/networkInterfaces/vm01898_z1', 'NetworkInterface', 'vm01898_z1'],
    ['Microsoft.Network/virtualNetworks/vnet01', 'VirtualNetwork', 'vnet01'],
    ['Microsoft.Network/publicIPAddresses/vm01-ip', 'PublicIPAddress', 'vm01-ip'],
  ]
    .map(
      ([path, type, name]) =>
        `{"ResourceId":"${SUB}/${path}","ResourceType":"${type}","ResourceName":"${name}","TargetResourceId":"${SUB}/${path}"}`,
    )
    .join(',') +
  ']}';

let jobSeq = 0;

/** A finished job of the policy, written as the job engine leaves it, with its resource mappings. */
export function insertFinishedJob(
  core: Core,
  policyId: string,
  opts: {
    kind?: 'failover' | 'test_failover' | 'replication';
    status?: 'succeeded' | 'partially_failed' | 'failed' | 'running';
    protectedResourceId?: string | null;
    mappings?: { kind: string; name: string; sourceId: string; targetId: string }[];
  } = {},
): string {
  const id = `job_webhook_${++jobSeq}_${Date.now()}`;
  const now = new Date().toISOString();
  const status = opts.status ?? 'succeeded';
  core.db
    .prepare(
      `INSERT INTO jobs (id, policy_id, kind, status, trigger, created_at, started_at, finished_at) VALUES (?, ?, ?, ?, 'manual', ?, ?, ?)`,
    )
    .run(id, policyId, opts.kind ?? 'failover', status, now, now, status === 'running' ? null : now);
  const insert = core.db.prepare(
    `INSERT INTO resource_mappings (job_id, protected_resource_id, source_id, kind, name, target_id) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  // As the engine records them: every row of a resource's failover carries its protected resource.
  const protectedResourceId =
    opts.protectedResourceId !== undefined
      ? opts.protectedResourceId
      : ((core.db.prepare('SELECT id FROM protected_resources WHERE policy_id = ? ORDER BY id LIMIT 1').pluck().get(policyId) as string | undefined) ?? null);
  for (const m of opts.mappings ?? DOCUMENT_VM_MAPPINGS) insert.run(id, protectedResourceId, m.sourceId, m.kind, m.name, m.targetId);
  return id;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
