// What a (test) failover applies per protected resource: the recovery point it uses (the chosen one,
// or the latest successful one for "latest" types, R6) and that point's item. Shared by the
// test failover, failover prepare/start and the job kinds that execute them.

import { resourceType } from '../../../shared/catalog';
import type { RecoveryPointView } from '../../../shared/domain';
import type { JobRecord, StepRecord } from '../../db/jobs-repo';
import type { PolicyRecord, ProtectedResourceRecord } from '../../db/policies-repo';
import type { RecoveryPointItemRecord } from '../../db/recovery-points-repo';
import type { Repos } from '../../db/repos';
import type { ProviderRegistry } from '../provider-registry';
import type { RecoveryPointItemRef, StepContext } from '../../providers/types';
import type { PreparedJob } from '../jobs/engine';
import { notFound, precondition } from '../errors';
import { timeFormatterOf } from '../settings-service';

export interface ResolvedPoints {
  selected: RecoveryPointView;
  latest: RecoveryPointView;
}

export interface PlannedItem {
  resource: ProtectedResourceRecord;
  usesLatestPoint: boolean;
  point: RecoveryPointView;
  itemId: string;
}

/**
 * "2026-11-26 11:42:07 UTC+01:00": a point's time as every sentence and the console show it, in
 * the operator's zone, with seconds (points seconds apart must be told apart).
 */
export function formatPointTime(repos: Pick<Repos, 'settings'>, iso: string): string {
  return timeFormatterOf(repos.settings).format(iso, { seconds: true });
}

/** The chosen point (default: latest successful) and the latest successful one; only succeeded points. */
export function resolvePoints(repos: Repos, policy: PolicyRecord, recoveryPointId: string | undefined): ResolvedPoints {
  const latest = repos.recoveryPoints.latestSucceeded(policy.id);
  if (!latest) throw precondition(`Policy "${policy.name}" has no successful recovery point yet; run replication first.`);
  if (recoveryPointId === undefined) return { selected: latest, latest };
  const selected = repos.recoveryPoints.get(recoveryPointId);
  if (!selected || selected.policyId !== policy.id) throw notFound('Recovery point', recoveryPointId);
  if (selected.status !== 'succeeded') {
    throw precondition(
      `The recovery point of ${formatPointTime(repos, selected.createdAt)} was not created successfully (${selected.status.replace('_', ' ')}); choose a successfully created recovery point.`,
    );
  }
  return { selected, latest };
}

/** Per live protected resource, the item it uses; resources without a successful item are returned apart. */
export function planItems(repos: Repos, policyId: string, points: ResolvedPoints): { planned: PlannedItem[]; missing: ProtectedResourceRecord[] } {
  const byPoint = new Map<string, Map<string, RecoveryPointItemRecord>>();
  const itemsOf = (pointId: string) => {
    let m = byPoint.get(pointId);
    if (!m) {
      m = new Map(repos.recoveryPoints.items(pointId).filter((i) => i.status === 'succeeded').map((i) => [i.protectedResourceId, i]));
      byPoint.set(pointId, m);
    }
    return m;
  };
  const planned: PlannedItem[] = [];
  const missing: ProtectedResourceRecord[] = [];
  for (const resource of repos.policies.resources(policyId)) {
    const usesLatestPoint = resourceType(resource.type).usesLatestPoint;
    const point = usesLatestPoint ? points.latest : points.selected;
    const item = itemsOf(point.id).get(resource.id);
    if (item) planned.push({ resource, usesLatestPoint, point, itemId: item.id });
    else missing.push(resource);
  }
  return { planned, missing };
}

/** What (test) failover steps need at run time: the items by id and the protected resources by id. */
export interface PreparedFailover extends PreparedJob {
  items: Map<string, RecoveryPointItemRecord>;
  resources: Map<string, ProtectedResourceRecord>;
}

export function prepareFailoverJob(repos: Repos, providers: ProviderRegistry, job: JobRecord, steps: readonly StepRecord[]): PreparedFailover {
  const policy = repos.policies.get(job.policyId);
  if (!policy) throw notFound('Policy', job.policyId);
  const items = new Map<string, RecoveryPointItemRecord>();
  const points = new Set<string>();
  for (const s of steps) if (typeof s.params.recoveryPointId === 'string') points.add(s.params.recoveryPointId);
  for (const pointId of points) for (const item of repos.recoveryPoints.items(pointId)) items.set(item.id, item);
  return {
    adapter: providers.get(policy.provider),
    source: providers.envRef(policy.sourceEnvironmentId),
    target: providers.envRef(policy.targetEnvironmentId),
    policyName: policy.name,
    items,
    resources: new Map(repos.policies.allResources(job.policyId).map((r) => [r.id, r])),
  };
}

/** The step's protected resource and the recovery point item it applies, as the handler takes it. */
export function itemRefFor(step: StepRecord, p: PreparedFailover): { resource: ProtectedResourceRecord; item: RecoveryPointItemRef } {
  const resource = step.protectedResourceId ? p.resources.get(step.protectedResourceId) : undefined;
  const item = typeof step.params.itemId === 'string' ? p.items.get(step.params.itemId) : undefined;
  if (!resource || !item) {
    throw precondition('The recovery point item this step applies no longer exists; choose another recovery point.');
  }
  return {
    resource,
    item: {
      id: item.id,
      recoveryPointId: item.recoveryPointId,
      resource: { id: resource.id, policyId: resource.policyId, type: resource.type, nativeId: resource.nativeId, name: resource.name },
      capturedAt: item.capturedAt,
      metadata: item.metadata,
      dataRefs: item.dataRefs,
    },
  };
}

/** Job status from its outcome: succeeded when every step did, failed when none did. */
export function statusOf(o: { total: number; succeeded: number; cancelled: boolean }): 'succeeded' | 'failed' | 'partially_failed' | 'cancelled' {
  if (o.cancelled) return 'cancelled';
  if (o.succeeded === o.total) return 'succeeded';
  return o.succeeded === 0 ? 'failed' : 'partially_failed';
}

/**
 * The handler's context with `warn`: what the step's read-back found not carried, collected (once per
 * sentence) for the step's journaled result. Warnings of an interrupted attempt are found again by the
 * next one, which reads the target back in turn.
 */
export function collectingWarnings(ctx: StepContext): { ctx: StepContext; warnings: string[] } {
  const warnings: string[] = [];
  const warn = (message: string) => {
    if (!warnings.includes(message)) warnings.push(message);
  };
  return { ctx: { ...ctx, warn }, warnings };
}

/**
 * What the failover will not carry, known from each planned item alone (the handler's foresee, no cloud
 * call): sentences for the confirmation. A provider that is not configured foresees nothing here; the
 * start re-checks it.
 */
export function foreseenWarnings(repos: Repos, providers: ProviderRegistry, policy: PolicyRecord, planned: readonly PlannedItem[]): string[] {
  let adapter;
  try {
    adapter = providers.get(policy.provider);
  } catch {
    return [];
  }
  const out: string[] = [];
  const itemsByPoint = new Map<string, RecoveryPointItemRecord[]>();
  for (const p of planned) {
    const handler = adapter.handler(p.resource.type);
    if (!handler?.foresee) continue;
    let items = itemsByPoint.get(p.point.id);
    if (!items) itemsByPoint.set(p.point.id, (items = repos.recoveryPoints.items(p.point.id)));
    const item = items.find((i) => i.id === p.itemId);
    if (!item) continue;
    const ref: RecoveryPointItemRef = {
      id: item.id,
      recoveryPointId: item.recoveryPointId,
      resource: { id: p.resource.id, policyId: p.resource.policyId, type: p.resource.type, nativeId: p.resource.nativeId, name: p.resource.name },
      capturedAt: item.capturedAt,
      metadata: item.metadata,
      dataRefs: item.dataRefs,
    };
    for (const w of handler.foresee(ref)) if (!out.includes(w)) out.push(w);
  }
  return out;
}
