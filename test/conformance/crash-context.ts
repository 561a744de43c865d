// Step contexts for the adapter conformance suite: the journal of operations in memory (the engine's
// rules, test/helpers/memory-operations.ts) kept across attempts of one step, and a "power cut" that
// stops an attempt at a chosen operation, either right after its intent is journaled (the call never
// went out) or right after the call answered and before its outcome is journaled (it did go out).

import type { EnvRef, MutateSpec, StepContext } from '../../main/providers/types';
import { MemoryOperations } from '../helpers/memory-operations';

export type CrashPhase = 'before-call' | 'after-call';
export interface CrashPoint {
  /** 1-based: the n-th ctx.mutate of the attempt. */
  op: number;
  phase: CrashPhase;
}

/** What the process dying looks like to the handler: nothing after it runs, nothing after it is journaled. */
export class PowerCut extends Error {
  constructor(readonly at: CrashPoint) {
    super(`power cut at operation ${at.op} (${at.phase})`);
    this.name = 'PowerCut';
  }
}

export interface StepIds {
  key: string;
  jobId: string;
  policyId: string;
  source: EnvRef;
  target: EnvRef;
  recoveryPointId?: string | null;
}

export interface Attempt {
  ctx: StepContext;
  /** ctx.mutate calls made by this attempt (those answered from the journal included). */
  mutations(): number;
  /** Set once the attempt was cut. */
  cut(): PowerCut | null;
}

/** One step's journal, shared by every attempt of the step (as job_operations is). */
export class StepJournal {
  readonly ops = new MemoryOperations();
  readonly progress: string[] = [];

  constructor(private readonly ids: StepIds) {}

  /** A new attempt; with `crash`, the attempt is cut at that operation. `signal` is the job's own. */
  attempt(crash: CrashPoint | null = null, signal: AbortSignal = new AbortController().signal): Attempt {
    // The power cut also aborts the attempt's signal: a handler that swallowed the PowerCut gets
    // nothing further done, and the journal records no outcome for the op that was cut.
    const power = new AbortController();
    const onJob = () => power.abort(signal.reason);
    if (signal.aborted) power.abort(signal.reason);
    else signal.addEventListener('abort', onJob, { once: true });
    let count = 0;
    let cut: PowerCut | null = null;
    const die = (at: CrashPoint): never => {
      cut ??= new PowerCut(at);
      if (!power.signal.aborted) power.abort(cut);
      throw cut;
    };
    const base = this.ops.context(power.signal);
    this.ops.onIntent = () => {
      if (crash && crash.phase === 'before-call' && count === crash.op) die(crash);
    };
    const ctx: StepContext = {
      jobId: this.ids.jobId,
      stepId: `step-${this.ids.key}`,
      policyId: this.ids.policyId,
      source: this.ids.source,
      target: this.ids.target,
      idempotencyKey: this.ids.key,
      signal: power.signal,
      recoveryPointId: this.ids.recoveryPointId ?? null,
      operations: base.operations,
      read: async (family, call) => {
        if (cut) throw cut;
        return base.read(family, call);
      },
      rateGate: (family) => ({
        take: async (s) => {
          if (cut) throw cut;
          await base.rateGate(family).take(s);
        },
      }),
      mutate: async <T>(opKey: string, spec: MutateSpec<T>): Promise<T> => {
        if (cut) throw cut;
        const n = ++count;
        const wrapped: MutateSpec<T> = {
          ...spec,
          call: async (s, op) => {
            const result = await spec.call(s, op);
            if (crash && crash.phase === 'after-call' && n === crash.op) die(crash);
            return result;
          },
        };
        return base.mutate(opKey, wrapped);
      },
      progress: (m) => void this.progress.push(m),
    };
    return { ctx, mutations: () => count, cut: () => cut };
  }
}
