// An in-memory journal of operations for handler tests that run without the engine: the same rules
// as the engine's ctx.mutate (a succeeded op is returned without calling again, an op with an intent
// and no success goes through spec.resume first, rows are appended in order), and ctx.read /
// ctx.rateGate that count the tokens they would take per family. Keep it across attempts of one step
// (one MemoryOperations per idempotency key) to model a resumed step.

import type { ApiFamily, MutateSpec, OperationRecord, StepContext } from '../../main/providers/types';

export interface MemoryRow {
  opKey: string;
  kind: 'intent' | 'handle' | 'outcome';
  material: Record<string, unknown>;
}

export class MemoryOperations {
  readonly rows: MemoryRow[] = [];
  /** Tokens taken per family (mutations, reads and rate gates alike). */
  readonly tokens = new Map<ApiFamily, number>();
  /** Called after each intent row (crash injection: throw to stop the attempt right after it). */
  onIntent?: (opKey: string, intent: Record<string, unknown>, count: number) => void;

  /** The ops as the engine folds them: latest intent, latest handle since it, outcome. */
  operations(): OperationRecord[] {
    const byKey = new Map<string, OperationRecord>();
    for (const r of this.rows) {
      let op = byKey.get(r.opKey);
      if (!op) byKey.set(r.opKey, (op = { opKey: r.opKey, intent: null, handle: null, outcome: null }));
      if (r.kind === 'intent') Object.assign(op, { intent: r.material, handle: null, outcome: null });
      else if (r.kind === 'handle') op.handle = r.material;
      else op.outcome = r.material as OperationRecord['outcome'];
    }
    return [...byKey.values()];
  }

  intents(): Record<string, unknown>[] {
    return this.rows.filter((r) => r.kind === 'intent').map((r) => r.material);
  }

  private take(family: ApiFamily): void {
    this.tokens.set(family, (this.tokens.get(family) ?? 0) + 1);
  }

  /** The members of a StepContext for one attempt (a fresh attempt: call again after a "crash"). */
  context(signal: AbortSignal): Pick<StepContext, 'mutate' | 'read' | 'rateGate' | 'operations'> {
    const earlier = this.operations();
    const byKey = new Map(earlier.map((o) => [o.opKey, o]));
    const used = new Set<string>();
    const append = (opKey: string, kind: MemoryRow['kind'], material: Record<string, unknown>) =>
      this.rows.push({ opKey, kind, material: structuredClone(material) });
    return {
      operations: () => earlier,
      read: async <T>(family: ApiFamily, call: (s: AbortSignal) => Promise<T>) => {
        this.take(family);
        return call(signal);
      },
      rateGate: (family) => ({
        take: async () => {
          this.take(family);
        },
      }),
      mutate: async <T>(opKey: string, spec: MutateSpec<T>): Promise<T> => {
        if (used.has(opKey)) throw new TypeError(`op key ${opKey} is used twice in one attempt`);
        used.add(opKey);
        const previous = byKey.get(opKey);
        if (previous?.outcome?.status === 'succeeded') return previous.outcome.result as T;
        if (previous?.intent && spec.resume) {
          const adopted = await spec.resume(previous, signal);
          if (adopted !== undefined) {
            append(opKey, 'outcome', { status: 'succeeded', result: structuredClone(adopted) as unknown, adopted: true });
            return adopted;
          }
        }
        this.take(spec.family);
        append(opKey, 'intent', spec.intent);
        this.onIntent?.(opKey, spec.intent, this.intents().length);
        let result: T;
        try {
          result = await spec.call(signal, { handle: async (h) => void append(opKey, 'handle', h) });
        } catch (err) {
          if (!signal.aborted) append(opKey, 'outcome', { status: 'failed', code: 'Error', error: err instanceof Error ? err.message : String(err) });
          throw err;
        }
        append(opKey, 'outcome', { status: 'succeeded', result: structuredClone(result) as unknown });
        return result;
      },
    };
  }
}
