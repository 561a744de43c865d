// dr:webhooks.*: the webhook deliveries of a job (R8), as the job view shows them.

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupWebhooks(router: Router, s: Services): void {
  router.handle('dr:webhooks.list', (req) => s.webhooks.list(req.jobId));
}
