// dr:environments.*: regions and scopes inside accounts.

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupEnvironments(router: Router, s: Services): void {
  router.handle('dr:environments.list', (req) => s.environments.list(req.accountId));
  router.handle('dr:environments.create', (req) => s.environments.create(req));
  router.handle('dr:environments.delete', (req) => {
    s.environments.delete(req.environmentId);
    return { ok: true as const };
  });
}
