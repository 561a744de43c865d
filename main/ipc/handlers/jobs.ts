// dr:jobs.*: job lists, one job's step journal, cancellation, retry of failed items, mappings.

import { notFound } from '../../core/errors';
import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupJobs(router: Router, s: Services): void {
  router.handle('dr:jobs.list', (req) => s.jobs.list(req));
  router.handle('dr:jobs.get', (req) => s.jobs.get(req.jobId));
  router.handle('dr:jobs.cancel', async (req) => {
    await s.jobs.cancel(req.jobId);
    return { ok: true as const };
  });
  router.handle('dr:jobs.retryFailed', (req) => {
    const r = s.engine.retryFailed(req.jobId);
    // The reopen itself is in the chain as a job transition; this names who asked for it.
    s.audit.record('operator', 'job.retryFailed', req.jobId, `job ${req.jobId}: ${r.retried} failed item(s) sent back to work`);
    return r;
  });
  router.handle('dr:jobs.mappings', (req) => {
    if (!s.repos.jobs.get(req.jobId)) throw notFound('Job', req.jobId);
    return s.repos.mappings.byJob(req.jobId);
  });
}
