// dr:testFailover.* and dr:testResources.*: test failover, Reset, and what is still up (R1).

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupTestFailover(router: Router, s: Services): void {
  router.handle('dr:testFailover.run', async (req) => {
    await s.connectivity.requireForPolicy(req.policyId, 'Test failover', 'target');
    return s.testFailover.run(req.policyId, req.recoveryPointId, 'operator');
  });
  router.handle('dr:testFailover.reset', async (req) => {
    await s.connectivity.requireForPolicy(req.policyId, 'Reset', 'target');
    return s.testFailover.reset(req.policyId, 'operator');
  });
  router.handle('dr:testResources.list', (req) => s.testFailover.list(req.policyId, req.includeDeleted ?? false));
}
