// dr:reports.*, dr:audit.verify/facets/export, dr:operator.*: job reports, the audit chain and who
// the audit log names.

import { OPERATOR_NAME_KEY } from '../../core/audit-log';
import type { Services } from '../../core/services';
import type { Router } from '../router';

export function setupEvidence(router: Router, s: Services): void {
  router.handle('dr:reports.export', (req) => s.reports.exportJob(req.jobId, req.format));
  router.handle('dr:audit.export', ({ format, ...filter }) => s.reports.exportAudit(filter, format));
  router.handle('dr:audit.facets', () => s.repos.audit.facets());
  router.handle('dr:audit.verify', () => {
    const v = s.repos.audit.verify();
    return v.ok
      ? { ...v, message: v.entries === 0 ? 'The audit log is empty.' : `All ${v.entries.toLocaleString('en')} entries verify; the chain is intact.` }
      : { ...v, message: `The audit chain is broken at entry ${v.brokenId}. ${v.reason}` };
  });
  const operator = () => ({ operatorName: s.audit.operatorName(), osUser: s.audit.osUser(), host: s.audit.host() });
  router.handle('dr:operator.get', operator);
  router.handle('dr:operator.set', (req) => {
    const before = s.audit.operatorName();
    const next = req.operatorName?.trim() ? req.operatorName.trim() : null;
    if (next !== before) {
      s.repos.db.transaction(() => {
        if (next === null) s.repos.settings.delete(OPERATOR_NAME_KEY);
        else s.repos.settings.set(OPERATOR_NAME_KEY, next);
        s.audit.record('operator', 'settings.operatorName', null, `${before ?? '(none)'} -> ${next ?? '(none)'}`);
      })();
    }
    return operator();
  });
}
