// Retry timing for provider calls: full-jitter exponential backoff (AWS architecture blog), never
// shorter than what the provider asked for with Retry-After; sleeps end early on abort.

export interface BackoffOptions {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { maxAttempts: 4, baseMs: 250, capMs: 20_000 };

/** Delay before attempt `attempt + 1`, after `attempt` (1-based) failed. */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number, retryAfterMs?: number): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
