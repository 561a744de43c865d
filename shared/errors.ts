// Error codes that cross the IPC boundary, and the shape of an error as data.
// The core throws DomainError (main/core/errors.ts); the router maps every failure to one of these.

export const ERROR_CODES = [
  'ValidationFailed',
  'PreconditionFailed',
  'NotFound',
  'Conflict',
  'ProviderAuthFailed',
  'ProviderPermissionDenied',
  'ProviderThrottled',
  'ProviderQuotaExceeded',
  'ProviderUnavailable',
  /** The network to the provider is down (connection refused, DNS, timeout): the console is offline. */
  'ProviderOffline',
  'ProviderError',
  'CredentialStoreUnavailable',
  /** The data file cannot be written (disk full, I/O error, read-only): the console is read-only. */
  'StorageUnavailable',
  'Forbidden',
  'Cancelled',
  'Internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface DrErrorData {
  code: ErrorCode;
  /** A sentence an operator can act on. */
  message: string;
  /** Field-level problems for ValidationFailed, or provider detail; never secrets. */
  details?: { path?: string; message: string }[];
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: DrErrorData };

/** Codes that mean a region does not answer (not a refusal): a lost source region is said, not failed on. */
export const UNREACHABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['ProviderUnavailable', 'ProviderOffline']);

/** Codes worth retrying automatically (with backoff) when a provider step fails. */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ProviderThrottled',
  'ProviderUnavailable',
  'ProviderOffline',
]);
