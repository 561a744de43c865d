// The simulated regions' inventories: generated once per account and region from a seeded PRNG,
// persisted as origin='inventory' rows, and read back unchanged on every later discovery.

import { describeScope } from '../../../shared/scope';
import { resourceType, type Cloud } from '../../../shared/catalog';
import type { DiscoveredResource } from '../../../shared/domain';
import type { EnvLike } from './naming';
import { Picker, seededRandom } from './prng';
import type { SimCloud } from './sim-cloud';
import { insertResource, nativeIdTaken, queryResources, type SimResource } from './sim-store';
import type { InventoryGen, SimTypeBase } from './type-spec';

const TEAMS = ['platform', 'payments', 'web', 'data', 'checkout', 'identity'] as const;

export class SimInventory {
  constructor(
    private readonly cloud: SimCloud,
    private readonly specs: readonly SimTypeBase[],
  ) {}

  /** Generates the region's inventory the first time anyone looks at it; a no-op afterwards. */
  ensure(env: EnvLike & { account: { id: string; cloud: Cloud } }): void {
    const db = this.cloud.db;
    const seen = db
      .prepare(`SELECT 1 FROM sim_resources WHERE account_id = ? AND region = ? AND origin = 'inventory' LIMIT 1`)
      .get(env.account.id, env.region);
    if (seen) return;
    const pick = new Picker(seededRandom(`${env.account.id}|${env.region}`));
    const sharedValues = new Map<string, unknown>();
    const createdAt = this.cloud.now();
    db.transaction(() => {
      // Another connection may have generated it between the check and this transaction.
      const again = db
        .prepare(`SELECT 1 FROM sim_resources WHERE account_id = ? AND region = ? AND origin = 'inventory' LIMIT 1`)
        .get(env.account.id, env.region);
      if (again) return;
      for (const spec of this.specs) {
        if (resourceType(spec.type).cloud !== env.account.cloud) continue;
        const used = new Set<string>();
        const gen: InventoryGen = {
          pick,
          env,
          name(pool) {
            const free = pool.filter((n) => !used.has(n));
            const chosen = free.length > 0 ? pick.pick(free) : `${pick.pick(pool)}-${used.size + 1}`;
            used.add(chosen);
            return chosen;
          },
          shared<T>(key: string, make: () => T): T {
            if (!sharedValues.has(key)) sharedValues.set(key, make());
            return sharedValues.get(key) as T;
          },
          tags(app) {
            return { env: 'production', app, owner: pick.pick(TEAMS), 'cost-center': `cc-${pick.digits(4)}` };
          },
        };
        const count = pick.int(spec.inventory.count[0], spec.inventory.count[1]);
        for (let i = 0; i < count; i++) {
          // A name the console already used here (a replica, a failed-over copy) is skipped, as a
          // customer could not have created it twice either.
          for (let attempt = 0; attempt < 4; attempt++) {
            const seed = spec.inventory.make(gen);
            if (nativeIdTaken(db, env.account.id, seed.nativeId)) continue;
            insertResource(db, {
              accountId: env.account.id,
              region: env.region,
              scope: describeScope(env.scope),
              type: spec.type,
              kind: seed.kind,
              nativeId: seed.nativeId,
              name: seed.name,
              tags: seed.tags,
              attributes: seed.attributes,
              origin: 'inventory',
              createdAt,
            });
            for (const extra of seed.extras ?? []) {
              if (nativeIdTaken(db, env.account.id, extra.nativeId)) continue;
              insertResource(db, {
                accountId: env.account.id,
                region: extra.region,
                scope: describeScope(env.scope),
                type: extra.kind,
                kind: extra.kind,
                nativeId: extra.nativeId,
                name: extra.name,
                tags: extra.tags,
                attributes: extra.attributes,
                origin: 'inventory',
                createdAt,
              });
            }
            break;
          }
        }
      }
    })();
  }

  list(accountId: string, region: string, type: string): SimResource[] {
    return queryResources(this.cloud.db, { accountId, region, type, origin: 'inventory' });
  }

  describe(spec: SimTypeBase, r: SimResource): DiscoveredResource {
    return {
      type: spec.type,
      nativeId: r.nativeId,
      name: r.name,
      region: r.region,
      tags: r.tags,
      summary: spec.inventory.summarize(r).slice(0, 256),
    };
  }
}
