// dr:audit.*: the audit log, newest first.

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupAudit(router: Router, s: Services): void {
  router.handle('dr:audit.list', (req) => s.repos.audit.list(req));
}
