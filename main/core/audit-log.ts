// Records every mutating action with its actor. Callers pass names and ids only: secrets, tokens
// and credential fields must never reach this table.

import type { AuditActor, AuditRepo } from '../db/audit-repo';
import type { Clock } from './clock';

export class AuditLog {
  constructor(
    private readonly repo: AuditRepo,
    private readonly clock: Clock,
  ) {}

  record(actor: AuditActor, action: string, subjectId: string | null, detail = ''): void {
    this.repo.record({ at: this.clock.iso(), actor, action, subjectId, detail });
  }
}
