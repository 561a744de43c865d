// dr:replication.*: on-demand replication (the scheduler starts the others).

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupReplication(router: Router, s: Services): void {
  router.handle('dr:replication.run', (req) => s.replication.start(req.policyId, 'manual', 'operator'));
}
