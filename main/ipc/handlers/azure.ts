// dr:azure.*: a person's sign-in to Azure (system browser or device code) before the account exists,
// and the tenants, subscriptions and resource groups the Add account / Add environment dialogs offer.

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupAzure(router: Router, s: Services): void {
  router.handle('dr:azureSignIn.start', (req) => s.azure.signInStart(req));
  router.handle('dr:azureSignIn.wait', (req) => s.azure.signInWait(req.signInId, req.afterSeq));
  router.handle('dr:azureSignIn.cancel', (req) => s.azure.signInCancel(req.signInId));
  router.handle('dr:azureSignIn.startForAccount', (req) => s.azure.signInStartForAccount(req.accountId, req.method));
  router.handle('dr:azureSignIn.renew', (req) => s.accounts.renewAzureSignIn(req.accountId, req.signInId));
  router.handle('dr:azure.tenants', (req) => s.azure.tenants(req));
  router.handle('dr:azure.subscriptions', (req) => s.azure.subscriptions(req.accountId));
  router.handle('dr:azure.resourceGroups', (req) => s.azure.resourceGroups(req.accountId, req.subscriptionId));
  router.handle('dr:azure.testScope', (req) => s.azure.testScope(req.accountId, req.subscriptionId));
}
