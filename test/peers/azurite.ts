// Azurite (npm, Microsoft's Azure Storage emulator) as the blob data-plane test peer: azurite-blob
// started on a free loopback port with a temp location, no telemetry, and a pool of named accounts
// (AZURITE_ACCOUNTS) that the ARM peer hands out as storage accounts' blob endpoints and keys. It
// has no management plane, so object replication's copying, which the real service does by itself,
// is done here by `replicateObjects` over the ARM peer's policies. Under CI=true a missing Azurite
// fails the run; elsewhere the suites that need it skip and say why.

import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe } from 'vitest';
import type { ArmPeer } from './azure-arm/server';

const ROOT = resolve(import.meta.dirname, '..', '..');
const AZURITE_BLOB = join(ROOT, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');
export const AZURITE_INSTALL = 'npm ci (azurite is a devDependency)';

export interface AzuriteAccount {
  /** The Azurite account (first path segment of its endpoint). */
  name: string;
  key: string;
  /** http://127.0.0.1:PORT/<name>/ (Azurite's IP-style URL). */
  endpoint: string;
}

export interface AzuritePeer {
  url: string;
  port: number;
  accounts: AzuriteAccount[];
  /**
   * For the ARM peer's `blobDataPlane`: each storage account name gets the next free Azurite
   * account, the same one every time it is asked; undefined once the pool is used up.
   */
  dataPlane(armAccountName: string): { endpoint: string; key: string } | undefined;
  /**
   * A `blobDataPlane` of its own for one test world: a storage account name gets a fresh Azurite
   * account, not shared with other worlds (a world per crash point must not see another's lease).
   */
  world(): (armAccountName: string) => { endpoint: string; key: string } | undefined;
  /** The Azurite account an ARM storage account was given, if any. */
  accountFor(armAccountName: string): AzuriteAccount | undefined;
  /** A blob client on the Azurite account behind an ARM storage account. */
  client(armAccountName: string): BlobServiceClient;
  stop(): Promise<void>;
}

export function azuriteAvailable(): boolean {
  return existsSync(AZURITE_BLOB);
}

export function azuriteMissing(): Error {
  return new Error(`Azurite is not installed (needed for the Azure storage suites under CI=true): run ${AZURITE_INSTALL}`);
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    // Any HTTP answer (403 without a signature) means the blob service is listening.
    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return r.status > 0;
  } catch {
    return false;
  }
}

/** describe() for suites that need Azurite: skips (or throws under CI) when it is not installed. */
export function describeAzurite(name: string, body: () => void): void {
  if (azuriteAvailable()) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') throw azuriteMissing();
  describe.skip(`${name} (skipped: Azurite not installed; install with ${AZURITE_INSTALL})`, body);
}

export async function startAzurite(opts: { accounts?: number; timeoutMs?: number } = {}): Promise<AzuritePeer> {
  if (!azuriteAvailable()) throw azuriteMissing();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const accounts: AzuriteAccount[] = Array.from({ length: opts.accounts ?? 8 }, (_, i) => {
    const name = `peerblob${i}`;
    return { name, key: randomBytes(64).toString('base64'), endpoint: `${url}/${name}/` };
  });
  const location = mkdtempSync(join(tmpdir(), 'azurite-'));
  const child: ChildProcess = spawn(
    process.execPath,
    // --skipApiVersionCheck: @azure/storage-blob may send a newer x-ms-version than this Azurite knows.
    [AZURITE_BLOB, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', location, '--silent', '--disableTelemetry', '--skipApiVersionCheck'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, AZURITE_ACCOUNTS: accounts.map((a) => `${a.name}:${a.key}`).join(';') } },
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  // Waits for the service to answer, not for a time; generous for a busy machine.
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (!(await answers(`${url}/${accounts[0]!.name}?comp=list`))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(location, { recursive: true, force: true });
      throw new Error(`Azurite did not start on ${url}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const given = new Map<string, AzuriteAccount>();
  const accountFor = (arm: string) => given.get(arm.toLowerCase());
  let next = 0;
  const planeOf = (mine: Map<string, AzuriteAccount>) => (arm: string) => {
    let a = mine.get(arm.toLowerCase());
    if (!a) {
      a = accounts[next];
      if (!a) return undefined;
      next += 1;
      mine.set(arm.toLowerCase(), a);
    }
    return { endpoint: a.endpoint, key: a.key };
  };
  return {
    url,
    port,
    accounts,
    dataPlane: planeOf(given),
    world: () => planeOf(new Map()),
    accountFor,
    client(arm) {
      const a = accountFor(arm);
      if (!a) throw new Error(`No Azurite account was given to the storage account ${arm}.`);
      return new BlobServiceClient(a.endpoint, new StorageSharedKeyCredential(a.name, a.key));
    },
    stop() {
      return new Promise<void>((res) => {
        const done = () => {
          rmSync(location, { recursive: true, force: true });
          res();
        };
        if (exited) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
        setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, 3000).unref();
      });
    },
  };
}

/**
 * What the storage service does on its own for every object-replication policy present on both
 * accounts: copies each rule's source-container blobs to its destination container. Returns the
 * number of blobs copied. Test world only.
 */
export async function replicateObjects(arm: ArmPeer, azurite: AzuritePeer): Promise<number> {
  const policies = arm.list('Microsoft.Storage/storageAccounts/objectReplicationPolicies');
  const accountOf = (id: string) => id.split('/')[8] ?? '';
  let copied = 0;
  for (const onDst of policies) {
    const dstName = String(onDst.properties.destinationAccount).split('/').pop()!;
    const srcName = String(onDst.properties.sourceAccount).split('/').pop()!;
    if (accountOf(onDst.id).toLowerCase() !== dstName.toLowerCase()) continue;
    const onSrc = policies.find((p) => accountOf(p.id).toLowerCase() === srcName.toLowerCase() && p.name === onDst.name);
    if (!onSrc || !azurite.accountFor(srcName) || !azurite.accountFor(dstName)) continue;
    for (const rule of (onSrc.properties.rules as Array<{ sourceContainer: string; destinationContainer: string }>) ?? []) {
      const from = azurite.client(srcName).getContainerClient(rule.sourceContainer);
      const to = azurite.client(dstName).getContainerClient(rule.destinationContainer);
      if (!(await from.exists())) continue;
      await to.createIfNotExists();
      for await (const blob of from.listBlobsFlat()) {
        const body = await from.getBlobClient(blob.name).downloadToBuffer();
        await to.getBlockBlobClient(blob.name).uploadData(body);
        copied += 1;
      }
    }
  }
  return copied;
}
