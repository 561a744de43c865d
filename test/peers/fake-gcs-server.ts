// fake-gcs-server (fsouza, Go) as the Cloud Storage test peer: one process per suite on a free
// loopback port, plain HTTP, in-memory backend. Built once by .ci/run into the ignored .peers/ folder.
// Under CI=true a missing binary fails the run; elsewhere the suites skip with the build command.
// No test-runner imports here, so vitest suites and Playwright specs can both use it.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const FAKE_GCS_VERSION = 'v1.56.1';
const ROOT = resolve(import.meta.dirname, '..', '..');
export const FAKE_GCS_BIN = join(ROOT, '.peers', 'fake-gcs-server', FAKE_GCS_VERSION, 'fake-gcs-server');
export const FAKE_GCS_INSTALL =
  `GOBIN=$PWD/.peers/fake-gcs-server/${FAKE_GCS_VERSION} GOPATH=$PWD/.peers/go ` +
  `/usr/local/go/bin/go install github.com/fsouza/fake-gcs-server@${FAKE_GCS_VERSION}`;

export interface FakeGcs {
  /** http://127.0.0.1:PORT: `apiEndpoint` for @google-cloud/storage. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function fakeGcsAvailable(): boolean {
  return existsSync(FAKE_GCS_BIN);
}

export function fakeGcsMissing(): Error {
  return new Error(`fake-gcs-server ${FAKE_GCS_VERSION} is not built (needed under CI=true): run ${FAKE_GCS_INSTALL}`);
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
    const r = await fetch(`${url}/storage/v1/b?project=probe`, { signal: AbortSignal.timeout(1000) });
    return r.status === 200;
  } catch {
    return false;
  }
}

export async function startFakeGcs(opts: { timeoutMs?: number } = {}): Promise<FakeGcs> {
  if (!fakeGcsAvailable()) throw fakeGcsMissing();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // -public-host: the host it writes into media links and accepts as a virtual-host bucket address;
  // the loopback address keeps every link it returns pointing back at this process.
  const args = ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(port), '-backend', 'memory',
    '-public-host', `127.0.0.1:${port}`, '-external-url', url, '-log-level', 'warn'];
  const child: ChildProcess = spawn(FAKE_GCS_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  // Waits for a state (the bucket list answers), not a time; generous for a busy machine.
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (!(await answers(url))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`fake-gcs-server did not start on ${url}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    stop() {
      return new Promise<void>((res) => {
        if (exited) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
        setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, 3000).unref();
      });
    },
  };
}
