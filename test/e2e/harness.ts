// Drives the real console in headless Chromium: serves the built renderer over loopback http,
// installs `window.drConsole` through Playwright's exposeBinding and routes every call to the same
// router Electron's IPC uses, on a real SQLite file. Importable by any test.

import { CONTENT_SECURITY_POLICY } from '../../shared/csp';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { composeCore, type Core, type ProvidersOption } from '../../main/compose';
import type { AzureAccountsOptions } from '../../main/core/azure-accounts-service';
import { StaticKeyProvider } from '../../main/credentials/static-key-provider';
import type { KeyProvider } from '../../main/credentials/key-provider';
import { CHANNELS, EVENT_NAMES, type Channel, type RequestOf, type ResponseOf } from '../../shared/ipc/contract';
import type { Result } from '../../shared/errors';
import { chromiumPdfPrinter } from '../helpers/chromium-pdf';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const RENDERER_DIR = resolve(import.meta.dirname, '../../out/renderer');

/** The same policy the Electron shell sends with every renderer response (one source: shared/csp.ts). */
export const RENDERER_CSP = CONTENT_SECURITY_POLICY;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface OpenConsoleOptions {
  /** Folder for the console's SQLite file; a fresh temp folder when omitted. */
  dataDir?: string;
  /** Which providers, through the same composition root as the app (default: all built-in ones). */
  providers?: ProvidersOption;
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
  /** Reuse a browser across consoles in one test file. */
  browser?: Browser;
  /** The vault's key provider (default: a random static key); e.g. a passphrase provider. */
  keyProvider?: KeyProvider;
  /**
   * How page calls reach the router: Playwright's binding (default; a CDP round trip of ~15 ms), or
   * same-origin fetch to the loopback server (~1 ms, closer to Electron IPC; used by the benchmarks).
   */
  bridge?: 'binding' | 'http';
  /** Where exports are saved (the save dialog's answer); <dataDir>/exports when omitted. */
  exportDir?: string;
  /** Azure sign-in: endpoints (the peers) and the system browser (a page of this harness's browser). */
  azure?: AzureAccountsOptions;
  /** Accept the test certificate of an HTTPS peer the page visits (the identity peer's sign-in pages). */
  ignoreHTTPSErrors?: boolean;
}

export interface ConsoleHandle {
  page: Page;
  core: Core;
  dataDir: string;
  /** Where exports from the page are saved. */
  exportDir: string;
  url: string;
  /** Calls the router exactly as the renderer would. */
  invoke<C extends Channel>(channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>>;
  /** Like invoke, but throws on an error result; for test set-up. */
  call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  close(): Promise<void>;
}

export function rendererBuilt(): boolean {
  return existsSync(join(RENDERER_DIR, 'index.html'));
}

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium".`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** Serves out/renderer on a free loopback port, refusing anything outside it. */
export async function serveRenderer(
  root = RENDERER_DIR,
  invoke?: (channel: unknown, request: unknown) => Promise<unknown>,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    void (async () => {
      const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
      if (invoke && req.method === 'POST' && pathname === INVOKE_PATH) {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        let message: { channel?: unknown; request?: unknown } = {};
        try {
          message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof message;
        } catch {
          // The router answers a missing channel with a clear error, like any malformed call.
        }
        const result = await invoke(message.channel, message.request);
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(result));
        return;
      }
      const rel = normalize(pathname === '/' ? '/index.html' : pathname);
      const file = join(root, rel);
      if (!file.startsWith(root + sep)) {
        res.writeHead(403).end();
        return;
      }
      try {
        const body = await readFile(file);
        res.writeHead(200, {
          'content-type': MIME[extname(file)] ?? 'application/octet-stream',
          'content-security-policy': RENDERER_CSP,
          'cache-control': 'no-store',
        });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('renderer server has no port');
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

/** Where the http bridge posts calls (same origin as the renderer, so the CSP allows it). */
const INVOKE_PATH = '/__dr/invoke';

/** Page-side bridge: the same shape buildBridge gives the preload, over the exposed binding. */
function installBridge({ channels, events, httpPath }: { channels: string[]; events: string[]; httpPath: string | null }): void {
  const w = window as unknown as Record<string, unknown>;
  if (httpPath) {
    w.__drInvoke = (channel: string, request: unknown) =>
      fetch(httpPath, { method: 'POST', body: JSON.stringify({ channel, request }) }).then((r) => r.json());
  }
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const api: Record<string, unknown> = {};
  for (const channel of channels) {
    const body = channel.slice(3);
    const dot = body.indexOf('.');
    const domain = body.slice(0, dot);
    const group = (api[domain] ??= {}) as Record<string, unknown>;
    group[body.slice(dot + 1)] = (request: unknown) =>
      (w.__drInvoke as (c: string, r: unknown) => Promise<unknown>)(channel, request ?? {});
  }
  for (const key of Object.keys(api)) Object.freeze(api[key]);
  api.on = (event: string, listener: (payload: unknown) => void) => {
    if (!events.includes(event)) throw new Error(`Unknown event ${event}`);
    const set = listeners.get(event) ?? new Set();
    set.add(listener);
    listeners.set(event, set);
    return () => set.delete(listener);
  };
  Object.defineProperty(window, 'drConsole', { value: Object.freeze(api), writable: false, configurable: false });
  Object.defineProperty(window, '__drEmit', {
    value: (event: string, payload: unknown) => listeners.get(event)?.forEach((l) => l(payload)),
  });
}

export async function openConsole(opts: OpenConsoleOptions = {}): Promise<ConsoleHandle> {
  if (!rendererBuilt()) throw new Error('The renderer is not built: run "npm run build" first.');
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'fc-e2e-'));
  const exportDir = opts.exportDir ?? join(dataDir, 'exports');
  mkdirSync(exportDir, { recursive: true });
  // Opened lazily below; exports print with the same Chromium the page runs in.
  let printer: ((html: string) => Promise<Uint8Array>) | null = null;
  const core = composeCore({
    dataDir,
    keyProvider: opts.keyProvider ?? new StaticKeyProvider(randomBytes(32)),
    ...(opts.providers ? { providers: opts.providers } : {}),
    ...(opts.azure ? { azure: opts.azure } : {}),
    startScheduler: false,
    appVersion: 'e2e',
    platform: process.platform,
    reportOutput: {
      choosePath: (req) => Promise.resolve(join(exportDir, req.defaultName)),
      printPdf: (html) => {
        if (!printer) throw new Error('the harness browser is not open yet');
        return printer(html);
      },
    },
  });
  const sender = { id: 'harness', trusted: true };
  const httpBridge = opts.bridge === 'http';
  const { server, url } = await serveRenderer(
    RENDERER_DIR,
    httpBridge ? (channel, request) => core.router.dispatch(channel, request, sender) : undefined,
  );
  const ownBrowser = !opts.browser;
  const browser = opts.browser ?? (await launchChromium());
  printer = chromiumPdfPrinter(browser);
  let context: BrowserContext | undefined;
  try {
    context = await browser.newContext({
      viewport: opts.viewport ?? { width: 1440, height: 900 },
      colorScheme: opts.colorScheme ?? 'light',
      locale: 'en-GB',
      timezoneId: 'UTC',
      ...(opts.ignoreHTTPSErrors ? { ignoreHTTPSErrors: true } : {}),
    });
    if (!httpBridge) await context.exposeBinding('__drInvoke', (_source, channel: unknown, request: unknown) =>
      core.router.dispatch(channel, request, sender),
    );
    // Some TS transformers (esbuild under tsx) wrap functions in __name(); define it in the page.
    const bridgeArgs = JSON.stringify({ channels: [...CHANNELS], events: [...EVENT_NAMES], httpPath: httpBridge ? INVOKE_PATH : null });
    await context.addInitScript({
      content: `globalThis.__name ??= (f) => f;\n(${installBridge.toString()})(${bridgeArgs});`,
    });
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error('[renderer error]', err.message));
    const unsubscribe = core.events.subscribe((name, payload) => {
      page
        .evaluate(([n, p]) => (window as unknown as { __drEmit?: (n: string, p: unknown) => void }).__drEmit?.(n, p), [
          name,
          payload,
        ] as const)
        .catch(() => undefined);
    });
    await page.goto(url);
    const invoke = <C extends Channel>(channel: C, request: RequestOf<C>) =>
      core.router.dispatch(channel, request, sender) as Promise<Result<ResponseOf<C>>>;
    return {
      page,
      core,
      dataDir,
      exportDir,
      url,
      invoke,
      async call(channel, request) {
        const r = await invoke(channel, request);
        if (!r.ok) throw new Error(`${channel} failed: ${r.error.code}: ${r.error.message}`);
        return r.value;
      },
      async close() {
        unsubscribe();
        await context?.close().catch(() => undefined);
        if (ownBrowser) await browser.close().catch(() => undefined);
        await new Promise<void>((ok) => server.close(() => ok()));
        await core.close();
      },
    };
  } catch (err) {
    await context?.close().catch(() => undefined);
    if (ownBrowser) await browser.close().catch(() => undefined);
    server.close();
    await core.close();
    throw err;
  }
}
