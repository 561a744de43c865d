// A labelled progress bar for a job, counted in what the operator protects: resources done of
// total (steps only for jobs whose steps belong to no resource), failures, elapsed time and an
// estimate of what is left, all in text as well as in the bar.

import { useNow } from '../../components/clock-store';
import { formatDuration, formatMs, parseTime } from '../../components/format';

export interface ProgressCounts {
  status: string;
  stepsTotal: number;
  stepsDone: number;
  stepsFailed: number;
  resourcesTotal: number;
  resourcesDone: number;
  resourcesFailed: number;
}

/** What the bar counts: resources when the job has any, otherwise its steps. */
export function progressUnits(p: ProgressCounts): { done: number; failed: number; total: number; one: string; many: string } {
  return p.resourcesTotal > 0
    ? { done: p.resourcesDone, failed: p.resourcesFailed, total: p.resourcesTotal, one: 'resource', many: 'resources' }
    : { done: p.stepsDone, failed: p.stepsFailed, total: p.stepsTotal, one: 'step', many: 'steps' };
}

/**
 * Time left at the pace so far (elapsed per unit done times units left); null until one unit is
 * done or once the job ended. Steps are the finer measure, so the estimate uses them.
 */
export function estimateLeftMs(p: ProgressCounts, elapsedMs: number): number | null {
  if (p.status !== 'running' || p.stepsDone === 0 || p.stepsDone >= p.stepsTotal || elapsedMs <= 0) return null;
  return Math.round((elapsedMs / p.stepsDone) * (p.stepsTotal - p.stepsDone));
}

export function ProgressBar(props: { label: string; progress: ProgressCounts; startedAt: string | null; finishedAt?: string | null }) {
  const now = useNow();
  const u = progressUnits(props.progress);
  const total = Math.max(u.total, 0);
  const pct = total === 0 ? 0 : Math.min(100, Math.round((u.done / total) * 100));
  const failedPct = total === 0 ? 0 : Math.min(100, (u.failed / total) * 100);
  const start = parseTime(props.startedAt)?.getTime();
  const end = parseTime(props.finishedAt ?? null)?.getTime() ?? now;
  const elapsed = start === undefined ? null : formatDuration(props.startedAt, props.finishedAt ?? null, now);
  const left = start === undefined ? null : estimateLeftMs(props.progress, end - start);
  const unit = total === 1 ? u.one : u.many;
  return (
    <div className="progress">
      <div className="progress-text">
        <span className="progress-label">{props.label}</span>
        <span className="tabular" data-testid="progress-text">
          {u.done.toLocaleString('en-GB')} of {total.toLocaleString('en-GB')} {unit} done
          {u.failed > 0 && <span className="text-bad"> · {u.failed.toLocaleString('en-GB')} failed</span>} · {pct}%
          {elapsed && <> · {elapsed} elapsed</>}
          {left !== null && <> · about {formatMs(left)} left</>}
        </span>
      </div>
      <div
        className="progress-track"
        role="progressbar"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={u.done}
        aria-valuetext={`${u.done} of ${total} ${unit} done${u.failed ? `, ${u.failed} failed` : ''}`}
      >
        <div className="progress-fill" style={{ width: `${pct}%` }} />
        {failedPct > 0 && <div className="progress-fill-bad" style={{ width: `${failedPct}%` }} />}
      </div>
    </div>
  );
}
