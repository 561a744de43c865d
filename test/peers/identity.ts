// The identity test peer: oauth2-mock-server (npm) as the Entra ID authority, over HTTPS on
// loopback with the run's test certificate (test/helpers/test-tls.ts). MSAL talks to it in OIDC
// protocol mode with the authority and its host as known authority; the issuer URL is set to the
// same https://127.0.0.1:PORT (the mock defaults to localhost, which MSAL would not match).

import { OAuth2Server } from 'oauth2-mock-server';
import { testTls } from '../helpers/test-tls';
import type { ServerResponse } from 'node:http';

export interface IdentityPeer {
  /** https://127.0.0.1:PORT: the authority and the issuer. */
  url: string;
  /** host:port, for MSAL's knownAuthorities. */
  host: string;
  server: OAuth2Server;
  /** The form bodies of every token request the peer answered, in order. */
  tokenRequests: Array<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startIdentityPeer(): Promise<IdentityPeer> {
  const tls = testTls();
  const server = new OAuth2Server(tls.keyPath, tls.certPath);
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  const port = server.address().port;
  const url = `https://127.0.0.1:${port}`;
  server.issuer.url = url;
  const tokenRequests: Array<Record<string, string>> = [];
  server.service.on('beforeResponse', (_response: unknown, req: { body?: Record<string, string> }) => {
    tokenRequests.push({ ...(req.body ?? {}) });
  });
  return { url, host: `127.0.0.1:${port}`, server, tokenRequests, stop: () => server.stop() };
}

/**
 * Entra ID answers an authorize request with response_mode=form_post by a page that POSTs code and
 * state to the redirect URI (MSAL's loopback listener refuses them in the query). oauth2-mock-server
 * only redirects with a query, so this makes the peer do what Entra ID does: the redirect goes to a
 * page of the peer holding an auto-submitting form to the redirect URI. A real browser (Playwright's
 * Chromium) then delivers the code exactly as it would from Entra ID.
 */
export function emulateFormPost(idp: IdentityPeer): void {
  const pending = new Map<string, { target: string; fields: Record<string, string> }>();
  idp.server.service.on('beforeAuthorizeRedirect', (redirect: { url: URL }, req: { url?: string }) => {
    const asked = new URL(req.url ?? '/', idp.url);
    if (asked.searchParams.get('response_mode') !== 'form_post') return;
    const target = new URL(redirect.url.href);
    const fields = Object.fromEntries(target.searchParams);
    target.search = '';
    const key = Math.random().toString(36).slice(2);
    pending.set(key, { target: target.href, fields });
    redirect.url.href = `${idp.url}/form_post?key=${key}`;
  });
  idp.server.service.addRoute('GET', '/form_post', (req: { url?: string }, res: ServerResponse) => {
    const key = new URL(req.url ?? '/', idp.url).searchParams.get('key') ?? '';
    const p = pending.get(key);
    pending.delete(key);
    if (!p) {
      res.writeHead(404).end('unknown form');
      return;
    }
    const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const inputs = Object.entries(p.fields)
      .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
      .join('');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Working...</title><body onload="document.forms[0].submit()"><form method="POST" action="${esc(p.target)}">${inputs}<noscript><button>Continue</button></noscript></form></body>`);
  });
}

/** The system browser, played by an HTTP client: authorize, then the form POST Entra ID's page makes. */
export async function browseSignIn(url: string): Promise<string> {
  const authorize = await fetch(url, { redirect: 'manual' });
  const back = new URL(authorize.headers.get('location')!);
  const form = new URLSearchParams(back.searchParams);
  back.search = '';
  const page = await fetch(back, { method: 'POST', body: form });
  return page.text();
}
