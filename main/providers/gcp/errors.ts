// Google API errors turned into ProviderFailure at the adapter's edge. Three shapes reach us:
// - google-gax's GoogleError (@google-cloud/compute, /container over the REST fallback): a numeric
//   gRPC `code`, `details`, and the parsed google.rpc.ErrorInfo as `reason` / `domain` /
//   `errorInfoMetadata`;
// - gaxios's GaxiosError (@googleapis/*, google-auth-library, @google-cloud/storage): `status` and the
//   JSON body `{ error: { code, message, status, errors: [{ reason, domain }], details: [...] } }`, or
//   an OAuth body `{ error: 'invalid_grant', error_description }` from the token endpoint;
// - a network failure (ECONNREFUSED, ENOTFOUND...) anywhere in the cause chain.
// Each is read into one GoogleErrorFacts, and the sentence is chosen from the facts: an API that is
// not enabled names the API and the command that enables it, a denied call names the permission.

import { ProviderFailure } from '../provider-failure';
import type { ErrorCode } from '../../../shared/errors';

export interface GcpErrorContext {
  /** The project the call was for, so the enable command and the grant name it. */
  project?: string;
  /** Who made the call (service account e-mail or "your user"), for the grant sentence. */
  principal?: string;
}

/** gRPC status names by number (google.rpc.Code). */
const GRPC_STATUS: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
};

/** The status a bare HTTP code stands for (google.rpc's HTTP mapping). */
const HTTP_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** APIs the console calls, by service name, as the Cloud console titles them. */
export const GCP_API_TITLES: Readonly<Record<string, string>> = {
  'compute.googleapis.com': 'Compute Engine',
  'container.googleapis.com': 'Kubernetes Engine',
  'sqladmin.googleapis.com': 'Cloud SQL Admin',
  'iam.googleapis.com': 'Identity and Access Management (IAM)',
  'iamcredentials.googleapis.com': 'IAM Service Account Credentials',
  'storage.googleapis.com': 'Cloud Storage',
  'storage-api.googleapis.com': 'Cloud Storage JSON',
  'storagetransfer.googleapis.com': 'Storage Transfer',
  'cloudresourcemanager.googleapis.com': 'Cloud Resource Manager',
  'serviceusage.googleapis.com': 'Service Usage',
};

const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED', 'backendError429']);
const QUOTA_REASONS = new Set(['quotaExceeded', 'QUOTA_EXCEEDED', 'dailyLimitExceeded', 'limitExceeded', 'ZONE_RESOURCE_POOL_EXHAUSTED', 'RESOURCE_EXHAUSTED_QUOTA']);
const NOT_READY_REASONS = new Set(['resourceNotReady', 'resourceInUseByAnotherResource', 'operationInProgress', 'OPERATION_IN_PROGRESS']);
/** Reasons a message says when the client dropped the list they came in (google-gax over REST). */
const MESSAGE_REASONS: readonly [RegExp, string][] = [
  [/^Quota '[^']+' exceeded/, 'quotaExceeded'],
  [/^(User )?Rate Limit Exceeded/i, 'rateLimitExceeded'],
  // Compute's 403 rateLimitExceeded names the per-minute limit it hit (the reason itself is dropped).
  [/^Quota exceeded for quota metric '[^']+' and limit '[^']*per (minute|second)[^']*'/i, 'rateLimitExceeded'],
  [/^The resource '[^']+' is not ready/, 'resourceNotReady'],
  [/^The resource '[^']+' already exists/, 'alreadyExists'],
  [/^The resource '[^']+' is already being used by/, 'resourceInUseByAnotherResource'],
];
const NETWORK = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** What any of the shapes says, normalised. */
export interface GoogleErrorFacts {
  httpStatus?: number;
  /** google.rpc status name: PERMISSION_DENIED, RESOURCE_EXHAUSTED... */
  status?: string;
  /** ErrorInfo reasons and legacy `errors[].reason`s, in order. */
  reasons: string[];
  message: string;
  /** The API an ErrorInfo (or the legacy "API has not been used" text) names. */
  service?: string;
  activationUrl?: string;
  /** The IAM permission a denial names. */
  permission?: string;
  /** A quota's metric or name ("CPUS", "compute.googleapis.com/cpus"). */
  quota?: string;
  retryAfterMs?: number;
  /** An OAuth token endpoint error: invalid_grant, invalid_client... */
  oauthError?: string;
  network?: string;
  aborted?: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function parseBody(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

function readDetails(details: unknown, facts: GoogleErrorFacts): void {
  if (!Array.isArray(details)) return;
  for (const d of details) {
    if (!isObj(d)) continue;
    const type = str(d['@type']) ?? '';
    if (type.endsWith('google.rpc.ErrorInfo')) {
      const reason = str(d.reason);
      if (reason) facts.reasons.push(reason);
      const meta = isObj(d.metadata) ? d.metadata : {};
      facts.service ??= str(meta.service);
      facts.activationUrl ??= str(meta.activationUrl);
      facts.permission ??= str(meta.permission);
      facts.quota ??= str(meta.quota_metric) ?? str(meta.quota_limit);
    } else if (type.endsWith('google.rpc.RetryInfo')) {
      const delay = isObj(d.retryDelay) ? d.retryDelay : undefined;
      const s = Number(delay?.seconds ?? (typeof d.retryDelay === 'string' ? d.retryDelay.replace(/s$/, '') : NaN));
      if (Number.isFinite(s)) facts.retryAfterMs = Math.round(s * 1000);
    } else if (type.endsWith('google.rpc.QuotaFailure') && Array.isArray(d.violations)) {
      const v = d.violations.find(isObj);
      facts.quota ??= str(v?.subject) ?? str(v?.description);
    }
  }
}

function readBody(body: unknown, facts: GoogleErrorFacts): void {
  if (!isObj(body)) return;
  const e = body.error;
  if (typeof e === 'string') {
    // The OAuth token endpoint: { error: 'invalid_grant', error_description: '...' }.
    facts.oauthError = e;
    facts.message = str(body.error_description) ?? e;
    return;
  }
  if (!isObj(e)) return;
  if (typeof e.code === 'number') facts.httpStatus ??= e.code;
  facts.status ??= str(e.status);
  facts.message = str(e.message) ?? facts.message;
  if (Array.isArray(e.errors)) for (const x of e.errors) if (isObj(x) && str(x.reason)) facts.reasons.push(x.reason as string);
  readDetails(e.details, facts);
}

function retryAfterHeader(headers: unknown): number | undefined {
  let value: unknown;
  if (headers && typeof (headers as { get?: unknown }).get === 'function') value = (headers as { get(k: string): unknown }).get('retry-after');
  else if (isObj(headers)) value = headers['retry-after'] ?? headers['Retry-After'];
  const raw = str(typeof value === 'number' ? String(value) : value);
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(raw);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; isObj(e) || e instanceof Error; depth++) {
    if (depth > 5) break;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK.has(code)) return code;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors[0] instanceof Error) {
      const inner = networkCode(errors[0]);
      if (inner) return inner;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Reads any of the three shapes into facts (exported for tests and the conformance peer's checks). */
export function googleErrorFacts(err: unknown): GoogleErrorFacts {
  const e = (isObj(err) || err instanceof Error ? err : { message: String(err) }) as Obj;
  const facts: GoogleErrorFacts = { reasons: [], message: str(e.message) ?? 'Unknown error' };
  if (e.name === 'AbortError' || /aborted|cancelled/i.test(String(e.type ?? ''))) facts.aborted = true;

  // google-gax GoogleError.
  if (typeof e.code === 'number') {
    if (e.code >= 100) facts.httpStatus = e.code;
    else facts.status = GRPC_STATUS[e.code];
  }
  if (typeof e.httpStatusCode === 'number') facts.httpStatus = e.httpStatusCode;
  if (str(e.reason)) facts.reasons.push(e.reason as string);
  if (isObj(e.errorInfoMetadata)) {
    facts.service ??= str(e.errorInfoMetadata.service);
    facts.activationUrl ??= str(e.errorInfoMetadata.activationUrl);
    facts.permission ??= str(e.errorInfoMetadata.permission);
  }
  readDetails(e.statusDetails, facts);
  if (str(e.details) && facts.message === 'Unknown error') facts.message = e.details as string;

  // gaxios GaxiosError (and @google-cloud/storage's ApiError, which keeps `errors` and `response`).
  const response = isObj(e.response) ? e.response : undefined;
  if (response) {
    if (typeof response.status === 'number') facts.httpStatus ??= response.status;
    readBody(parseBody(response.data ?? response.body), facts);
    facts.retryAfterMs ??= retryAfterHeader(response.headers);
  }
  if (typeof e.status === 'number') facts.httpStatus ??= e.status;
  if (Array.isArray(e.errors)) for (const x of e.errors) if (isObj(x) && str(x.reason)) facts.reasons.push(x.reason as string);

  if (facts.httpStatus !== undefined) facts.status ??= HTTP_STATUS[facts.httpStatus];
  // The legacy form of a disabled API: "... API has not been used in project 123 before or it is disabled."
  if (!facts.service && /has not been used in project|it is disabled|SERVICE_DISABLED|accessNotConfigured/i.test(facts.message)) {
    facts.service = /\b([a-z0-9-]+\.googleapis\.com)\b/.exec(facts.message)?.[1];
  }
  facts.activationUrl ??= /(https:\/\/console\.(?:developers|cloud)\.google\.com\/apis\/[^\s"')]+)/.exec(facts.message)?.[1];
  // "Required 'compute.instances.create' permission for ..." / "Permission 'iam.serviceAccounts.create' denied on ..."
  facts.permission ??= /(?:Required|Permission) '([a-zA-Z]+\.[a-zA-Z]+\.[a-zA-Z.]+)'/.exec(facts.message)?.[1] ?? /permission "?([a-z]+\.[a-zA-Z]+\.[a-zA-Z]+)"?/i.exec(facts.message)?.[1];
  // "Quota 'CPUS' exceeded.  Limit: 24.0 in region us-central1."
  facts.quota ??= /Quota '([^']+)' exceeded/.exec(facts.message)?.[1];
  // google-gax keeps only the message of Compute Engine's legacy `errors[]` (no reason): read it there.
  for (const [pattern, reason] of MESSAGE_REASONS) if (pattern.test(facts.message) && !facts.reasons.includes(reason)) facts.reasons.push(reason);
  const net = networkCode(err);
  if (net) facts.network = net;
  return facts;
}

/** Strips what could be a secret from a message: tokens, private keys, signed URLs. */
export function sanitizeGoogleMessage(message: string): string {
  return message
    .replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '<private key>')
    .replace(/\bya29\.[\w.-]+/g, '<access-token>')
    .replace(/\b1\/\/[\w.-]{20,}/g, '<refresh-token>')
    .replace(/(Bearer\s+)[\w.~+/-]+=*/gi, '$1<redacted>')
    .replace(/([?&](?:X-Goog-Signature|X-Goog-Credential|access_token|key)=)[^&\s"']+/gi, '$1<redacted>')
    .replace(/\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]+/g, '<jwt>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 600);
}

function fail(code: ErrorCode, message: string, cause: unknown, retry?: number): ProviderFailure {
  return new ProviderFailure(code, message, retry === undefined ? { cause } : { cause, retryAfterMs: retry });
}

const projectOf = (ctx: GcpErrorContext) => ctx.project ?? 'the project';

/** The command that enables an API, for the sentence. */
export function enableCommand(service: string, project: string | undefined): string {
  return `gcloud services enable ${service}${project ? ` --project ${project}` : ''}`;
}

/**
 * Maps any error a Google client threw to a ProviderFailure. `action` is the API method of the call
 * ("compute.instances.insert", "sqladmin.instances.promoteReplica") so the sentence says what failed.
 */
export function mapGcpError(err: unknown, action: string, ctx: GcpErrorContext = {}): ProviderFailure {
  if (err instanceof ProviderFailure) return err;
  const f = googleErrorFacts(err);
  const raw = sanitizeGoogleMessage(f.message);
  const reasons = new Set(f.reasons);
  const has = (set: ReadonlySet<string>) => f.reasons.some((r) => set.has(r));
  const project = projectOf(ctx);

  if (f.aborted || f.status === 'CANCELLED') return fail('Cancelled', `${action} was cancelled.`, err);

  if (reasons.has('SERVICE_DISABLED') || reasons.has('accessNotConfigured') || (f.service && /has not been used|disabled/i.test(f.message))) {
    const service = f.service ?? `${action.split('.')[0]}.googleapis.com`;
    const title = GCP_API_TITLES[service] ?? service;
    return fail(
      'PreconditionFailed',
      `The ${title} API (${service}) is not enabled in ${ctx.project ? `project ${ctx.project}` : 'the project'}: enable it with \`${enableCommand(service, ctx.project)}\`${f.activationUrl ? ` or at ${f.activationUrl}` : ''}, wait a minute for it to take effect, then retry.`,
      err,
    );
  }
  if (f.oauthError) {
    if (f.oauthError === 'invalid_grant' && /rapt|reauth|expired|revoked/i.test(raw)) {
      return fail('ProviderAuthFailed', `Your Google sign-in expired or was revoked (${raw}): run \`gcloud auth application-default login\`, then retry.`, err);
    }
    return fail('ProviderAuthFailed', `Google refused the account's credentials (${f.oauthError}: ${raw}): check the service-account key (it may have been deleted or disabled), then retry.`, err);
  }
  if (f.status === 'UNAUTHENTICATED' || reasons.has('authError') || reasons.has('ACCESS_TOKEN_EXPIRED') || reasons.has('CREDENTIALS_MISSING')) {
    return fail('ProviderAuthFailed', `Google did not accept the account's credentials for ${action} (${raw}): check the key or sign in again with \`gcloud auth application-default login\`, then retry.`, err);
  }
  if (has(RATE_REASONS)) {
    return fail('ProviderThrottled', `Google is rate-limiting ${action} in ${project} (${[...reasons].find((r) => RATE_REASONS.has(r))}); the console will retry.`, err, f.retryAfterMs ?? 5_000);
  }
  if (has(QUOTA_REASONS) || (f.status === 'RESOURCE_EXHAUSTED' && f.quota && !/per minute|rate/i.test(f.message))) {
    return fail(
      'ProviderQuotaExceeded',
      `A Google Cloud quota stopped ${action}${f.quota ? ` (${f.quota})` : ''}: ${raw} Request more quota for ${project} (IAM & Admin > Quotas) or free capacity, then retry.`,
      err,
    );
  }
  if (f.status === 'RESOURCE_EXHAUSTED') {
    // RESOURCE_EXHAUSTED without a quota named is the per-minute request quota: wait and retry.
    return fail('ProviderThrottled', `Google answered RESOURCE_EXHAUSTED to ${action} in ${project} (requests per minute); the console will retry.`, err, f.retryAfterMs ?? 10_000);
  }
  if (f.status === 'PERMISSION_DENIED' || reasons.has('forbidden') || reasons.has('IAM_PERMISSION_DENIED') || reasons.has('insufficientPermissions')) {
    const who = ctx.principal ?? "the account's principal";
    const what = f.permission ? `"${f.permission}"` : `the permission ${action} needs`;
    return fail(
      'ProviderPermissionDenied',
      `${who} is not allowed to call ${action}: grant it a role with ${what} on ${ctx.project ? `project ${ctx.project}` : 'the project'}, then retry. (${raw})`,
      err,
    );
  }
  if (f.status === 'ALREADY_EXISTS' || reasons.has('alreadyExists') || reasons.has('conflict')) {
    return fail('Conflict', `${action}: ${raw}`, err);
  }
  if (has(NOT_READY_REASONS) || f.status === 'ABORTED') {
    return fail('ProviderUnavailable', `${action}: another operation on the resource is still running (${raw}); the console will retry.`, err, f.retryAfterMs ?? 5_000);
  }
  if (f.status === 'NOT_FOUND' || reasons.has('notFound')) return fail('NotFound', `${action}: ${raw}`, err);
  if (f.network) {
    return fail('ProviderOffline', `Google Cloud could not be reached for ${action} (${f.network}): the console is offline for this account.`, err);
  }
  if (f.status === 'DEADLINE_EXCEEDED' && f.httpStatus === undefined) {
    return fail('ProviderOffline', `Google Cloud did not answer ${action} in time: the console is offline for this account.`, err);
  }
  if (f.status === 'UNAVAILABLE' || f.status === 'INTERNAL' || f.status === 'DEADLINE_EXCEEDED' || (f.httpStatus !== undefined && f.httpStatus >= 500) || reasons.has('backendError')) {
    return fail('ProviderUnavailable', `Google Cloud did not complete ${action} (${f.status ?? f.httpStatus}); the console will retry.`, err, f.retryAfterMs);
  }
  if (f.status === 'INVALID_ARGUMENT' || f.status === 'FAILED_PRECONDITION' || f.status === 'OUT_OF_RANGE') {
    return fail('ProviderError', `Google Cloud refused ${action} (${f.status}): ${raw}`, err);
  }
  return fail('ProviderError', `${action} failed${f.status ? ` (${f.status})` : ''}: ${raw}`, err);
}
