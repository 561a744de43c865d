// Registers every domain's handlers on the router; the contract test proves none is missing.

import type { Services } from '../../core/services';
import type { Router } from '../router';
import { setupAccounts } from './accounts';
import { setupApp } from './app';
import { setupAudit } from './audit';
import { setupEnvironments } from './environments';
import { setupEvidence } from './evidence';
import { setupFailover } from './failover';
import { setupInventory } from './inventory';
import { setupJobs } from './jobs';
import { setupPolicies } from './policies';
import { setupRecoveryPoints } from './recovery-points';
import { setupReplication } from './replication';
import { setupSettings } from './settings';
import { setupTestFailover } from './test-failover';
import { setupWebhooks } from './webhooks';
import { setupOffline } from './offline';
import { setupAzure } from './azure';

export function setupAll(router: Router, services: Services): void {
  setupApp(router, services);
  setupSettings(router, services);
  setupAccounts(router, services);
  setupEnvironments(router, services);
  setupInventory(router, services);
  setupPolicies(router, services);
  setupReplication(router, services);
  setupRecoveryPoints(router, services);
  setupJobs(router, services);
  setupTestFailover(router, services);
  setupFailover(router, services);
  setupAudit(router, services);
  setupEvidence(router, services);
  setupWebhooks(router, services);
  setupOffline(router, services);
  setupAzure(router, services);
}
