// dr:accounts.*: cloud accounts; credentials go in, only names and metadata come out.

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupAccounts(router: Router, s: Services): void {
  router.handle('dr:accounts.list', () => s.accounts.list());
  router.handle('dr:accounts.create', (req) => s.accounts.create(req));
  router.handle('dr:accounts.delete', (req) => {
    s.accounts.delete(req.accountId);
    return { ok: true as const };
  });
  router.handle('dr:accounts.test', (req) => s.accounts.test(req.accountId));
  router.handle('dr:accounts.awsProfiles', () => s.accounts.awsProfiles());
}
