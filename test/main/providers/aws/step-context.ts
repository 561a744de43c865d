// Test scaffolding for the AWS handlers: accounts and environments on moto, and step contexts with an
// in-memory journal of intents (the engine's journal is tested elsewhere).

import type { EnvRef, ProtectedResourceRef, RecoveryPointItemRef, ResolvedAccount, StepContext, CapturedItem } from '../../../../main/providers/types';
import type { ResourceTypeId } from '../../../../shared/catalog';
import { MemoryOperations } from '../../../helpers/memory-operations';

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
  intents: Record<string, unknown>[];
  messages: string[];
  /** The step's in-memory journal of operations (ctx.mutate). */
  journal: MemoryOperations;
}

export function step(opts: { jobId: string; stepId?: string; policyId?: string; source: EnvRef; target: EnvRef; previous?: Record<string, unknown> }): StepFixture {
  const intents: Record<string, unknown>[] = [];
  const messages: string[] = [];
  const stepId = opts.stepId ?? `${opts.jobId}-step-1`;
  const journal = new MemoryOperations();
  const signal = new AbortController().signal;
  return {
    ...journal.context(signal),
    journal,
    recoveryPointId: null,
    jobId: opts.jobId,
    stepId,
    policyId: opts.policyId ?? 'policy-1',
    source: opts.source,
    target: opts.target,
    idempotencyKey: `${opts.jobId}:${stepId}`,
    signal,
    recordIntent: (m) => {
      intents.push(m);
    },
    previousIntent: () => intents.at(-1) ?? opts.previous ?? null,
    progress: (m) => {
      messages.push(m);
    },
    intents,
    messages,
  };
}

export function resourceRef(type: ResourceTypeId, nativeId: string, name: string, policyId = 'policy-1'): ProtectedResourceRef {
  return { id: `res-${name}`, policyId, type, nativeId, name };
}

export function pointItem(resource: ProtectedResourceRef, captured: CapturedItem, recoveryPointId = 'rp-1'): RecoveryPointItemRef {
  return { ...captured, id: `item-${resource.id}-${recoveryPointId}`, recoveryPointId, resource, capturedAt: new Date().toISOString() };
}
