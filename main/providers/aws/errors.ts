// AWS SDK errors turned into ProviderFailure at the adapter's edge: the engine decides retries from
// the code, the operator reads a sentence that names what to do (sign in again, grant the action...).

import { ProviderFailure } from '../provider-failure';
import type { ErrorCode } from '../../../shared/errors';

export interface AwsErrorContext {
  /** The profile the credentials came from, so an expired SSO session names the login command. */
  profile?: string;
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
  'BandwidthLimitExceeded',
  'TransactionInProgressException',
]);

const AUTH = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'AuthFailure',
  'InvalidAccessKeyId',
  'InvalidToken',
  'TokenRefreshRequired',
  'RequestExpired',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'UnauthorizedException',
]);

const PERMISSION = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
  'AuthorizationError',
  'Forbidden',
  'AllAccessDisabled',
]);

const QUOTA = /LimitExceeded|QuotaExceeded|TooManyBuckets|MaxSpotInstanceCountExceeded|InsufficientAddressCapacity|SnapshotQuota|StorageQuota|InstanceQuota|ClusterQuota/;
const NOT_FOUND = /NotFound|NoSuch|^InvalidAMIID\.Unavailable$|^ResourceNotFoundException$|^InvalidGroup\.NotFound$/;
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
const UNAVAILABLE = new Set([
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'InternalServerErrorException',
  'InsufficientInstanceCapacity',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** The system error code of a network failure (ECONNREFUSED, ENOTFOUND...), looked up the cause chain. */
function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK.has(code) && code !== 'ECONNRESET' && code !== 'EPIPE') return code;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = networkCode(errors[0]);
      if (inner) return inner;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The SDK's HTTP handler gave up waiting: for a connection (connect) or for bytes on an open one. */
function httpTimeout(e: { name?: string }, message: string): { connect: boolean; seconds: string } | null {
  if (e.name !== 'TimeoutError' || !/node-http-handler/.test(message)) return null;
  const ms = Number(/(\d+) ms/.exec(message)?.[1] ?? NaN);
  const seconds = Number.isFinite(ms) ? String(Math.max(Math.round(ms / 100) / 10, 0.1)) : 'a few';
  return { connect: /establish a connection/.test(message), seconds };
}

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
  $response?: { headers?: Record<string, string | undefined> };
}

/** Strips what could be a secret from an SDK message: access keys, signatures, tokens, session material. */
export function sanitizeAwsMessage(message: string): string {
  return message
    .replace(/\b(A3T[A-Z0-9]|AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b/g, '<access-key-id>')
    .replace(/(X-Amz-(?:Signature|Security-Token|Credential)=)[^&\s"']+/gi, '$1<redacted>')
    .replace(/((?:Signature|Credential|SessionToken|secretAccessKey|aws_secret_access_key|sessionToken|Authorization)\s*[=:]\s*)[^,\s"']+/gi, '$1<redacted>')
    .replace(/\b[A-Za-z0-9/+]{40}\b/g, '<redacted>')
    .replace(/\b[A-Za-z0-9/+=]{100,}/g, '<redacted>')
    .slice(0, 600);
}

function codeOf(e: SdkErrorShape): string {
  return e.Code ?? (typeof e.code === 'string' && !NETWORK.has(e.code) ? e.code : undefined) ?? e.name ?? 'Error';
}

function retryAfterMs(e: SdkErrorShape): number {
  const header = e.$response?.headers?.['retry-after'];
  if (header !== undefined) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
    const at = Date.parse(header);
    if (Number.isFinite(at)) return Math.max(0, at - Date.now());
  }
  // AWS rarely says how long; a couple of seconds lets the engine's backoff take over from there.
  return 2000;
}

function ssoExpired(code: string, message: string): boolean {
  return (
    /sso/i.test(message) &&
    /expired|invalid|refresh|aws sso login|token/i.test(message)
  ) || (code === 'UnauthorizedException' && /sso|session/i.test(message));
}

function fail(code: ErrorCode, message: string, cause: unknown, retry?: number): ProviderFailure {
  return new ProviderFailure(code, message, retry === undefined ? { cause } : { cause, retryAfterMs: retry });
}

/**
 * Maps any error an AWS SDK call threw to a ProviderFailure. `action` is the IAM action of the call
 * ("ec2:RunInstances") so a denied call names exactly what to grant.
 */
export function mapAwsError(err: unknown, action: string, ctx: AwsErrorContext = {}): ProviderFailure {
  if (err instanceof ProviderFailure) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SdkErrorShape;
  const code = codeOf(e);
  const raw = sanitizeAwsMessage(e.message ?? code);
  const status = e.$metadata?.httpStatusCode;
  const profile = ctx.profile;

  if (code === 'AbortError' || e.name === 'AbortError') {
    return fail('Cancelled', `${action} was cancelled.`, err);
  }
  if (e.name === 'CredentialsProviderError' || e.name === 'TokenProviderError' || ssoExpired(code, raw)) {
    if (ssoExpired(code, raw) || /sso/i.test(raw)) {
      const who = profile ?? 'this account';
      return fail(
        'ProviderAuthFailed',
        profile
          ? `Your AWS SSO session for profile ${who} expired: run \`aws sso login --profile ${who}\`, then retry.`
          : `Your AWS SSO session expired: run \`aws sso login\` for the account's profile, then retry.`,
        err,
      );
    }
    return fail(
      'ProviderAuthFailed',
      `AWS credentials could not be loaded${profile ? ` for profile ${profile}` : ''}: ${raw}`,
      err,
    );
  }
  if (code === 'ExpiredToken' || code === 'ExpiredTokenException' || code === 'RequestExpired') {
    return fail(
      'ProviderAuthFailed',
      profile
        ? `The AWS session credentials of profile ${profile} expired (if it is an SSO profile run \`aws sso login --profile ${profile}\`), then retry.`
        : 'The AWS session token of this account expired: update the account with fresh credentials, then retry.',
      err,
    );
  }
  if (AUTH.has(code)) {
    return fail('ProviderAuthFailed', `AWS rejected the account's credentials (${code}): check the access key or profile, then retry.`, err);
  }
  if (THROTTLING.has(code) || e.$retryable?.throttling === true || status === 429) {
    return fail('ProviderThrottled', `AWS is throttling ${action} (${code}); the console will retry.`, err, retryAfterMs(e));
  }
  if (PERMISSION.has(code) || (status === 403 && !QUOTA.test(code))) {
    return fail(
      'ProviderPermissionDenied',
      `The AWS account is not allowed to call ${action}: grant "${action}" to the account's role or user, then retry. (${raw})`,
      err,
    );
  }
  if (QUOTA.test(code)) {
    return fail('ProviderQuotaExceeded', `An AWS quota stopped ${action} (${code}): ${raw} Raise the quota in Service Quotas or free capacity, then retry.`, err);
  }
  if (NOT_FOUND.test(code) || status === 404) {
    return fail('NotFound', `${action}: ${raw}`, err);
  }
  const silence = httpTimeout(e, raw);
  if (silence) {
    // Our own connect / silence timeouts (clients.ts): no answer is being offline, not a slow AWS.
    return fail(
      'ProviderOffline',
      silence.connect
        ? `AWS could not be reached for ${action} (no connection within ${silence.seconds} s): the console is offline for this account.`
        : `AWS did not answer ${action} within ${silence.seconds} s: the console is offline for this account.`,
      err,
    );
  }
  const sysCode = networkCode(err);
  if (sysCode !== undefined || /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|getaddrinfo/i.test(raw)) {
    // No answer at all (refused, no DNS, no route, timed out connecting): the console is offline for
    // this account. Retryable inside a job; fail-fast before one (core/connectivity.ts).
    return fail('ProviderOffline', `AWS could not be reached for ${action} (${sysCode ?? 'no connection'}): the console is offline for this account.`, err);
  }
  if (
    UNAVAILABLE.has(code) ||
    e.$fault === 'server' ||
    (status !== undefined && status >= 500) ||
    /socket hang up|ECONNRESET/i.test(raw)
  ) {
    return fail('ProviderUnavailable', `AWS did not answer ${action} (${code}); the console will retry.`, err);
  }
  return fail('ProviderError', `${action} failed (${code}): ${raw}`, err);
}
