// Test bed for the sim provider: a real SQLite file in a temp folder, accounts per cloud, and
// StepContexts whose journal (intents) lives in memory but survives "attempts" of the same step.

import { join } from 'node:path';
import type { Cloud, ResourceTypeId } from '../../../../shared/catalog';
import { openDatabase, type Db } from '../../../../main/db/connection';
import { createSimProvider, type SimProvider, type SimProviderOptions } from '../../../../main/providers/sim';
import type { EnvRef, ResolvedAccount, ResourceHandler, StepContext } from '../../../../main/providers/types';
import { FakeClock } from '../../../helpers/fake-clock';
import { scopeFromText } from '../../../../shared/scope';
import { MemoryOperations } from '../../../helpers/memory-operations';

export const REGIONS: Record<Cloud, { source: string; target: string }> = {
  azure: { source: 'eastus', target: 'westus2' },
  aws: { source: 'us-east-1', target: 'us-west-2' },
  gcp: { source: 'us-central1', target: 'europe-west1' },
};

export function account(cloud: Cloud, id = `acct-${cloud}`): ResolvedAccount {
  return { id, name: `Rehearsal ${cloud}`, provider: 'sim', cloud, credentials: { kind: 'none' } };
}

export function env(acct: ResolvedAccount, region: string, scope = ''): EnvRef {
  return { environmentId: `env-${acct.id}-${region}`, account: acct, region, scope: scopeFromText(acct.cloud, region, scope) };
}

export interface SimBed {
  db: Db;
  file: string;
  clock: FakeClock;
  provider: SimProvider;
  /** A provider with other options on the same file (faults, latency). */
  withOptions(opts: Omit<SimProviderOptions, 'db'>): SimProvider;
  close(): void;
}

export function openSimBed(dir: string, opts: Omit<SimProviderOptions, 'db'> = {}): SimBed {
  const file = join(dir, 'console.sqlite');
  const db = openDatabase(file);
  const clock = new FakeClock();
  return {
    db,
    file,
    clock,
    provider: createSimProvider({ db, clock, ...opts }),
    withOptions: (o) => createSimProvider({ db, clock, ...o }),
    close: () => db.close(),
  };
}

export function handlerOf(provider: SimProvider, type: ResourceTypeId): ResourceHandler {
  const h = provider.handler(type);
  if (!h) throw new Error(`no sim handler for ${type}`);
  return h;
}

/** The in-memory journal of operations, one per idempotency key, kept across attempts like job_operations. */
export class Journal {
  readonly ops = new Map<string, MemoryOperations>();
  readonly progress: string[] = [];

  /** The intents journaled per key (ctx.mutate intent rows, in order). */
  get intents(): Map<string, Record<string, unknown>[]> {
    return new Map([...this.ops].map(([k, o]) => [k, o.intents()]));
  }

  ctx(opts: {
    key: string;
    jobId: string;
    policyId: string;
    source: EnvRef;
    target: EnvRef;
    signal?: AbortSignal;
    /** Called after each intent is recorded (crash injection). */
    onIntent?: (material: Record<string, unknown>, count: number) => void;
  }): StepContext {
    let ops = this.ops.get(opts.key);
    if (!ops) this.ops.set(opts.key, (ops = new MemoryOperations()));
    const journal = ops;
    journal.onIntent = (_key, material, count) => opts.onIntent?.(material, count);
    const signal = opts.signal ?? new AbortController().signal;
    return {
      jobId: opts.jobId,
      stepId: `step-${opts.key}`,
      policyId: opts.policyId,
      source: opts.source,
      target: opts.target,
      idempotencyKey: opts.key,
      signal,
      recoveryPointId: null,
      ...journal.context(signal),
      progress: (m) => void this.progress.push(m),
    };
  }

  count(key: string): number {
    return this.ops.get(key)?.intents().length ?? 0;
  }
}
