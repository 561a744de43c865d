// Records every mutating action and every job transition with who did it: the kind of actor, the
// OS user and machine the console runs as, and the operator name set in settings. Entries are
// linked to their policy and job, and chained by SHA-256 in the repository. Callers pass names and
// ids only: secrets, tokens and credential fields must never reach this table.

import { hostname, userInfo } from 'node:os';
import type { JobKind } from '../../shared/domain';
import type { AuditActor } from '../db/audit-repo';
import type { JobTransition } from '../db/jobs-repo';
import type { Repos } from '../db/repos';
import type { Clock } from './clock';

/** Who runs this console; a port so tests can name a user and a machine. */
export interface Attribution {
  osUser(): string;
  host(): string;
}

export const OPERATOR_NAME_KEY = 'audit.operatorName';

/** os.userInfo() throws where the user has no passwd entry (some containers): fall back to the environment. */
export const systemAttribution: Attribution = {
  osUser() {
    try {
      return userInfo().username;
    } catch {
      return process.env.USER ?? process.env.USERNAME ?? 'unknown';
    }
  },
  host: () => hostname(),
};

const JOB_IN_DETAIL = /^job (job_[A-Za-z0-9_-]+)/;

const KIND_WORDS: Record<JobKind, string> = {
  replication: 'replication',
  test_failover: 'test failover',
  reset: 'reset',
  failover: 'failover',
};

export class AuditLog {
  private readonly attribution: Attribution;

  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    attribution?: Attribution,
  ) {
    this.attribution = attribution ?? systemAttribution;
  }

  operatorName(): string | null {
    const v = this.repos.settings.get(OPERATOR_NAME_KEY);
    return v && v.trim() ? v : null;
  }

  osUser(): string {
    return this.attribution.osUser();
  }

  host(): string {
    return this.attribution.host();
  }

  record(actor: AuditActor, action: string, subjectId: string | null, detail = ''): void {
    const { policyId, jobId } = this.linksOf(subjectId, detail);
    this.repos.audit.record({
      at: this.clock.iso(),
      actor,
      action,
      subjectId,
      detail,
      osUser: this.attribution.osUser(),
      operatorName: actor === 'operator' ? this.operatorName() : null,
      host: this.attribution.host(),
      policyId,
      jobId,
    });
  }

  /** Job transitions, from the jobs repository, in the transaction that made them. */
  recordTransition(t: JobTransition): void {
    const words = KIND_WORDS[t.kind];
    const detail =
      t.to === 'resumed'
        ? `job ${t.jobId} (${words}) resumed from its journal`
        : `job ${t.jobId} (${words}): ${t.from ?? 'new'} -> ${t.to}${t.error ? ` (${t.error})` : ''}`;
    this.repos.audit.record({
      at: this.clock.iso(),
      actor: 'system',
      action: `job.${t.to}`,
      subjectId: t.jobId,
      detail,
      osUser: this.attribution.osUser(),
      operatorName: null,
      host: this.attribution.host(),
      policyId: t.policyId,
      jobId: t.jobId,
    });
  }

  private linksOf(subjectId: string | null, detail: string): { policyId: string | null; jobId: string | null } {
    let jobId: string | null = null;
    let policyId: string | null = null;
    if (subjectId?.startsWith('pol_')) policyId = subjectId;
    if (subjectId?.startsWith('job_')) jobId = subjectId;
    jobId ??= JOB_IN_DETAIL.exec(detail)?.[1] ?? null;
    if (jobId && !policyId) policyId = this.repos.jobs.get(jobId)?.policyId ?? null;
    return { policyId, jobId };
  }
}
