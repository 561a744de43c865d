// dr:policies.*: resilience policies.

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupPolicies(router: Router, s: Services): void {
  router.handle('dr:policies.list', (req) => s.policies.list(req.state));
  router.handle('dr:policies.get', (req) => s.policies.get(req.policyId));
  router.handle('dr:policies.create', (req) => s.policies.create(req));
  router.handle('dr:policies.update', (req) => s.policies.update(req.policyId, req.expectedUpdatedAt, req.policy));
  router.handle('dr:policies.delete', (req) => {
    s.policies.delete(req.policyId);
    return { ok: true as const };
  });
}
