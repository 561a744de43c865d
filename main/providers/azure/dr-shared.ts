// What the AKS and flexible-server handlers share: ARM ids, the console's tags on what it makes in
// Azure, deterministic names (the policy's replica, a test copy, a failover copy), locations compared
// as ARM compares them, and the sentences for a point that holds nothing usable.

import { ProviderFailure } from '../provider-failure';
import type { EnvRef, StepContext } from '../types';
import { armScopeOf } from './clients';
import { DR_TAG, drTagRecord, hashHex, sameLocation, userTags, type DrRole } from './naming';

// The adapter's own tag keys, digests and location rule (naming.ts), shared with the VM type.
export { DR_TAG, hashHex, sameLocation, type DrRole };

export interface ArmId {
  subscriptionId: string;
  resourceGroup: string;
  /** The last segment: the resource's own name. */
  name: string;
  /** Provider namespace and type segments ('Microsoft.Compute/disks'). */
  type: string;
}

/** Parses /subscriptions/{s}/resourceGroups/{g}/providers/{ns}/{type}/{name}[/{type}/{name}...]. */
export function parseArmId(id: string, what: string): ArmId {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/(.+)$/i.exec(id);
  const rest = m?.[4]?.split('/') ?? [];
  if (!m || rest.length < 2 || rest.length % 2 !== 0) {
    throw new ProviderFailure('ValidationFailed', `"${id}" is not the Azure resource id of ${what} (/subscriptions/<id>/resourceGroups/<group>/providers/<namespace>/<type>/<name>).`);
  }
  const types = rest.filter((_, i) => i % 2 === 0);
  return { subscriptionId: m[1]!, resourceGroup: m[2]!, name: rest[rest.length - 1]!, type: `${m[3]}/${types.join('/')}` };
}

/** Whether two environments are the same subscription and resource group (a same-named copy would clash). */
export function sameGroup(a: EnvRef, b: EnvRef): boolean {
  const x = armScopeOf(a);
  const y = armScopeOf(b);
  return x.subscriptionId.toLowerCase() === y.subscriptionId.toLowerCase() && x.resourceGroup.toLowerCase() === y.resourceGroup.toLowerCase();
}

/** Tags on everything a step makes (naming.ts's drTagRecord): `dr:test` on test copies is what Reset insists on. */
export function drTags(ctx: Pick<StepContext, 'idempotencyKey' | 'policyId' | 'jobId' | 'recoveryPointId'>, role: DrRole, sourceId?: string, purpose?: string): Record<string, string> {
  return drTagRecord(ctx, { role, ...(sourceId ? { sourceId } : {}), ...(purpose ? { purpose } : {}) });
}

/** The customer's tags without the console's bookkeeping (dr:*, per job) or Azure's hidden-* ones. */
export const customerTags = userTags;

/** Whether a resource was made by the console (any role): discovery leaves those out. */
export const isConsoleMade = (tags: Record<string, string> | undefined) => Boolean(tags?.[DR_TAG.role] ?? tags?.[DR_TAG.policy]);

function slug(s: string, max: number, allowed: RegExp): string {
  const cleaned = s.toLowerCase().replace(allowed, '-').replace(/-+/g, '-').replace(/^[^a-z0-9]+|-$/g, '');
  return cleaned.slice(0, max).replace(/-$/, '') || 'r';
}

/** A DNS-style name (flexible servers: 3-63 lower-case letters, digits, hyphens) ending in `-<suffix>`. */
export function dnsName(base: string, suffix: string, max = 63): string {
  return `${slug(base, max - suffix.length - 1, /[^a-z0-9-]+/g)}-${suffix}`;
}

/** A source's key in names: its group and name, not its subscription (one policy has one source subscription). */
export function sourceKey(sourceId: string): string {
  const m = /\/resourceGroups\/([^/]+)\/providers\/(.+)$/i.exec(sourceId);
  return (m ? `${m[1]}/${m[2]}` : sourceId).toLowerCase();
}

/** The policy's replica of one source: the same name for every replication run of that policy. */
export function replicaName(sourceName: string, sourceId: string, policyId: string, max = 63): string {
  return dnsName(sourceName, `dr-${hashHex('azure-replica', policyId, sourceKey(sourceId)).slice(0, 8)}`, max);
}

/** A test-failover copy: `drtest-<base>-<digest>`, stable for one step (its attempts find it again). */
export function testName(base: string, ctx: Pick<StepContext, 'idempotencyKey'>, max = 63): string {
  const suffix = hashHex('azure-test', ctx.idempotencyKey, base).slice(0, 8);
  return `drtest-${slug(base, max - 16, /[^a-z0-9-]+/g)}-${suffix}`;
}

/** Tags the target lacks of those a step wrote: one warning sentence, or none. */
export function missingTags(label: string, have: Record<string, string> | undefined, want: Record<string, string>): string[] {
  const lost = Object.keys(want).filter((k) => have?.[k] !== want[k]);
  return lost.length ? [`${label} lacks the tag${lost.length === 1 ? '' : 's'} ${lost.join(', ')} of the recovery point.`] : [];
}

/** A point whose metadata the handler cannot read: choose another point. */
export function unreadablePoint(label: string): ProviderFailure {
  return new ProviderFailure('PreconditionFailed', `The recovery point of ${label} holds no settings this console can apply; choose a point created by a successful replication.`);
}

/** A test resource Reset will not delete: it carries no dr:test tag. */
export function notATestResource(kind: string, name: string): ProviderFailure {
  return new ProviderFailure('PreconditionFailed', `${kind} ${name} was not created by a test failover (no ${DR_TAG.test} tag); Reset leaves it alone.`);
}

/** Something the console would create exists already and belongs to someone else. */
export function taken(kind: string, name: string, where: string, what: string): ProviderFailure {
  return new ProviderFailure('Conflict', `${kind} ${name} already exists in ${where} and is not ${what}. Remove or rename it, or choose another target environment.`);
}
