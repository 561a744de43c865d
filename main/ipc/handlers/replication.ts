// dr:replication.*: on-demand replication (the scheduler starts the others).

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupReplication(router: Router, s: Services): void {
  router.handle('dr:replication.run', async (req) => {
    // Offline: refuse at once with a sentence, rather than start a job whose every step would fail.
    await s.connectivity.requireForPolicy(req.policyId, 'Replication', 'both');
    return s.replication.start(req.policyId, 'manual', 'operator');
  });
}
