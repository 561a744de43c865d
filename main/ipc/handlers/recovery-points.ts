// dr:recoveryPoints.*: the recovery point picker and one point's items.

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupRecoveryPoints(router: Router, s: Services): void {
  router.handle('dr:recoveryPoints.list', (req) => s.recoveryPoints.list(req));
  router.handle('dr:recoveryPoints.get', (req) => s.recoveryPoints.get(req.recoveryPointId));
}
