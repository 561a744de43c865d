// The toast region: a live status region that is always mounted, so screen readers announce a
// finished job when its notice appears. Each notice links to the job, and leaves once that job's
// view is open (the operator is looking at it). The region is a tray in the shell's layout, below
// the page's scroll container, so a notice never covers content.

import { useEffect } from 'react';
import { useApp } from '../shell/app-store';
import { useJobs } from '../policy-details/jobs-store';
import { useToasts } from './toasts-store';

const GLYPH = { ok: '✓', warn: '◐', bad: '✕', neutral: '○' } as const;

export function Toasts() {
  const toasts = useToasts((s) => s.toasts);
  const dismiss = useToasts((s) => s.dismiss);
  const navigate = useApp((s) => s.navigate);
  useEffect(() => {
    const check = () => {
      const route = useApp.getState().route;
      const jobs = useJobs.getState();
      if (route.name !== 'policy' || route.tab !== 'jobs' || jobs.policyId !== route.policyId || !jobs.selectedJobId) return;
      for (const t of useToasts.getState().toasts) if (t.jobId === jobs.selectedJobId) useToasts.getState().dismiss(t.id);
    };
    check();
    const stops = [useApp.subscribe(check), useJobs.subscribe(check), useToasts.subscribe(check)];
    return () => stops.forEach((stop) => stop());
  }, []);
  return (
    <div className="toasts" role="status" aria-live="polite" aria-label="Notifications">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.tone}`}>
          <span className="toast-glyph" aria-hidden="true">
            {GLYPH[t.tone]}
          </span>
          <div className="toast-body">
            <p className="toast-title">{t.title}</p>
            {t.body && <p className="toast-text">{t.body}</p>}
            <button
              type="button"
              className="linklike small"
              onClick={() => {
                useJobs.getState().open(t.policyId);
                useJobs.getState().select(t.jobId);
                navigate({ name: 'policy', policyId: t.policyId, tab: 'jobs' });
                dismiss(t.id);
              }}
            >
              View job
            </button>
          </div>
          <button type="button" className="btn btn-ghost btn-small toast-close" aria-label={`Dismiss: ${t.title}`} onClick={() => dismiss(t.id)}>
            <span aria-hidden="true">×</span>
          </button>
        </div>
      ))}
    </div>
  );
}
