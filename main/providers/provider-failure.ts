// The one error type provider adapters throw. Adapters convert SDK errors into it at the edge, so
// the engine can decide on retries and the UI can show a sentence a person can act on.

import type { ErrorCode } from '../../shared/errors';

export class ProviderFailure extends Error {
  readonly code: ErrorCode;
  /** Milliseconds the provider asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, opts: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ProviderFailure';
    this.code = code;
    this.retryAfterMs = opts.retryAfterMs;
  }

  get retryable(): boolean {
    return this.code === 'ProviderThrottled' || this.code === 'ProviderUnavailable' || this.code === 'ProviderOffline';
  }
}
