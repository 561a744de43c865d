// Where a webhook POST may go, decided when it is sent: the URL was checked when it was saved, but
// its host name can resolve to another address by now (DNS rebinding: a name that answered a public
// address then answers 169.254.169.254 or fd00:ec2::254). So each attempt resolves the host once,
// refuses it when any address is in a link-local or cloud metadata range (unless the policy allows
// private targets), and connects only to the addresses it checked: the attempt's undici Agent looks
// the host up in that checked list, never in DNS again.

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent } from 'undici';
import { addressTargetProblem, privateTargetProblem } from '../../../shared/webhook-url';

/** dns.lookup with { all: true } (tests pass one that answers from a table, on loopback only). */
export type LookupAll = (hostname: string, options: { all: true }, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export const systemLookup: LookupAll = (hostname, options, callback) => dnsLookup(hostname, options, callback);

const ALLOW = 'allow private targets for this policy to send to it';

/** A target refused at delivery; its message is the sentence the outbox keeps. */
export class TargetRefused extends Error {
  readonly code = 'EWEBHOOKTARGET';
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefused';
  }
}

export interface ResolvedTarget {
  hostname: string;
  /** Empty for an IP literal (nothing to resolve; the connection goes to the literal). */
  addresses: LookupAddress[];
}

/**
 * Resolves the URL's host and checks every address it answered. Throws TargetRefused with a
 * sentence, or the lookup's own error (ENOTFOUND...), or the signal's reason when it aborts first.
 */
export async function resolveTarget(url: string, o: { allowPrivate: boolean; lookup: LookupAll; signal: AbortSignal }): Promise<ResolvedTarget> {
  const u = new URL(url);
  const hostname = u.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(hostname) !== 0;
  if (!o.allowPrivate) {
    if (privateTargetProblem(url)) throw new TargetRefused(`The webhook target ${u.host} is a link-local or cloud metadata address, so nothing was sent; ${ALLOW}.`);
  }
  if (literal) return { hostname, addresses: [] };
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) => {
    const onAbort = () => reject(o.signal.reason instanceof Error ? o.signal.reason : new Error('aborted'));
    if (o.signal.aborted) return onAbort();
    o.signal.addEventListener('abort', onAbort, { once: true });
    o.lookup(hostname, { all: true }, (err, found) => {
      o.signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(found);
    });
  });
  if (addresses.length === 0) throw Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
  if (!o.allowPrivate) {
    for (const a of addresses) {
      if (isIP(a.address.replace(/%.*$/, '')) === 0) throw new TargetRefused(`The webhook host ${hostname} resolved to "${a.address}", which is not an IP address, so nothing was sent.`);
      if (addressTargetProblem(a.address)) {
        throw new TargetRefused(`The webhook host ${hostname} resolves to ${a.address}, a link-local or cloud metadata address, so nothing was sent; ${ALLOW}.`);
      }
    }
  }
  return { hostname, addresses };
}

/**
 * An Agent for one attempt that connects only to the checked addresses: its lookup answers from
 * them and refuses any other host name (a redirect is never followed, so none is expected).
 */
export function pinnedAgent(target: ResolvedTarget): Agent {
  const lookup = (hostname: string, options: { all?: boolean; family?: number | string }, callback: (...args: unknown[]) => void): void => {
    if (hostname !== target.hostname) {
      callback(new TargetRefused(`The webhook connection asked for ${hostname}, not the checked host ${target.hostname}; nothing was sent.`));
      return;
    }
    const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    const usable = family === 0 ? target.addresses : target.addresses.filter((a) => a.family === family);
    if (usable.length === 0) {
      callback(Object.assign(new Error(`no IPv${family} address for ${hostname}`), { code: 'ENOTFOUND' }));
      return;
    }
    if (options.all) callback(null, usable);
    else callback(null, usable[0]!.address, usable[0]!.family);
  };
  return new Agent({ connect: { lookup: lookup as never } });
}
