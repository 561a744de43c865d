// A loopback TLS certificate for HTTPS test peers (the identity peer), trusted by the test workers
// through NODE_EXTRA_CA_CERTS. Node reads that variable once at process start, so vitest.config.ts
// calls ensureTestTls() in the main process and the forked workers inherit it.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TestTls {
  keyPath: string;
  certPath: string;
}

/** Makes the certificate (once per run) and points NODE_EXTRA_CA_CERTS at it, keeping any CA set before. */
export async function ensureTestTls(): Promise<TestTls> {
  const ready = process.env.FC_TEST_TLS_KEY && process.env.FC_TEST_TLS_CERT;
  if (ready && existsSync(process.env.FC_TEST_TLS_KEY!) && existsSync(process.env.FC_TEST_TLS_CERT!)) {
    return { keyPath: process.env.FC_TEST_TLS_KEY!, certPath: process.env.FC_TEST_TLS_CERT! };
  }
  const dir = mkdtempSync(join(tmpdir(), 'fc-test-tls-'));
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const bundlePath = join(dir, 'extra-ca.pem');
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  writeFileSync(certPath, pems.cert);
  const earlier = process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS) ? readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8') : '';
  writeFileSync(bundlePath, `${earlier}\n${pems.cert}`);
  process.env.NODE_EXTRA_CA_CERTS = bundlePath;
  process.env.FC_TEST_TLS_KEY = keyPath;
  process.env.FC_TEST_TLS_CERT = certPath;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { keyPath, certPath };
}

/** In a test worker: the certificate vitest.config.ts made, or a sentence saying why there is none. */
export function testTls(): TestTls {
  const keyPath = process.env.FC_TEST_TLS_KEY;
  const certPath = process.env.FC_TEST_TLS_CERT;
  if (!keyPath || !certPath || !existsSync(keyPath) || !existsSync(certPath)) {
    throw new Error('No test TLS certificate: run the suite through vitest (vitest.config.ts makes one and sets NODE_EXTRA_CA_CERTS).');
  }
  return { keyPath, certPath };
}
