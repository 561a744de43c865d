// Deterministic names and tags of everything the Azure adapter creates: derived from the step's
// idempotency key, the policy and the source names, so a replayed step finds (or PUTs again, which ARM
// treats as the same create) the same resource. Tags carry the console's bookkeeping (dr:*), like AWS.

import { DR_TAG, hashHex, roleOf, stepToken, type DrRole } from '../aws/naming';
import type { StepContext } from '../types';

export { DR_TAG, hashHex, roleOf, stepToken, type DrRole };

type StepIds = Pick<StepContext, 'idempotencyKey' | 'policyId' | 'jobId' | 'recoveryPointId'>;

/** Tags on everything the adapter creates for a step (dr:test on test copies: Reset insists on it). */
export function drTagRecord(ctx: StepIds, opts: { role: DrRole; purpose?: string; sourceId?: string }): Record<string, string> {
  const tags: Record<string, string> = {
    [DR_TAG.policy]: ctx.policyId,
    [DR_TAG.job]: ctx.jobId,
    [DR_TAG.step]: stepToken(ctx, opts.purpose),
    [DR_TAG.role]: opts.role,
  };
  if (ctx.recoveryPointId) tags[DR_TAG.recoveryPoint] = ctx.recoveryPointId;
  if (opts.role === 'test') tags[DR_TAG.test] = 'true';
  // Azure tag values allow 256 characters; an ARM id can be longer, so the tail is kept (the name).
  if (opts.sourceId) tags[DR_TAG.source] = opts.sourceId.slice(-256);
  return tags;
}

/** The operator's own tags, without the console's dr:* bookkeeping (per job) or Azure's hidden-* ones. */
export function userTags(tags: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags ?? {})) if (!k.startsWith('dr:') && !k.startsWith('hidden-')) out[k] = v;
  return out;
}

/** Names ARM accepts for compute and network resources: letters, digits, `-`, `_`, `.`; no trailing `.`/`-`. */
export function armName(s: string, max = 80): string {
  const cleaned = s.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/-+/g, '-').replace(/^[-.]+/, '');
  return (cleaned.slice(0, max).replace(/[-.]+$/, '') || 'r');
}

/** A test-failover name: `drtest-<base>-<digest>`, ≤ max characters, stable per step. */
export function azureTestName(base: string, ctx: Pick<StepContext, 'idempotencyKey'>, max = 64): string {
  const suffix = hashHex('test', ctx.idempotencyKey).slice(0, 8);
  return `drtest-${armName(base, max - 16)}-${suffix}`;
}

/** A replication name: `<base>-dr-<digest of step and purpose>`, ≤ max characters. */
export function replicationName(base: string, ctx: Pick<StepContext, 'idempotencyKey'>, purpose: string, max = 80): string {
  return `${armName(base, max - 14)}-dr-${hashHex('replica', ctx.idempotencyKey, purpose).slice(0, 10)}`;
}

/** Azure writes locations as "West Europe" or "westeurope"; ARM compares them without case or spaces. */
export const sameLocation = (a: string | undefined, b: string | undefined) => (a ?? '').toLowerCase().replace(/\s+/g, '') === (b ?? '').toLowerCase().replace(/\s+/g, '');

/** The parts of an ARM id: subscription, resource group, provider namespace, then type/name pairs. */
export function parseArmId(id: string): { subscriptionId: string; resourceGroup: string; namespace: string; types: string[]; names: string[] } | null {
  const seg = id.split('/').filter(Boolean);
  if (seg.length < 8 || seg[0]!.toLowerCase() !== 'subscriptions' || seg[2]!.toLowerCase() !== 'resourcegroups' || seg[4]!.toLowerCase() !== 'providers') return null;
  const rest = seg.slice(6);
  return {
    subscriptionId: seg[1]!,
    resourceGroup: seg[3]!,
    namespace: seg[5]!,
    types: rest.filter((_, i) => i % 2 === 0),
    names: rest.filter((_, i) => i % 2 === 1),
  };
}
