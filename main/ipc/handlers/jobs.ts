// dr:jobs.*: job lists, one job's step journal, cancellation.

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupJobs(router: Router, s: Services): void {
  router.handle('dr:jobs.list', (req) => s.jobs.list(req));
  router.handle('dr:jobs.get', (req) => s.jobs.get(req.jobId));
  router.handle('dr:jobs.cancel', async (req) => {
    await s.jobs.cancel(req.jobId);
    return { ok: true as const };
  });
}
