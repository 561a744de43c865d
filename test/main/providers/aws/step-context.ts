// Test scaffolding for the AWS handlers: accounts and environments on moto, and step contexts with an
// in-memory journal of operations that follows the port's rules (the engine's journal is tested elsewhere):
// intent before the call, a succeeded outcome returned without calling again, resume() asked for an
// operation that has an intent but no outcome. `crashAfter` simulates a process killed between a call
// and the commit of its outcome.

import type { EnvRef, MutateSpec, OperationRecord, ProtectedResourceRef, RecoveryPointItemRef, ResolvedAccount, StepContext, CapturedItem } from '../../../../main/providers/types';
import type { ResourceTypeId } from '../../../../shared/catalog';

export const MOTO_ACCOUNT = '123456789012';

export function motoAccount(id = 'acct-aws-1'): ResolvedAccount {
  return {
    id,
    name: 'moto',
    provider: 'aws',
    cloud: 'aws',
    credentials: { kind: 'aws-access-key', accessKeyId: 'AKIAMOTOTESTING00001', secretAccessKey: 'moto-testing' },
  } as ResolvedAccount;
}

export function env(region: string, account = motoAccount()): EnvRef {
  return { environmentId: `env-${region}`, account, region, scope: { cloud: 'aws', region, accountId: MOTO_ACCOUNT } };
}

export interface StepFixture extends StepContext {
  /** The intent material of every operation this context started, in order. */
  intents: Record<string, unknown>[];
  messages: string[];
  warnings: string[];
  /** The journal (shared with later contexts of the same step through `journal`). */
  journal: OperationRecord[];
  /** Families of every read and mutation, in order. */
  families: string[];
}

/** Thrown by a fixture with `crashAfter`: the call went through, its outcome was never committed. */
export class SimulatedCrash extends Error {}

export function step(opts: {
  jobId: string;
  stepId?: string;
  policyId?: string;
  source: EnvRef;
  target: EnvRef;
  journal?: OperationRecord[];
  crashAfter?: (opKey: string) => boolean;
}): StepFixture {
  const intents: Record<string, unknown>[] = [];
  const messages: string[] = [];
  const warnings: string[] = [];
  const families: string[] = [];
  const journal = opts.journal ?? [];
  const stepId = opts.stepId ?? `${opts.jobId}-step-1`;
  const signal = new AbortController().signal;
  const used = new Set<string>();
  const ctx: StepFixture = {
    jobId: opts.jobId,
    stepId,
    policyId: opts.policyId ?? 'policy-1',
    source: opts.source,
    target: opts.target,
    idempotencyKey: `${opts.jobId}:${stepId}`,
    signal,
    recoveryPointId: null,
    async mutate<T>(opKey: string, spec: MutateSpec<T>): Promise<T> {
      // As the engine: an op key is used once per step attempt.
      if (used.has(opKey)) throw new TypeError(`op key ${opKey} is used twice in one attempt`);
      used.add(opKey);
      const previous = journal.filter((r) => r.opKey === opKey).at(-1);
      if (previous?.outcome?.status === 'succeeded') return previous.outcome.result as T;
      if (previous && spec.resume) {
        const adopted = await spec.resume(previous, signal);
        if (adopted !== undefined) {
          journal.push({ opKey, intent: previous.intent, handle: previous.handle, outcome: { status: 'succeeded', result: JSON.parse(JSON.stringify(adopted ?? null)) } });
          return adopted;
        }
      }
      const record: OperationRecord = { opKey, intent: spec.intent, handle: null, outcome: null };
      journal.push(record);
      intents.push(spec.intent);
      families.push(spec.family);
      try {
        const result = await spec.call(signal, {
          handle: async (h) => {
            record.handle = h;
          },
        });
        if (opts.crashAfter?.(opKey)) throw new SimulatedCrash(`crashed after ${opKey}`);
        record.outcome = { status: 'succeeded', result: JSON.parse(JSON.stringify(result ?? null)) };
        return result;
      } catch (err) {
        if (!(err instanceof SimulatedCrash)) record.outcome = { status: 'failed', code: (err as { code?: string }).code ?? 'Error', error: String((err as Error).message) };
        throw err;
      }
    },
    async read<T>(family: string, call: (s: AbortSignal) => Promise<T>): Promise<T> {
      families.push(family);
      return call(signal);
    },
    rateGate: (family) => ({
      take: async () => {
        families.push(family);
      },
    }),
    operations: () => journal,
    progress: (m) => {
      messages.push(m);
    },
    warn: (m) => {
      warnings.push(m);
    },
    intents,
    messages,
    warnings,
    journal,
    families,
  };
  return ctx;
}

export function resourceRef(type: ResourceTypeId, nativeId: string, name: string, policyId = 'policy-1'): ProtectedResourceRef {
  return { id: `res-${name}`, policyId, type, nativeId, name };
}

export function pointItem(resource: ProtectedResourceRef, captured: CapturedItem, recoveryPointId = 'rp-1'): RecoveryPointItemRef {
  return { ...captured, id: `item-${resource.id}-${recoveryPointId}`, recoveryPointId, resource, capturedAt: new Date().toISOString() };
}
