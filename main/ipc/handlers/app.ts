// dr:app.* and dr:workspace.*: what the console runs with, and the first-start rehearsal workspace.

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupApp(router: Router, s: Services): void {
  router.handle('dr:app.info', () => ({
    version: s.app.version,
    platform: s.app.platform,
    workspaceReady: s.workspace.ready(),
    storage: s.storage.status(),
    providers: s.providers.list().map((p) => ({ kind: p.kind, label: p.label, simulated: p.simulated, clouds: [...p.clouds] })),
  }));
  router.handle('dr:workspace.createRehearsal', () => s.workspace.createRehearsal());
  router.handle('dr:storage.recheck', () => s.storage.recheck());
  router.handle('dr:backups.list', () => s.backups.list());
  router.handle('dr:backups.create', () => s.backups.create('manual'));
  router.handle('dr:backups.restore', (req) => s.backups.requestRestore(req.name));
}
