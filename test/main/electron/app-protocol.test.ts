import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ORIGIN, createAppProtocolHandler, resolveAppPath } from '../../../main/electron/app-protocol';
import { CONTENT_SECURITY_POLICY } from '../../../main/electron/csp';

let base: string;
let root: string;
let handler: (request: Request) => Promise<Response>;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'fc-protocol-'));
  root = join(base, 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Failover Console</title>');
  writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'index-abc.css'), 'body{}');
  writeFileSync(join(root, 'assets', 'logo.svg'), '<svg/>');
  writeFileSync(join(root, 'assets', 'blob.xyz'), 'x');
  // A secret next to the renderer folder that traversal must never reach.
  writeFileSync(join(base, 'secret.txt'), 'top secret');
  handler = createAppProtocolHandler({ root });
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

const get = (path: string, method = 'GET') => handler(new Request(`${APP_ORIGIN}${path}`, { method }));

describe('resolveAppPath', () => {
  it('maps the root to index.html and nested paths to files under the root', () => {
    expect(resolveAppPath(root, 'app://console/')).toEqual({ ok: true, file: join(root, 'index.html') });
    expect(resolveAppPath(root, 'app://console/assets/index-abc.js?v=1#x')).toEqual({
      ok: true,
      file: join(root, 'assets', 'index-abc.js'),
    });
  });

  it.each([
    'app://console/..%2Fsecret.txt',
    'app://console/assets/..%2F..%2Fsecret.txt',
    'app://console/%2e%2e/secret.txt',
    'app://console/assets/%2E%2E%2F%2E%2E%2Fsecret.txt',
    'app://console/..%5Csecret.txt',
    'app://console/%2Fetc%2Fpasswd',
    'app://console/C:%5CWindows%5Cwin.ini',
  ])('refuses %s, which would leave the renderer folder', (url) => {
    const resolved = resolveAppPath(root, url);
    if (resolved.ok) expect(resolved.file.startsWith(join(root, ''))).toBe(true);
    else expect([400, 403, 404]).toContain(resolved.status);
    if (resolved.ok) expect(resolved.file).not.toBe(join(base, 'secret.txt'));
  });

  it('refuses other hosts, bad encodings and NUL bytes', () => {
    expect(resolveAppPath(root, 'app://evil/index.html')).toMatchObject({ ok: false, status: 404 });
    expect(resolveAppPath(root, 'https://console/index.html')).toMatchObject({ ok: false, status: 404 });
    expect(resolveAppPath(root, 'app://console/%E0%A4%A')).toMatchObject({ ok: false, status: 400 });
    expect(resolveAppPath(root, 'app://console/index.html%00.js')).toMatchObject({ ok: false, status: 400 });
    expect(resolveAppPath(root, 'not a url')).toMatchObject({ ok: false, status: 400 });
  });
});

describe('the app:// protocol handler', () => {
  it('serves index.html at the root with an HTML type and the strict CSP', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('<title>Failover Console</title>');
  });

  it('serves scripts, styles and images with their MIME types', async () => {
    const js = await get('/assets/index-abc.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log(1)');
    expect((await get('/assets/index-abc.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await get('/assets/logo.svg')).headers.get('content-type')).toBe('image/svg+xml');
    expect((await get('/assets/blob.xyz')).headers.get('content-type')).toBe('application/octet-stream');
  });

  it('never serves a file outside the renderer folder', async () => {
    for (const path of ['/..%2Fsecret.txt', '/assets/..%2F..%2Fsecret.txt', '/%2e%2e/secret.txt', '/..%5Csecret.txt']) {
      const res = await get(path);
      expect(res.status, path).not.toBe(200);
      expect(await res.text()).not.toContain('top secret');
    }
  });

  it('answers 404 for missing files and directories, and 405 for writes', async () => {
    expect((await get('/missing.js')).status).toBe(404);
    expect((await get('/assets')).status).toBe(404);
    expect((await get('/index.html', 'POST')).status).toBe(405);
    expect((await get('/index.html', 'DELETE')).status).toBe(405);
  });

  it('answers HEAD with headers and no body', async () => {
    const res = await get('/index.html', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String('<!doctype html><title>Failover Console</title>'.length));
    expect(await res.text()).toBe('');
  });
});
