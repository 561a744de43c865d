// Recovery point queries: a filtered page for the picker and one point with its items.

import type { RecoveryPointDetails, RecoveryPointView } from '../../shared/domain';
import type { Repos } from '../db/repos';
import type { RecoveryPointFilter } from '../db/recovery-points-repo';
import { notFound } from './errors';

export class RecoveryPointsService {
  constructor(private readonly d: { repos: Repos }) {}

  list(f: RecoveryPointFilter): {
    total: number;
    offset: number;
    items: RecoveryPointView[];
  } {
    if (!this.d.repos.policies.get(f.policyId)) throw notFound('Policy', f.policyId);
    return this.d.repos.recoveryPoints.list(f);
  }

  get(recoveryPointId: string): RecoveryPointDetails {
    const point = this.d.repos.recoveryPoints.get(recoveryPointId);
    if (!point) throw notFound('Recovery point', recoveryPointId);
    return { ...point, items: this.d.repos.recoveryPoints.itemViews(recoveryPointId) };
  }
}
