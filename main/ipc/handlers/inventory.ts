// dr:inventory.*: discovery of what lives in an environment.

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupInventory(router: Router, s: Services): void {
  router.handle('dr:inventory.discover', async (req) => {
    const env = s.repos.environments.get(req.environmentId);
    if (env) await s.connectivity.requireReachable([env.accountId], `Discovery in ${env.name}`);
    return s.inventory.discover(req.environmentId);
  });
}
