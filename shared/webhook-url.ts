// Webhook URLs: parsed and stored in their serialised form (what is shown is what is called), with
// CR/LF and other controls refused rather than silently dropped by the URL parser, and targets in
// link-local or cloud metadata ranges refused unless the operator allows private targets for the
// policy (a signed POST from a laptop in a cloud VM must not reach its instance metadata service).
// Pure: used by the contract's schema and by the policies service.

import { z } from 'zod';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/** Host names of cloud metadata services (lower case, no trailing dot). */
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
  'metadata.packet.net',
  'metadata.oraclecloud.com',
]);

/** IPv4 metadata addresses outside 169.254.0.0/16: Alibaba, Azure wire server, Oracle. */
const METADATA_V4 = new Set(['100.100.100.200', '168.63.129.16', '192.0.0.192']);

/** Why `raw` is not an acceptable webhook URL, or null. */
export function webhookUrlProblem(raw: string): string | null {
  if (CONTROL.test(raw)) return 'must not contain line breaks or other control characters';
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return 'must be an http or https URL without credentials';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http or https URL without credentials';
  if (u.username !== '' || u.password !== '') return 'must be an http or https URL without credentials';
  return null;
}

/** The URL as it is stored and called: parsed and re-serialised. */
export function normalizeWebhookUrl(raw: string): string {
  return new URL(raw.trim()).href;
}

function ipv4(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m ? m.slice(1).map(Number) : null;
}

/** The 16 bytes of an IPv6 literal as the URL parser serialises it ("[fd00:ec2::254]": hex words, compressed). */
function ipv6(host: string): number[] | null {
  if (!host.startsWith('[') || !host.endsWith(']')) return null;
  const text = host.slice(1, -1);
  const words = (s: string) => (s === '' ? [] : s.split(':').map((x) => parseInt(x, 16)));
  const [head = '', rest] = text.split('::');
  const h = words(head);
  const r = rest === undefined ? [] : words(rest);
  const all = rest === undefined ? h : [...h, ...new Array<number>(Math.max(0, 8 - h.length - r.length)).fill(0), ...r];
  if (all.length !== 8 || all.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff)) return null;
  return all.flatMap((w) => [w >> 8, w & 0xff]);
}

/**
 * Why a webhook target is in a link-local or metadata range (a sentence end), or null. The host
 * is the URL parser's (so 0xA9FEA9FE and 2852039166 are already 169.254.169.254).
 */
export function privateTargetProblem(url: string): string | null {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return null;
  }
  const said = 'is a link-local or cloud metadata address; allow private targets for this policy to use it';
  if (METADATA_HOSTS.has(host)) return said;
  const v4 = ipv4(host);
  if (v4) return (v4[0] === 169 && v4[1] === 254) || METADATA_V4.has(host) ? said : null;
  const v6 = ipv6(host);
  if (!v6) return null;
  // fe80::/10 link-local.
  if (v6[0] === 0xfe && (v6[1]! & 0xc0) === 0x80) return said;
  // fd00:ec2::254, the AWS instance metadata service over IPv6.
  const ec2 = [0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54];
  if (ec2.every((b, i) => v6[i] === b)) return said;
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible forms of the v4 ranges.
  if (v6.slice(0, 10).every((b) => b === 0) && (v6[10] === 0xff || v6[10] === 0) && (v6[11] === 0xff || v6[11] === 0)) {
    const mapped = v6.slice(12).join('.');
    return privateTargetProblem(`http://${mapped}/`);
  }
  return null;
}

/**
 * The same rule for one address a host name resolved to (checked at delivery, where DNS may answer
 * something else than when the URL was saved): "169.254.169.254", "fd00:ec2::254", "fe80::1%eth0".
 */
export function addressTargetProblem(address: string): string | null {
  const ip = address.replace(/%.*$/, '');
  return privateTargetProblem(ip.includes(':') ? `http://[${ip}]/` : `http://${ip}/`);
}

/** The contract's webhook URL: refused with a sentence, or stored in its serialised form. */
export const WebhookUrlSchema = z
  .string()
  .max(2048)
  .superRefine((value, ctx) => {
    const problem = webhookUrlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform(normalizeWebhookUrl)
  .pipe(z.string().max(2048, 'must be at most 2048 characters'));
