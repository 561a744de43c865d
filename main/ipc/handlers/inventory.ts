// dr:inventory.*: discovery of what lives in an environment.

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupInventory(router: Router, s: Services): void {
  router.handle('dr:inventory.discover', (req) => s.inventory.discover(req.environmentId));
}
