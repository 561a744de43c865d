// moto (the AWS mock) as a test peer process: started on a free loopback port, reset between tests.
// No test-runner imports here, so vitest suites and Playwright specs can both use it.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const MOTO_INSTALL = "python3 -m venv .venv/moto && .venv/moto/bin/pip install 'moto[server]==5.2.5'";
const ROOT = resolve(import.meta.dirname, '..', '..');
const MOTO_BIN = join(ROOT, '.venv', 'moto', 'bin', 'moto_server');

export interface MotoServer {
  url: string;
  port: number;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export function motoAvailable(): boolean {
  return existsSync(MOTO_BIN);
}

export function motoMissing(): Error {
  return new Error(`moto is not installed (needed for the AWS suites under CI=true): run ${MOTO_INSTALL}`);
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
    const r = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1000) });
    return r.status < 500;
  } catch {
    return false;
  }
}

/**
 * moto_server's app behind one lock, so every request is handled whole before the next: moto 5.2.5
 * checks S3's If-None-Match / If-Match and then writes, unlocked, on a threaded server, so two
 * concurrent conditional PUTs can both succeed (seen about once in 200 races). Real S3 decides
 * conditional writes atomically; a serialized moto is the faithful peer for races on them.
 */
const SERIAL_MOTO = `
import os, sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
os.environ.setdefault("MOTO_PORT", sys.argv[2])
app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()
def serial(environ, start_response):
    with lock:
        return list(app(environ, start_response))
run_simple(sys.argv[1], int(sys.argv[2]), serial, threaded=True, request_handler=MotoRequestHandler)
`;

export async function startMoto(opts: { timeoutMs?: number; serial?: boolean } = {}): Promise<MotoServer> {
  if (!motoAvailable()) throw motoMissing();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const [bin, args] = opts.serial
    ? [join(ROOT, '.venv', 'moto', 'bin', 'python'), ['-c', SERIAL_MOTO, '127.0.0.1', String(port)]]
    : [MOTO_BIN, ['-H', '127.0.0.1', '-p', String(port)]];
  const child: ChildProcess = spawn(bin, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'false' },
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  // Generous: on a busy machine a Python start-up can take long; this waits for a state, not a time.
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  while (!(await answers(url))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto did not start on ${url}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    async reset() {
      const r = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      if (!r.ok) throw new Error(`moto reset failed: HTTP ${r.status}`);
    },
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
