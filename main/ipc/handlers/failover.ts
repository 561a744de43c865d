// dr:failover.*: the plan with its single-use token, and the one-time start (R2-R6).

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupFailover(router: Router, s: Services): void {
  router.handle('dr:failover.prepare', (req) => s.failover.prepare(req.policyId, req.recoveryPointId));
  router.handle('dr:failover.start', (req) => s.failover.start(req.token, 'operator', { leaseOverride: req.leaseOverride }));
  router.handle('dr:failover.lease', (req) => s.leases.local(req.policyId));
}
