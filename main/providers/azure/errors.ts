// ARM, MSAL and network errors turned into ProviderFailure at the adapter's edge: the engine decides
// retries from the code, the operator reads a sentence that names what to do (consent, the missing
// role action, the quota, the resource group). No secret reaches a sentence (sanitizeArmMessage).

import type { ErrorCode } from '../../../shared/errors';
import { ProviderFailure } from '../provider-failure';
import { SignInRequired } from './credential';

export interface ArmErrorContext {
  /** Strings that must never appear in a sentence (the account's client secret, say). */
  secrets?: readonly string[];
}

/** The shape of a RestError (@azure/core-rest-pipeline) and of the errors MSAL throws, as far as we read them. */
interface ErrorShape {
  name?: string;
  code?: unknown;
  statusCode?: number;
  message?: string;
  errorCode?: string;
  errorMessage?: string;
  response?: { headers?: { get?(name: string): string | undefined } | Record<string, string | undefined>; bodyAsText?: string | null };
  details?: unknown;
  cause?: unknown;
}

const NETWORK = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);
const THROTTLED = new Set(['TooManyRequests', 'SubscriptionRequestsThrottled', 'ResourceRequestsThrottled', 'TenantRequestsThrottled', 'RetryableError', 'Throttled']);
const AUTH = new Set([
  'AuthenticationFailed',
  'InvalidAuthenticationToken',
  'InvalidAuthenticationTokenTenant',
  'ExpiredAuthenticationToken',
  'InvalidAuthenticationTokenAudience',
  'AuthenticationFailedMissingToken',
  'InvalidAuthenticationTokenSignature',
]);
const PERMISSION = new Set(['AuthorizationFailed', 'LinkedAuthorizationFailed', 'LinkedAccessCheckFailed', 'Forbidden', 'RequestDisallowedByPolicy']);
const QUOTA_CODES = new Set(['QuotaExceeded', 'OperationNotAllowedQuota', 'SkuNotAvailable', 'ZonalAllocationFailed', 'AllocationFailed', 'OverconstrainedAllocationRequest', 'MaxStorageAccountsCountPerSubscriptionExceeded']);
const NOT_FOUND = new Set(['ResourceNotFound', 'NotFound', 'ParentResourceNotFound', 'ResourceGroupNotFound']);
const UNAVAILABLE = new Set(['InternalServerError', 'ServiceUnavailable', 'GatewayTimeout', 'InternalOperationError', 'RetryableErrorDueToAnotherOperation', 'TimeoutError']);

/**
 * Strips what could be a secret from a message: bearer tokens and JWTs, client secrets and
 * assertions, storage keys and SAS signatures, passwords in bodies, and the account's own secrets.
 */
export function sanitizeArmMessage(message: string, secrets: readonly string[] = []): string {
  let out = message;
  for (const s of secrets) if (s) out = out.split(s).join('<redacted>');
  return out
    .replace(/\bBearer\s+[\w\-.~+/]+=*/gi, 'Bearer <redacted>')
    .replace(/\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g, '<token>')
    .replace(/((?:client_secret|client_assertion|refresh_token|access_token|password|adminPassword|administratorLoginPassword|AccountKey|SharedAccessSignature|sig|key\d?)\s*["']?\s*[=:]\s*["']?)[^"'&;,\s]+/gi, '$1<redacted>')
    .replace(/\b[A-Za-z0-9+/]{86}==/g, '<redacted>')
    .slice(0, 600);
}

function header(e: ErrorShape, name: string): string | undefined {
  const h = e.response?.headers;
  if (!h) return undefined;
  if (typeof (h as { get?: unknown }).get === 'function') return (h as { get(n: string): string | undefined }).get(name) ?? undefined;
  return (h as Record<string, string | undefined>)[name];
}

/** Retry-After (seconds or an HTTP date) or x-ms-retry-after-ms, in ms; ARM's throttles always send one. */
export function retryAfterMs(e: ErrorShape, fallbackMs = 5_000): number {
  const ms = header(e, 'x-ms-retry-after-ms');
  if (ms !== undefined && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const h = header(e, 'retry-after');
  if (h !== undefined) {
    const seconds = Number(h);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
    const at = Date.parse(h);
    if (Number.isFinite(at)) return Math.max(0, at - Date.now());
  }
  return fallbackMs;
}

/** The ARM error code and message: the RestError's own, its body's, or a failed long-running operation's text. */
export function armCodeOf(e: ErrorShape): { code: string; message: string } {
  const message = e.message ?? '';
  // A failed long-running operation rejects with a plain Error: "The long-running operation has
  // failed. <code>. <message>" (test/peers/azure-arm/NOTES.md), so the code is read from the text.
  const lro = /^The long-running operation has failed\.?\s*(?:([A-Za-z][\w.]*)\.\s+)?([\s\S]*)$/.exec(message);
  if (lro && typeof e.code !== 'string') return { code: lro[1] ?? 'OperationFailed', message: lro[2] || message };
  if (typeof e.code === 'string' && e.code !== '' && !/^REQUEST_SEND_ERROR$/.test(e.code) && !NETWORK.has(e.code)) {
    return { code: e.code, message };
  }
  const body = bodyError(e);
  if (body) return body;
  return { code: e.name && e.name !== 'Error' && e.name !== 'RestError' ? e.name : 'Error', message };
}

function bodyError(e: ErrorShape): { code: string; message: string } | undefined {
  const candidates: unknown[] = [e.details];
  const text = e.response?.bodyAsText;
  if (text) {
    try {
      candidates.push(JSON.parse(text));
    } catch {
      /* not JSON */
    }
  }
  for (const c of candidates) {
    const err = (c as { error?: { code?: unknown; message?: unknown } } | undefined)?.error ?? (c as { code?: unknown; message?: unknown } | undefined);
    if (err && typeof err.code === 'string') return { code: err.code, message: typeof err.message === 'string' ? err.message : '' };
  }
  return undefined;
}

/** An AADSTS code anywhere on the error or its causes (MSAL's ServerError, wrapped by the bearer policy). */
function aadsts(err: unknown): { code: string; text: string } | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 6; depth++) {
    const s = e as ErrorShape;
    const text = `${s.errorMessage ?? ''} ${s.message ?? ''}`;
    const m = /AADSTS(\d+)/.exec(text);
    if (m) return { code: m[1]!, text };
    e = s.cause;
  }
  return undefined;
}

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 6; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK.has(code)) return code;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = networkCode(errors[0]);
      if (inner) return inner;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function fail(code: ErrorCode, message: string, cause: unknown, retry?: number): ProviderFailure {
  return new ProviderFailure(code, message, retry === undefined ? { cause } : { cause, retryAfterMs: retry });
}

/** "perform action 'X' over scope 'Y'": the action and scope AuthorizationFailed names. */
function deniedAction(message: string): { action?: string; scope?: string } {
  const action = /action '([^']+)'/.exec(message)?.[1];
  const scope = /scope '([^']+)'/.exec(message)?.[1];
  return { ...(action ? { action } : {}), ...(scope ? { scope } : {}) };
}

/**
 * Maps any error an ARM client (or the MSAL credential under it) threw to a ProviderFailure. `action`
 * is the RBAC action of the call ("Microsoft.Compute/virtualMachines/write") so a denied call names
 * exactly what to grant.
 */
export function mapArmError(err: unknown, action: string, ctx: ArmErrorContext = {}): ProviderFailure {
  if (err instanceof ProviderFailure) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as ErrorShape;
  const clean = (s: string) => sanitizeArmMessage(s, ctx.secrets);
  if (e.name === 'AbortError' || (e as { type?: string }).type === 'aborted') return fail('Cancelled', `${action} was cancelled.`, err);

  if (err instanceof SignInRequired) return fail('ProviderAuthFailed', `${err.message} Sign in to the account again, then retry.`, err);
  const aad = aadsts(err);
  if (aad) {
    switch (aad.code) {
      case '65001':
        return fail('ProviderAuthFailed', 'Consent is required: an administrator of the tenant must grant the application consent to Azure Service Management (AADSTS65001), then retry.', err);
      case '7000215':
      case '7000222':
        return fail('ProviderAuthFailed', "Entra ID rejected the service principal's client secret (invalid or expired): create a new secret, update the account, then retry.", err);
      case '700016':
        return fail('ProviderAuthFailed', 'The application (client) id was not found in the tenant (AADSTS700016): check the client id and tenant id of the account.', err);
      case '90002':
      case '90023':
        return fail('ProviderAuthFailed', 'The tenant was not found (AADSTS' + aad.code + '): check the tenant id of the account.', err);
      case '50076':
      case '50079':
      case '50173':
      case '70043':
      case '700082':
        return fail('ProviderAuthFailed', `Entra ID needs you to sign in again for this account (AADSTS${aad.code}): sign in, then retry.`, err);
      default:
        return fail('ProviderAuthFailed', `Entra ID refused the sign-in (AADSTS${aad.code}): ${clean(aad.text.trim())}`, err);
    }
  }

  const { code, message: rawMessage } = armCodeOf(e);
  const raw = clean(rawMessage);
  const status = e.statusCode;

  if (code === 'AnotherOperationInProgress' || code === 'OperationPreempted' || code === 'RetryableErrorDueToAnotherOperation') {
    // Transient by definition: ARM is busy with another change to the same resource.
    return fail('ProviderThrottled', `Azure is still busy with another operation on this resource (${code}) during ${action}; the console will retry.`, err, retryAfterMs(e, 10_000));
  }
  if (THROTTLED.has(code) || status === 429) {
    return fail('ProviderThrottled', `Azure Resource Manager is throttling ${action} (${code}); the console will retry when it says.`, err, retryAfterMs(e));
  }
  if (AUTH.has(code) || status === 401) {
    return fail('ProviderAuthFailed', `Azure rejected the account's sign-in for ${action} (${code}): check the account's tenant, client id and secret, or sign in again, then retry.`, err);
  }
  if (PERMISSION.has(code) || (status === 403 && !/quota/i.test(raw))) {
    const denied = deniedAction(raw);
    const what = denied.action ?? action;
    if (code === 'RequestDisallowedByPolicy') {
      return fail('ProviderPermissionDenied', `An Azure Policy assignment disallows ${what}: ${raw}`, err);
    }
    return fail(
      'ProviderPermissionDenied',
      `The account has no role assignment allowing "${what}"${denied.scope ? ` on ${denied.scope}` : ''}: assign it a role that includes this action (for example Contributor on the resource group), wait a few minutes for it to apply, then retry.`,
      err,
    );
  }
  if (QUOTA_CODES.has(code) || (code === 'OperationNotAllowed' && /quota|limit/i.test(raw))) {
    return fail('ProviderQuotaExceeded', `An Azure quota or capacity limit stopped ${action} (${code}): ${raw} Request a quota increase for the subscription and region (or pick another size), then retry.`, err);
  }
  if (code === 'SubscriptionNotFound' || code === 'InvalidSubscriptionId' || code === 'SubscriptionNotRegistered') {
    return fail('PreconditionFailed', `The subscription was not found or the account cannot see it (${code}): check the environment's subscription id and that the account has a role in it.`, err);
  }
  if (code === 'MissingSubscriptionRegistration') {
    return fail('PreconditionFailed', `The subscription is not registered for a resource provider ${action} needs: ${raw} Register it (az provider register), then retry.`, err);
  }
  if (code === 'ResourceGroupNotFound') {
    const rg = /Resource group '([^']+)'/.exec(raw)?.[1];
    return fail('NotFound', `The resource group${rg ? ` ${rg}` : ''} does not exist: create it in the subscription or fix the environment's resource group, then retry.`, err);
  }
  if (NOT_FOUND.has(code) || status === 404) return fail('NotFound', `${action}: ${raw}`, err);
  if (code === 'Conflict' || status === 409) {
    return fail('Conflict', `Azure refused ${action} because of a conflict (${code}): ${raw}`, err);
  }

  const sys = networkCode(err);
  if (e.code === 'REQUEST_SEND_ERROR' || sys !== undefined) {
    if (sys === 'ECONNRESET' || sys === 'EPIPE') return fail('ProviderUnavailable', `The connection to Azure dropped during ${action}; the console will retry.`, err);
    return fail('ProviderOffline', `Azure could not be reached for ${action} (${sys ?? 'no connection'}): the console is offline for this account.`, err);
  }
  if (UNAVAILABLE.has(code) || (status !== undefined && status >= 500)) {
    return fail('ProviderUnavailable', `Azure did not complete ${action} (${code}); the console will retry.`, err);
  }
  return fail('ProviderError', `${action} failed (${code}): ${raw}`, err);
}
