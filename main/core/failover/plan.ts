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
import type { RecoveryPointItemRef } from '../../providers/types';
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
