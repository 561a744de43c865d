// A labelled progress bar for a job: done, failed and total steps, with the numbers in text.

export function ProgressBar(props: { label: string; done: number; failed: number; total: number }) {
  const total = Math.max(props.total, 0);
  const pct = total === 0 ? 0 : Math.min(100, Math.round((props.done / total) * 100));
  const failedPct = total === 0 ? 0 : Math.min(100, (props.failed / total) * 100);
  return (
    <div className="progress">
      <div className="progress-text">
        <span className="progress-label">{props.label}</span>
        <span className="tabular">
          {props.done.toLocaleString('en-GB')} of {total.toLocaleString('en-GB')} steps
          {props.failed > 0 && <span className="text-bad"> · {props.failed.toLocaleString('en-GB')} failed</span>} · {pct}%
        </span>
      </div>
      <div
        className="progress-track"
        role="progressbar"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={props.done}
        aria-valuetext={`${props.done} of ${total} steps done${props.failed ? `, ${props.failed} failed` : ''}`}
      >
        <div className="progress-fill" style={{ width: `${pct}%` }} />
        {failedPct > 0 && <div className="progress-fill-bad" style={{ width: `${failedPct}%` }} />}
      </div>
    </div>
  );
}
