// One webhook attempt over HTTP(S): the target resolved and checked first (target.ts: no link-local
// or metadata address unless the policy allows it, and the connection goes to the checked address),
// then POST the stored body with undici's fetch, no redirects followed, a timeout per attempt, and
// every outcome turned into a sentence an operator can act on.

import { fetch as undiciFetch, type Dispatcher, type RequestInit, type Response } from 'undici';
import { pinnedAgent, resolveTarget, type LookupAll } from './target';

export type FetchLike = (url: string, init: RequestInit & { dispatcher?: Dispatcher }) => Promise<Response>;

export const defaultFetch: FetchLike = (url, init) => undiciFetch(url, init);

export interface AttemptRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export type AttemptResult =
  | { outcome: 'delivered'; httpStatus: number }
  | { outcome: 'failed'; httpStatus: number | null; error: string }
  /** The console stopped while the request was open: the receiver may or may not have it. */
  | { outcome: 'interrupted'; error: string };

export interface AttemptOptions {
  timeoutMs: number;
  /** Aborted when the console closes. */
  stop: AbortSignal;
  fetch: FetchLike;
  /** How host names are resolved (dns.lookup; tests answer from a table). */
  lookup: LookupAll;
  /** The policy allows targets in link-local and metadata ranges (read when the attempt starts). */
  allowPrivate: boolean;
}

export const INTERRUPTED_MESSAGE = 'Interrupted: the console closed while this attempt was open; it is sent again (same delivery id) at the next start.';

export async function attemptDelivery(req: AttemptRequest, opts: AttemptOptions): Promise<AttemptResult> {
  const host = hostOf(req.url);
  if (opts.stop.aborted) return { outcome: 'interrupted', error: INTERRUPTED_MESSAGE };
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = AbortSignal.any([timeout, opts.stop]);
  let res: Response;
  let agent: Dispatcher | null = null;
  try {
    const target = await resolveTarget(req.url, { allowPrivate: opts.allowPrivate, lookup: opts.lookup, signal });
    // An IP literal is connected to as it is; a name only at the addresses just checked.
    agent = target.addresses.length > 0 ? pinnedAgent(target) : null;
    res = await opts.fetch(req.url, {
      method: 'POST',
      body: req.body,
      headers: req.headers,
      // A redirect could move a signed payload to another host; the operator fixes the URL instead.
      redirect: 'manual',
      signal,
      ...(agent ? { dispatcher: agent } : {}),
    });
  } catch (err) {
    void agent?.destroy().catch(() => undefined);
    if (opts.stop.aborted) return { outcome: 'interrupted', error: INTERRUPTED_MESSAGE };
    if (timeout.aborted) return { outcome: 'failed', httpStatus: null, error: timeoutMessage(host, opts.timeoutMs) };
    return { outcome: 'failed', httpStatus: null, error: networkMessage(host, err) };
  }
  // Nothing in the answer's body matters; release the connection (and the attempt's agent) without waiting.
  void res.body?.cancel().catch(() => undefined);
  void agent?.destroy().catch(() => undefined);
  const status = res.status;
  if (status >= 200 && status <= 299) return { outcome: 'delivered', httpStatus: status };
  if (status >= 300 && status <= 399) {
    const to = redirectTarget(res.headers.get('location'), req.url);
    return {
      outcome: 'failed',
      httpStatus: status,
      error: `${host} answered ${status} (a redirect${to ? ` to ${to}` : ''}); redirects are not followed, so set the webhook URL to the final address.`,
    };
  }
  const text = res.statusText ? ` ${res.statusText}` : '';
  return { outcome: 'failed', httpStatus: status, error: `${host} answered ${status}${text}; only a 2xx answer counts as delivered.` };
}

/** host[:port] of a URL, for messages and logs (the path and query may carry a receiver's token). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the webhook receiver';
  }
}

function redirectTarget(location: string | null, base: string): string | null {
  if (!location) return null;
  try {
    const u = new URL(location, base);
    return `${u.origin}${u.pathname}`;
  } catch {
    return null;
  }
}

function timeoutMessage(host: string, ms: number): string {
  const seconds = ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
  return `${host} did not answer within ${seconds}.`;
}

function networkMessage(host: string, err: unknown): string {
  const code = errorCode(err);
  switch (code) {
    case 'EWEBHOOKTARGET':
      return messageOf(err) + '.';
    case 'ECONNREFUSED':
      return `Could not connect to ${host}: the connection was refused (the receiver is down or not listening).`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `The host ${host} could not be found (DNS); check the URL or the network.`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `The connection to ${host} was closed before an answer arrived.`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `Could not connect to ${host} in time; the network may be down.`;
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return `${host} is unreachable; the network may be down.`;
    default:
      if (code?.startsWith('ERR_TLS') || code?.includes('CERT')) return `The secure (TLS) connection to ${host} failed (${code}); check the receiver's certificate.`;
      return `The request to ${host} failed${code ? ` (${code})` : ''}: ${messageOf(err)}.`;
  }
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function messageOf(err: unknown): string {
  const cause = (err as { cause?: unknown } | null)?.cause;
  const pick = cause instanceof Error ? cause : err;
  return (pick instanceof Error ? pick.message : String(pick)).replace(/[.\s]+$/, '');
}
