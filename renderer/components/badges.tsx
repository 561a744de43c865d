// Status badges: each carries its word and a glyph, so state never depends on colour alone.

import type { JobStatus, PolicyState, RecoveryPointStatus, StepStatus } from '../../shared/domain';

type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral' | 'sim';

const GLYPH: Record<Tone, string> = { ok: '✓', warn: '◐', bad: '✕', info: '●', neutral: '○', sim: '◇' };

export function Badge(props: { tone: Tone; children: string; title?: string }) {
  return (
    <span className={`badge badge-${props.tone}`} title={props.title}>
      <span className="badge-glyph" aria-hidden="true">
        {GLYPH[props.tone]}
      </span>
      {props.children}
    </span>
  );
}

const POLICY_STATE: Record<PolicyState, [Tone, string]> = {
  active: ['ok', 'Active'],
  failing_over: ['warn', 'Failing over'],
  failed_over: ['neutral', 'Failed over'],
};
export function PolicyStateBadge({ state }: { state: PolicyState }) {
  const [tone, text] = POLICY_STATE[state];
  return <Badge tone={tone}>{text}</Badge>;
}

export const RECOVERY_POINT_STATUS: Record<RecoveryPointStatus, [Tone, string]> = {
  succeeded: ['ok', 'Succeeded'],
  partial: ['warn', 'Partial'],
  failed: ['bad', 'Failed'],
  in_progress: ['info', 'In progress'],
};
export function RecoveryPointStatusBadge({ status }: { status: RecoveryPointStatus }) {
  const [tone, text] = RECOVERY_POINT_STATUS[status];
  return <Badge tone={tone}>{text}</Badge>;
}

export const JOB_STATUS: Record<JobStatus, [Tone, string]> = {
  queued: ['neutral', 'Queued'],
  running: ['info', 'Running'],
  succeeded: ['ok', 'Succeeded'],
  failed: ['bad', 'Failed'],
  partially_failed: ['warn', 'Partially failed'],
  cancelled: ['neutral', 'Cancelled'],
};
export function JobStatusBadge({ status }: { status: JobStatus }) {
  const [tone, text] = JOB_STATUS[status];
  return <Badge tone={tone}>{text}</Badge>;
}

const STEP_STATUS: Record<StepStatus, [Tone, string]> = {
  pending: ['neutral', 'Pending'],
  running: ['info', 'Running'],
  succeeded: ['ok', 'Succeeded'],
  failed: ['bad', 'Failed'],
  skipped: ['neutral', 'Skipped'],
  cancelled: ['neutral', 'Cancelled'],
};
export function StepStatusBadge({ status }: { status: StepStatus }) {
  const [tone, text] = STEP_STATUS[status];
  return <Badge tone={tone}>{text}</Badge>;
}

export function SimulatedBadge() {
  return (
    <Badge tone="sim" title="Runs on the local rehearsal provider; no cloud is touched">
      Simulated
    </Badge>
  );
}
