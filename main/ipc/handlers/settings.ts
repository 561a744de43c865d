// dr:settings.*: the operator's preferences (the display time zone).

import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupSettings(router: Router, s: Services): void {
  router.handle('dr:settings.get', () => s.settings.get());
  router.handle('dr:settings.update', (req) => s.settings.update(req));
}
