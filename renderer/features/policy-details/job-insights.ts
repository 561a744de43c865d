// What the job view tells an operator beyond raw rows: a stalled job ("No progress for N minutes"),
// steps held back by a failed dependency ("Waiting for …"), and what to do about an error.
// Pure functions, so they are tested without a DOM.

import type { ErrorCode } from '../../../shared/errors';
import type { JobStepView, JobView } from '../../../shared/domain';
import { parseTime } from '../../components/format';

/** A running job with no event for this long gets a warning. */
export const STALL_AFTER_MS = 2 * 60_000;

/**
 * Whole minutes since the job last showed life, when that is at least STALL_AFTER_MS and the job
 * still runs; null otherwise. Life is the newest of: a live progress event, a step starting or
 * finishing, the job starting.
 */
export function stalledMinutes(
  job: Pick<JobView, 'status' | 'startedAt' | 'createdAt'>,
  steps: readonly Pick<JobStepView, 'startedAt' | 'finishedAt'>[],
  lastEventAt: number | undefined,
  now: number,
): number | null {
  if (job.status !== 'running' && job.status !== 'queued') return null;
  let last = lastEventAt ?? 0;
  for (const iso of [job.startedAt, job.createdAt, ...steps.flatMap((s) => [s.startedAt, s.finishedAt])]) {
    const t = parseTime(iso)?.getTime();
    if (t !== undefined && t > last) last = t;
  }
  if (last === 0) return null;
  const idle = now - last;
  return idle >= STALL_AFTER_MS ? Math.floor(idle / 60_000) : null;
}

/**
 * For a step that has not run (pending or skipped) while an earlier step of the same resource
 * failed: the sentence saying what it waits for. A resource's steps run in order (a VM after its
 * disks, NIC and network), so the earliest failed one holds the rest back.
 */
export function waitingFor(step: JobStepView, steps: readonly JobStepView[]): string | null {
  if (step.status !== 'pending' && step.status !== 'skipped') return null;
  const blocker = steps.find(
    (s) =>
      s.status === 'failed' &&
      s.seq < step.seq &&
      (step.protectedResourceId === null ? s.protectedResourceId === null : s.protectedResourceId === step.protectedResourceId),
  );
  if (blocker) return `Waiting for “${describeStep(blocker)}”, which failed; retry the failed items to continue.`;
  // Job-wide steps (e.g. stopping replication) come after every resource step.
  if (step.protectedResourceId === null) {
    const failed = steps.filter((s) => s.status === 'failed' && s.seq < step.seq);
    if (failed.length > 0) {
      return `Waiting for ${failed.length === 1 ? `“${describeStep(failed[0]!)}”` : `${failed.length} failed steps`}; retry the failed items to continue.`;
    }
  }
  return null;
}

/** A step's action in sentence case, as the operator reads it: "stopReplication" → "Stop replication", "failover" → "Failover". */
export function actionLabel(action: string): string {
  const words = action
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function describeStep(s: Pick<JobStepView, 'action' | 'resourceName'>): string {
  const action = actionLabel(s.action);
  return s.resourceName ? `${action} ${s.resourceName}` : action;
}

const ADVICE: Partial<Record<ErrorCode, string>> = {
  ProviderAuthFailed: 'Check the account’s credentials on the Accounts page, then retry the failed items.',
  ProviderPermissionDenied: 'Grant the account the missing permission in the cloud, then retry the failed items.',
  ProviderThrottled: 'The cloud kept throttling requests. Wait a few minutes, then retry the failed items.',
  ProviderQuotaExceeded: 'Raise the quota in the target region or free capacity there, then retry the failed items.',
  ProviderUnavailable: 'The cloud did not answer. Check the network or the provider’s status page, then retry the failed items.',
  ProviderOffline: 'The console is offline: the cloud could not be reached at all. Retry the failed items once the network is back.',
  ProviderError: 'The cloud refused the request. Read its message above; fix the cause, then retry the failed items.',
  CredentialStoreUnavailable: 'The credential store is locked or unavailable. Unlock it (or restart the console), then retry.',
  Cancelled: 'The step was cancelled before it finished.',
};

/** What an operator can do about a failed step, in a sentence; null when nothing useful is known. */
export function adviceFor(code: string | null): string | null {
  if (!code) return null;
  return ADVICE[code as ErrorCode] ?? null;
}
