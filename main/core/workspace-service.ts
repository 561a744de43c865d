// The rehearsal workspace: three simulated accounts (AWS, Azure, Google Cloud), each with a source
// and a target environment in real region pairs, so an operator with no cloud account can try
// every screen. Idempotent: what already exists is reused.

import type { Cloud } from '../../shared/catalog';
import type { Repos } from '../db/repos';
import type { AccountsService } from './accounts-service';
import type { EnvironmentsService } from './environments-service';
import { precondition } from './errors';
import type { EventBus } from './events';
import type { InventoryService } from './inventory-service';
import type { ProviderRegistry } from './provider-registry';

interface RehearsalSpec {
  cloud: Cloud;
  account: string;
  source: { name: string; region: string; scope: string };
  target: { name: string; region: string; scope: string };
}

export const REHEARSAL: readonly RehearsalSpec[] = [
  {
    cloud: 'aws',
    account: 'Rehearsal AWS (simulated)',
    source: { name: 'Production', region: 'us-east-1', scope: '111122223333' },
    target: { name: 'Recovery', region: 'us-west-2', scope: '111122223333' },
  },
  {
    cloud: 'azure',
    account: 'Rehearsal Azure (simulated)',
    source: {
      name: 'Production',
      region: 'eastus',
      scope: '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-production',
    },
    target: {
      name: 'Recovery',
      region: 'westus2',
      scope: '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-recovery',
    },
  },
  {
    cloud: 'gcp',
    account: 'Rehearsal Google Cloud (simulated)',
    source: { name: 'Production', region: 'us-central1', scope: 'rehearsal-production' },
    target: { name: 'Recovery', region: 'us-east4', scope: 'rehearsal-recovery' },
  },
];

export interface WorkspaceServiceDeps {
  repos: Repos;
  providers: ProviderRegistry;
  accounts: AccountsService;
  environments: EnvironmentsService;
  inventory: InventoryService;
  events: EventBus;
}

export class WorkspaceService {
  constructor(private readonly d: WorkspaceServiceDeps) {}

  /** True once any account exists: the first-start offer is no longer needed. */
  ready(): boolean {
    return this.d.repos.accounts.count() > 0;
  }

  async createRehearsal(): Promise<{ accounts: number; environments: number; resources: number }> {
    const sim = this.d.providers.find('sim');
    if (!sim || !sim.simulated) throw precondition('This console has no rehearsal provider.');
    const sources: string[] = [];
    let environments = 0;
    let accounts = 0;
    for (const spec of REHEARSAL) {
      if (!sim.clouds.includes(spec.cloud)) continue;
      const existing = this.d.repos.accounts.findByName(spec.account);
      if (existing && existing.provider !== 'sim') {
        throw precondition(`An account named "${spec.account}" exists and is not simulated; rename it to create the rehearsal workspace.`);
      }
      const accountId =
        existing?.id ??
        this.d.accounts.create({ name: spec.account, provider: 'sim', cloud: spec.cloud, credentials: { kind: 'none' } }).id;
      accounts += 1;
      for (const [role, env] of [['source', spec.source], ['target', spec.target]] as const) {
        const found = this.d.repos.environments.findByName(accountId, env.name);
        const id = found?.id ?? this.d.environments.create({ accountId, name: env.name, region: env.region, scope: env.scope }).id;
        environments += 1;
        if (role === 'source') sources.push(id);
      }
    }
    let resources = 0;
    for (const envId of sources) resources += (await this.d.inventory.discover(envId)).length;
    this.d.events.emit('dr:policies.changed', { policyId: null });
    return { accounts, environments, resources };
  }
}
