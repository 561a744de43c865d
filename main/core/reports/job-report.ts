// The evidence for one failover, test failover or reset job, read from the local database only:
// policy, environments, the recovery point each resource used (and why), achieved RPO and measured
// RTO, steps, resource mapping, webhook deliveries with the exact bodies sent, who ran it on which
// machine, and the audit chain's head. PDF, CSV and JSON are all written from this one model.

import { describeScope } from '../../../shared/scope';
import { resourceType, type ResourceTypeId } from '../../../shared/catalog';
import type { JobKind, JobStepView, JobView, ResourceMappingView } from '../../../shared/domain';
import type { Repos } from '../../db/repos';
import type { AttemptRecord, WebhooksRepo } from '../../db/webhooks-repo';
import type { AuditLog } from '../audit-log';
import { notFound, precondition } from '../errors';

export const REPORT_FORMAT_ID = 'failover-console.job-report/v1';

export interface ReportResource {
  protectedResourceId: string;
  name: string;
  type: ResourceTypeId;
  typeLabel: string;
  nativeId: string;
  usesLatestPoint: boolean;
  recoveryPointId: string | null;
  recoveryPointAt: string | null;
  /** Why this point, for types that always use the latest one (R6); null otherwise. */
  why: string | null;
  /** Job start minus the point's time, in seconds. */
  rpoSeconds: number | null;
  status: string;
}

export interface ReportDelivery {
  id: string;
  url: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  signed: boolean;
  createdAt: string;
  deliveredAt: string | null;
  attemptLog: AttemptRecord[];
  /** The request body exactly as stored in the outbox and POSTed. */
  body: string;
}

export interface JobReport {
  format: typeof REPORT_FORMAT_ID;
  generatedAt: string;
  app: { version: string; platform: string };
  timeZone: string;
  job: JobView;
  kindLabel: string;
  policy: {
    id: string;
    name: string;
    state: string;
    cloud: string;
    provider: string;
    webhookUrl: string | null;
    source: ReportEnvironment;
    target: ReportEnvironment;
  };
  recoveryPoint: { id: string; createdAt: string; status: string } | null;
  /** Largest RPO over the resources (the figure an auditor asks for); null without a point. */
  rpoSeconds: number | null;
  /** Job start to end, in seconds; null while it runs. */
  rtoSeconds: number | null;
  resources: ReportResource[];
  steps: JobStepView[];
  mappings: ResourceMappingView[];
  webhookDeliveries: ReportDelivery[];
  operator: { actorLabel: string; osUser: string | null; operatorName: string | null; host: string | null };
  audit: { headId: number | null; headHash: string; verified: boolean; verifyMessage: string; jobEntries: number };
}

export interface ReportEnvironment {
  id: string;
  name: string;
  region: string;
  scope: string;
  account: string;
}

const KIND_LABELS: Record<JobKind, string> = {
  replication: 'Replication',
  test_failover: 'Test failover',
  reset: 'Reset',
  failover: 'Failover',
};

const secondsBetween = (from: string | null, to: string | null): number | null =>
  from && to ? Math.round(Date.parse(to) - Date.parse(from)) / 1000 : null;

export interface ReportDeps {
  repos: Repos;
  webhooks: WebhooksRepo;
  audit: AuditLog;
  app: { version: string; platform: string };
}

function statusOf(steps: readonly JobStepView[]): string {
  if (steps.some((x) => x.status === 'failed')) return 'failed';
  if (steps.some((x) => x.status === 'running')) return 'running';
  if (steps.every((x) => x.status === 'succeeded')) return 'succeeded';
  return steps.find((x) => x.status !== 'succeeded')?.status ?? 'pending';
}

export function buildJobReport(d: ReportDeps, jobId: string, generatedAt: string, timeZone: string): JobReport {
  const { repos } = d;
  const job = repos.jobs.view(jobId);
  if (!job) throw notFound('Job', jobId);
  if (job.kind === 'replication') {
    throw precondition('Reports are written for failover, test failover and reset jobs; a replication job is shown by its recovery point.');
  }
  const policy = repos.policies.get(job.policyId);
  if (!policy) throw notFound('Policy', job.policyId);
  const envOf = (id: string): ReportEnvironment => {
    const e = repos.environments.get(id);
    const account = e ? repos.accounts.get(e.accountId) : null;
    return { id, name: e?.name ?? id, region: e?.region ?? '', scope: !e ? '' : typeof e.scope === 'string' ? e.scope : describeScope(e.scope), account: account?.name ?? '' };
  };
  const steps = repos.jobs.stepViews(jobId);
  const startedAt = job.startedAt ?? job.createdAt;
  const point = job.recoveryPointId ? repos.recoveryPoints.get(job.recoveryPointId) : null;

  // The point each resource's (test) failover step applied is in the step's params, written at start;
  // its time comes with the step views (one join), and every resource of the policy in one query
  // (retired ones too: a resource removed after the job is still in its report).
  const pointOf = new Map<string, string>();
  for (const s of repos.jobs.steps(jobId)) {
    const rp = s.params.recoveryPointId;
    if (s.protectedResourceId && typeof rp === 'string') pointOf.set(s.protectedResourceId, rp);
  }
  const pointTimes = new Map<string, string>();
  for (const s of steps) if (s.recoveryPointId && s.recoveryPointAt) pointTimes.set(s.recoveryPointId, s.recoveryPointAt);
  const timeOf = (id: string): string | null => pointTimes.get(id) ?? (point?.id === id ? point.createdAt : null);
  const stepsByResource = new Map<string, JobStepView[]>();
  for (const s of steps) {
    if (!s.protectedResourceId) continue;
    const list = stepsByResource.get(s.protectedResourceId) ?? [];
    list.push(s);
    stepsByResource.set(s.protectedResourceId, list);
  }
  const policyResources = new Map(repos.policies.allResources(job.policyId).map((x) => [x.id, x]));
  const resources: ReportResource[] = [];
  for (const [id, mine] of stepsByResource) {
    const res = policyResources.get(id) ?? repos.policies.resource(id);
    if (!res) continue;
    const info = resourceType(res.type);
    const rpId = pointOf.get(id) ?? null;
    const rpAt = rpId ? timeOf(rpId) : null;
    const usesLatest = info.usesLatestPoint && rpId !== null;
    resources.push({
      protectedResourceId: id,
      name: res.name,
      type: res.type,
      typeLabel: info.label,
      nativeId: res.nativeId,
      usesLatestPoint: usesLatest,
      recoveryPointId: rpId,
      recoveryPointAt: rpAt,
      why: usesLatest
        ? `${info.label} always fails over from the latest successful recovery point, whatever point was selected (R6)${
            point && rpId !== point.id ? '; here that is a newer point than the one selected' : ''
          }.`
        : null,
      rpoSeconds: secondsBetween(rpAt, startedAt),
      status: statusOf(mine),
    });
  }
  const rpos = resources.map((r) => r.rpoSeconds).filter((x): x is number => x !== null);

  const deliveries: ReportDelivery[] = d.webhooks.byJob(jobId).map((w) => ({
    id: w.id,
    url: w.url,
    status: w.status,
    attempts: w.attempts,
    lastStatus: w.lastStatus,
    lastError: w.lastError,
    signed: w.signed,
    createdAt: w.createdAt,
    deliveredAt: w.deliveredAt,
    attemptLog: d.webhooks.attempts(w.id),
    body: w.body,
  }));

  const entries = repos.audit.list({ jobId, offset: 0, limit: 1000 }).items;
  // Newest first: the operator who started it is the oldest operator entry of the job.
  const byOperator = [...entries].reverse().find((e) => e.actor === 'operator') ?? entries.at(-1) ?? null;
  const verdict = repos.audit.verify();
  const head = repos.audit.head();

  return {
    format: REPORT_FORMAT_ID,
    generatedAt,
    app: d.app,
    timeZone,
    job,
    kindLabel: KIND_LABELS[job.kind],
    policy: {
      id: policy.id,
      name: policy.name,
      state: policy.state,
      cloud: policy.cloud,
      provider: policy.provider,
      webhookUrl: policy.webhookUrl,
      source: envOf(policy.sourceEnvironmentId),
      target: envOf(policy.targetEnvironmentId),
    },
    recoveryPoint: point ? { id: point.id, createdAt: point.createdAt, status: point.status } : null,
    rpoSeconds: rpos.length ? Math.max(...rpos) : null,
    rtoSeconds: secondsBetween(startedAt, job.finishedAt),
    resources,
    steps,
    mappings: repos.mappings.byJob(jobId),
    webhookDeliveries: deliveries,
    operator: byOperator
      ? { actorLabel: byOperator.actorLabel, osUser: byOperator.osUser, operatorName: byOperator.operatorName, host: byOperator.host }
      : { actorLabel: d.audit.osUser(), osUser: d.audit.osUser(), operatorName: d.audit.operatorName(), host: d.audit.host() },
    audit: {
      headId: head?.id ?? null,
      headHash: head?.hash ?? '',
      verified: verdict.ok,
      verifyMessage: verdict.ok ? `All ${verdict.entries} audit entries verify.` : verdict.reason,
      jobEntries: entries.length,
    },
  };
}
