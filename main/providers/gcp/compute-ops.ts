// Compute Engine mutations as the journal of operations wants them (issue 9): every insert/delete
// carries a requestId derived from the step's idempotency key and the op key (committed in the
// intent), so a call repeated after a crash or a retry is deduplicated by Compute (it answers the
// same operation for the same requestId); the operation's name is journaled as the handle as soon as
// Compute answers, and awaited through the zone / region / global operations API (`wait`). On
// resume, a journaled operation is polled instead of calling again. The Compute client does not
// retry on its own: a retryable failure is retried here with the same requestId.

import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { protos } from '@google-cloud/compute';
import { ProviderFailure } from '../provider-failure';
import type { EnvRef, StepContext } from '../types';
import type { GcpAccountClients, GcpContext } from './clients';

export type ComputeOperation = protos.google.cloud.compute.v1.IOperation;
/** Where an operation lives: a zone, a region, or global (snapshots, networks). */
export type OpScope = { zone: string } | { region: string } | { global: true };

/** Attempts of one mutation when Google answers a retryable failure (rate limit, unavailable). */
const MAX_ATTEMPTS = 5;

/** A UUID (version 4 layout) from the step's idempotency key and the op key: the same on every attempt. */
export function requestIdFor(idempotencyKey: string, opKey: string): string {
  const h = createHash('sha256').update(`${idempotencyKey}\u0000${opKey}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Rejects with Cancelled when the signal aborts first (GAPIC calls take no signal of their own). */
export function raced<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  const cancelled = () => new ProviderFailure('Cancelled', 'The Google Cloud call was cancelled.');
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(cancelled());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** One account's Compute calls for a step: the clients, the project, the rate families. */
export class ComputeScope {
  constructor(
    readonly gcp: GcpContext,
    readonly env: EnvRef,
    readonly c: GcpAccountClients,
    readonly project: string,
  ) {}

  /** A read (get/list/wait) through ctx.read under gcp.compute.read, mapped to ProviderFailure. */
  read<T>(ctx: { read: StepContext['read'] }, action: string, fn: () => Promise<T>): Promise<T> {
    return ctx.read('gcp.compute.read', (signal) => this.gcp.call(this.env.account, action, this.project, () => raced(fn(), signal)));
  }

  /** A get that answers undefined for NOT_FOUND. */
  async lookup<T>(ctx: { read: StepContext['read'] }, action: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.read(ctx, action, fn);
    } catch (err) {
      if (err instanceof ProviderFailure && err.code === 'NotFound') return undefined;
      throw err;
    }
  }

  /** Awaits an operation to DONE through the operations API's `wait`; an operation that failed throws. */
  async wait(ctx: StepContext, scope: OpScope, operation: string, what: string): Promise<ComputeOperation> {
    const pollMs = this.gcp.opts.pollIntervalMs ?? 1_000;
    for (;;) {
      const [op] = await this.read(ctx, `compute.${'zone' in scope ? 'zone' : 'region' in scope ? 'region' : 'global'}Operations.wait`, () =>
        'zone' in scope
          ? this.c.zoneOperations.wait({ project: this.project, zone: scope.zone, operation })
          : 'region' in scope
            ? this.c.regionOperations.wait({ project: this.project, region: scope.region, operation })
            : this.c.globalOperations.wait({ project: this.project, operation }),
      );
      if (String(op.status) === 'DONE') {
        const errors = op.error?.errors ?? [];
        if (errors.length > 0) throw operationFailure(errors, what);
        return op;
      }
      // `wait` returns when the operation is done or after about two minutes: ask again.
      ctx.progress(`Waiting for ${what} (${String(op.status ?? 'PENDING').toLowerCase()})`);
      await sleep(pollMs, undefined, { signal: ctx.signal }).catch(() => {
        throw new ProviderFailure('Cancelled', `Waiting for ${what} was cancelled.`);
      });
    }
  }

  /**
   * One Compute mutation through ctx.mutate: `start(requestId)` makes the call and answers Compute's
   * Operation. `absentOk`: NOT_FOUND means done (a delete of what is gone).
   */
  async mutate(
    ctx: StepContext,
    opKey: string,
    spec: { action: string; scope: OpScope; what: string; intent: Record<string, unknown>; absentOk?: boolean; start: (requestId: string) => Promise<ComputeOperation> },
  ): Promise<{ operation: string | null; targetLink: string | null; targetId: string | null }> {
    const requestId = requestIdFor(ctx.idempotencyKey, opKey);
    const done = (op: ComputeOperation) => ({ operation: op.name ?? null, targetLink: op.targetLink ?? null, targetId: op.targetId == null ? null : String(op.targetId) });
    return ctx.mutate(opKey, {
      family: 'gcp.compute.write',
      intent: { ...spec.intent, action: spec.action, project: this.project, requestId },
      // The call went out and Compute answered with an operation: poll it instead of calling again.
      // Without a handle the call is repeated with the same requestId, which Compute deduplicates.
      resume: async (previous) => {
        const name = previous.handle?.operation;
        if (typeof name !== 'string') return undefined;
        try {
          return done(await this.wait(ctx, spec.scope, name, spec.what));
        } catch (err) {
          if (spec.absentOk && err instanceof ProviderFailure && err.code === 'NotFound') return { operation: name, targetLink: null, targetId: null };
          throw err;
        }
      },
      call: async (signal, journal) => {
        for (let attempt = 1; ; attempt++) {
          let started: ComputeOperation;
          try {
            started = await this.gcp.call(this.env.account, spec.action, this.project, () => raced(spec.start(requestId), signal));
          } catch (err) {
            if (spec.absentOk && err instanceof ProviderFailure && err.code === 'NotFound') return { operation: null, targetLink: null, targetId: null };
            if (err instanceof ProviderFailure && err.retryable && attempt < MAX_ATTEMPTS && !signal.aborted) {
              const delay = this.gcp.opts.retryDelayMs ?? Math.min(err.retryAfterMs ?? 2_000, 30_000);
              ctx.progress(`${spec.action} was refused for now (${err.code}); retrying with the same request id`);
              await sleep(delay, undefined, { signal }).catch(() => {
                throw new ProviderFailure('Cancelled', `${spec.action} was cancelled.`);
              });
              continue;
            }
            throw err;
          }
          if (!started.name) throw new ProviderFailure('ProviderError', `Google Cloud accepted ${spec.action} but named no operation.`);
          await journal.handle({ operation: started.name, scope: spec.scope });
          return done(await this.wait(ctx, spec.scope, started.name, spec.what));
        }
      },
    });
  }
}

/** An operation that ended with errors, as a ProviderFailure with Compute's own codes and messages. */
function operationFailure(errors: protos.google.cloud.compute.v1.IErrors[], what: string): ProviderFailure {
  const codes = errors.map((e) => e.code ?? 'UNKNOWN');
  const text = errors.map((e) => `${e.code ?? 'UNKNOWN'}: ${e.message ?? ''}`.trim()).join('; ').slice(0, 400);
  const has = (re: RegExp) => codes.some((c) => re.test(c));
  if (has(/QUOTA|RESOURCE_POOL_EXHAUSTED|STOCKOUT/)) return new ProviderFailure('ProviderQuotaExceeded', `${what} failed for lack of quota or capacity (${text}); free some or choose another zone, then retry.`);
  if (has(/RATE_LIMIT/)) return new ProviderFailure('ProviderThrottled', `${what} was rate-limited by Google Cloud (${text}); the console will retry.`, { retryAfterMs: 5_000 });
  if (has(/NOT_FOUND/)) return new ProviderFailure('NotFound', `${what} failed: ${text}.`);
  if (has(/ALREADY_EXISTS/)) return new ProviderFailure('Conflict', `${what} failed: ${text}.`);
  if (has(/PERMISSION|FORBIDDEN/)) return new ProviderFailure('ProviderPermissionDenied', `${what} was denied: ${text}.`);
  return new ProviderFailure('ProviderError', `${what} failed: ${text}.`);
}

/** Compute's name rule: lower-case letters, digits and hyphens, starting with a letter, at most 63. */
export function computeName(...parts: string[]): string {
  const raw = parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '');
  const name = (raw || 'dr').slice(0, 63).replace(/-+$/, '');
  return name || 'dr';
}

/** A short deterministic suffix for a step (names must be the same on every attempt). */
export function stepSuffix(ctx: Pick<StepContext, 'idempotencyKey'>, purpose: string, length = 10): string {
  return createHash('sha256').update(`${ctx.idempotencyKey}\u0000${purpose}`).digest('hex').slice(0, length);
}
