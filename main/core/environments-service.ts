// Environments (a region and scope inside an account): create, list, delete while no policy uses one.

import type { EnvironmentCreateInput, EnvironmentView } from '../../shared/domain';
import { parseScope } from '../../shared/scope';
import type { AuditActor } from '../db/audit-repo';
import { toEnvironmentView } from '../db/environments-repo';
import type { Repos } from '../db/repos';
import type { AuditLog } from './audit-log';
import type { Clock } from './clock';
import { conflict, invalid, notFound, precondition } from './errors';
import { newId } from './ids';

export interface EnvironmentsServiceDeps {
  repos: Repos;
  audit: AuditLog;
  clock: Clock;
}

export class EnvironmentsService {
  constructor(private readonly d: EnvironmentsServiceDeps) {}

  list(accountId?: string): EnvironmentView[] {
    return this.d.repos.environments.list(accountId).map(toEnvironmentView);
  }

  get(id: string): EnvironmentView {
    const env = this.d.repos.environments.get(id);
    if (!env) throw notFound('Environment', id);
    return toEnvironmentView(env);
  }

  create(input: EnvironmentCreateInput, actor: AuditActor = 'operator'): EnvironmentView {
    const id = newId('env');
    const name = input.name.trim();
    this.d.repos.db.transaction(() => {
      const account = this.d.repos.accounts.get(input.accountId);
      if (!account) throw notFound('Account', input.accountId);
      // The scope is checked once, here, against the account's cloud; providers get it typed.
      const parsed = parseScope(account.cloud, input.region, input.scope);
      if (!parsed.ok) throw invalid(parsed.message, [{ path: parsed.field, message: parsed.message }]);
      if (this.d.repos.environments.findByName(account.id, name)) {
        throw conflict(`Account "${account.name}" already has an environment named "${name}".`);
      }
      this.d.repos.environments.insert({
        id,
        accountId: account.id,
        name,
        region: input.region.trim(),
        scope: parsed.scope,
        createdAt: this.d.clock.iso(),
      });
      this.d.audit.record(actor, 'environment.create', id, `${name} (${account.name}, ${input.region.trim()})`);
    }).immediate();
    return this.get(id);
  }

  delete(id: string, actor: AuditActor = 'operator'): void {
    this.d.repos.db.transaction(() => {
      const env = this.d.repos.environments.get(id);
      if (!env) throw notFound('Environment', id);
      const policies = this.d.repos.environments.policyCount(id);
      if (policies > 0) {
        throw precondition(
          `Environment "${env.name}" is used by ${policies} polic${policies === 1 ? 'y' : 'ies'}; delete ${policies === 1 ? 'it' : 'them'} first.`,
        );
      }
      this.d.repos.environments.delete(id);
      this.d.audit.record(actor, 'environment.delete', id, env.name);
    }).immediate();
  }
}
