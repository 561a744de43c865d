// The app://console protocol: maps a request URL to a file under the renderer build folder
// (refusing anything that would leave it) and answers with the right type and a strict CSP.

import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { securityHeaders } from './csp';
import { mimeTypeFor } from './mime-types';

export const APP_SCHEME = 'app';
export const APP_HOST = 'console';
/** The origin the renderer runs at; a standard scheme, so pages get a real origin (not "null"). */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

export type ResolvedPath =
  | { ok: true; file: string }
  | { ok: false; status: 400 | 403 | 404; reason: string };

/**
 * Resolves `app://console/<path>` to a file inside `root`. `/` means index.html. Anything that is
 * not our host, cannot be decoded, holds a NUL, or resolves outside `root` (../, encoded
 * separators, absolute or drive paths) is refused.
 */
export function resolveAppPath(root: string, requestUrl: string): ResolvedPath {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { ok: false, status: 400, reason: 'Malformed URL' };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) {
    return { ok: false, status: 404, reason: `Unknown host ${url.host || '(none)'}` };
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return { ok: false, status: 400, reason: 'Malformed path encoding' };
  }
  if (pathname.includes('\0')) return { ok: false, status: 400, reason: 'NUL in path' };
  if (pathname === '' || pathname === '/') pathname = '/index.html';

  const rootAbs = resolve(root);
  // Strip leading separators so the path is always taken relative to the root.
  const relativePart = pathname.replace(/^[/\\]+/, '');
  if (isAbsolute(relativePart) || /^[a-zA-Z]:/.test(relativePart)) {
    return { ok: false, status: 403, reason: 'Absolute path refused' };
  }
  const file = resolve(rootAbs, relativePart);
  const rel = relative(rootAbs, file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    return { ok: false, status: 403, reason: 'Path outside the app folder refused' };
  }
  return { ok: true, file };
}

export interface AppProtocolOptions {
  /** Absolute path of the built renderer (out/renderer). */
  root: string;
}

function textResponse(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8' },
  });
}

/** Builds the handler given to `protocol.handle(APP_SCHEME, …)`. Never throws; errors are responses. */
export function createAppProtocolHandler(opts: AppProtocolOptions): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return textResponse(405, 'Method not allowed');
    }
    const resolved = resolveAppPath(opts.root, request.url);
    if (!resolved.ok) return textResponse(resolved.status, resolved.reason);
    try {
      const info = await stat(resolved.file);
      if (!info.isFile()) return textResponse(404, 'Not found');
      const body = request.method === 'HEAD' ? null : await readFile(resolved.file);
      return new Response(body, {
        status: 200,
        headers: {
          ...securityHeaders(),
          'Content-Type': mimeTypeFor(resolved.file),
          'Content-Length': String(info.size),
          'Cache-Control': 'no-cache',
        },
      });
    } catch {
      return textResponse(404, 'Not found');
    }
  };
}
