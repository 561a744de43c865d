// dr:connectivity.*, dr:rebuild.*, dr:handover.*, dr:passphrase.*: the disaster-room features of
// issue 12 (connectivity per account, rebuild from the clouds, handover bundle, passphrase lock).

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupOffline(router: Router, s: Services): void {
  router.handle('dr:connectivity.list', () => s.connectivity.list());
  router.handle('dr:connectivity.check', (req) => s.connectivity.check(req.accountId));
  router.handle('dr:rebuild.run', (req) => s.rebuild.run(req.environmentIds));
  router.handle('dr:handover.export', (req) => s.handover.export(req.passphrase, req.includeCredentials));
  router.handle('dr:handover.import', (req) => s.handover.import(req.bundleBase64, req.passphrase));
  router.handle('dr:passphrase.status', () => s.passphrase.status());
  router.handle('dr:passphrase.set', (req) => s.passphrase.set(req.passphrase));
  router.handle('dr:passphrase.unlock', (req) => s.passphrase.unlock(req.passphrase));
  router.handle('dr:passphrase.change', (req) => s.passphrase.change(req.current, req.next));
}
