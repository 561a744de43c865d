// How the Cloud Storage and Cloud SQL handlers reach Google inside a step: every read through
// ctx.read and every change through ctx.mutate (intent journaled before the call), errors mapped by
// mapGcpError, the step's abort signal honoured even by clients that take none (GAPIC, Storage).
// Also the deterministic names and the `dr-*` labels of what the handlers create.

import { createHash } from 'node:crypto';
import { ProviderFailure } from '../provider-failure';
import type { ApiFamily, EnvRef, MutateSpec, OperationRecord, StepContext } from '../types';
import type { GcpAccountClients, GcpContext } from './clients';

/** A step context, or discovery's (a signal only: no rate gate to take tokens from). */
export interface GcpCallContext {
  signal: AbortSignal;
  read?: StepContext['read'];
}

/** Rejects with Cancelled as soon as the signal aborts, for calls that take no signal of their own. */
export function withSignal<T>(p: Promise<T>, signal: AbortSignal, action: string): Promise<T> {
  const cancelled = () => new ProviderFailure('Cancelled', `${action} was cancelled.`);
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
        reject(e instanceof Error ? e : Object.assign(new Error('Google call failed'), e));
      },
    );
  });
}

/** The project an environment lives in: its scope's, else the credentials'. */
export function projectOf(env: EnvRef, clients: GcpAccountClients): string {
  const p = env.scope.cloud === 'gcp' ? env.scope.projectId : null;
  const project = p ?? clients.project;
  if (!project) {
    throw new ProviderFailure('PreconditionFailed', `The environment of account "${env.account.name}" names no Google Cloud project and its credentials do not either: set the project on the environment.`);
  }
  return project;
}

export interface GcpMutation<T> {
  family: ApiFamily;
  /** The API method ("storage.buckets.insert"): in the intent and in every error sentence. */
  action: string;
  intent?: Record<string, unknown>;
  resume?(previous: OperationRecord, signal: AbortSignal): Promise<T | undefined>;
  call(signal: AbortSignal, op: { handle(h: Record<string, unknown>): Promise<void> }): Promise<T>;
  /** A NOT_FOUND answer means done (a delete of something already gone): resolves to null. */
  absentOk?: boolean;
}

/** The per-handler view of GcpContext: reads, lookups and mutations of one environment. */
export class GcpCalls {
  constructor(readonly gcp: GcpContext) {}

  clients(env: EnvRef): Promise<GcpAccountClients> {
    return this.gcp.clients(env.account);
  }

  async read<T>(ctx: GcpCallContext, env: EnvRef, family: ApiFamily, action: string, run: (c: GcpAccountClients, project: string, signal: AbortSignal) => Promise<T>): Promise<T> {
    const c = await withSignal(this.clients(env), ctx.signal, action);
    const project = projectOf(env, c);
    const once = (signal: AbortSignal) => this.gcp.call(env.account, action, project, () => withSignal(run(c, project, signal), signal, action));
    return ctx.read ? ctx.read(family, once) : once(ctx.signal);
  }

  /** A read whose NOT_FOUND answer is `undefined`. */
  async lookup<T>(ctx: GcpCallContext, env: EnvRef, family: ApiFamily, action: string, run: (c: GcpAccountClients, project: string, signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    try {
      return await this.read(ctx, env, family, action, run);
    } catch (err) {
      if (err instanceof ProviderFailure && err.code === 'NotFound') return undefined;
      throw err;
    }
  }

  async mutate<T>(ctx: StepContext, env: EnvRef, opKey: string, m: GcpMutation<T>): Promise<T> {
    const c = await withSignal(this.clients(env), ctx.signal, m.action);
    const project = projectOf(env, c);
    const spec: MutateSpec<T> = {
      family: m.family,
      intent: { action: m.action, project, region: env.region, ...(m.intent ?? {}) },
      ...(m.resume ? { resume: m.resume } : {}),
      call: async (signal, op) => {
        try {
          return await this.gcp.call(env.account, m.action, project, () => withSignal(m.call(signal, op), signal, m.action));
        } catch (err) {
          if (m.absentOk && err instanceof ProviderFailure && err.code === 'NotFound') return null as T;
          throw err;
        }
      },
    };
    return ctx.mutate(opKey, spec);
  }
}

// ---------------------------------------------------------------------------------------------
// Names and labels

export function hashHex(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** Lowercase letters, digits and hyphens, at most `max` characters, never empty. */
export function slug(s: string, max: number): string {
  const cleaned = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return cleaned.slice(0, max).replace(/-$/, '') || 'r';
}

/** A label value: at most 63 of lowercase letters, digits, `_` and `-` (Google's label rules). */
export function labelValue(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_-]/g, '_').slice(0, 63);
}

export const DR_LABEL = {
  policy: 'dr-policy',
  job: 'dr-job',
  role: 'dr-role',
  test: 'dr-test',
  source: 'dr-source',
  recoveryPoint: 'dr-recovery-point',
} as const;

/** Whether a label is the console's own bookkeeping (never captured as the customer's metadata). */
export const isDrLabel = (key: string): boolean => key.startsWith('dr-');

/** Labels on everything the handlers create or take over for a step. */
export function drLabels(ctx: Pick<StepContext, 'policyId' | 'jobId' | 'recoveryPointId'>, role: 'replication' | 'test' | 'failover', source?: string): Record<string, string> {
  const l: Record<string, string> = { [DR_LABEL.policy]: labelValue(ctx.policyId), [DR_LABEL.job]: labelValue(ctx.jobId), [DR_LABEL.role]: role };
  if (ctx.recoveryPointId) l[DR_LABEL.recoveryPoint] = labelValue(ctx.recoveryPointId);
  if (role === 'test') l[DR_LABEL.test] = 'true';
  if (source) l[DR_LABEL.source] = labelValue(source);
  return l;
}

/** The customer's labels of a resource: the console's own `dr-*` left out. */
export function customerLabels(labels: Record<string, string> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !isDrLabel(k)));
}

/** A test-failover name: `drtest-<base>-<digest of the step>`, at most `max` characters. */
export function testName(base: string, ctx: Pick<StepContext, 'idempotencyKey'>, max: number): string {
  return `drtest-${slug(base, max - 16)}-${hashHex('test', ctx.idempotencyKey).slice(0, 8)}`;
}
