// All repositories over one connection, built once by the composition root.

import type { Db } from './connection';
import { AccountsRepo } from './accounts-repo';
import { AuditRepo } from './audit-repo';
import { EnvironmentsRepo } from './environments-repo';
import { JobsRepo } from './jobs-repo';
import { MappingsRepo } from './mappings-repo';
import { PoliciesRepo } from './policies-repo';
import { RecoveryPointsRepo } from './recovery-points-repo';
import { SettingsRepo } from './settings-repo';
import { TestResourcesRepo } from './test-resources-repo';

export interface Repos {
  db: Db;
  settings: SettingsRepo;
  accounts: AccountsRepo;
  environments: EnvironmentsRepo;
  policies: PoliciesRepo;
  jobs: JobsRepo;
  recoveryPoints: RecoveryPointsRepo;
  audit: AuditRepo;
  testResources: TestResourcesRepo;
  mappings: MappingsRepo;
}

export function createRepos(db: Db): Repos {
  return {
    db,
    settings: new SettingsRepo(db),
    accounts: new AccountsRepo(db),
    environments: new EnvironmentsRepo(db),
    policies: new PoliciesRepo(db),
    jobs: new JobsRepo(db),
    recoveryPoints: new RecoveryPointsRepo(db),
    audit: new AuditRepo(db),
    testResources: new TestResourcesRepo(db),
    mappings: new MappingsRepo(db),
  };
}
