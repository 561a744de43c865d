// The Resources tab: what the policy protects, with the catalog's labels, a search over names and
// native ids, and filters by type and by the recovery point failover uses.

import { useMemo, useState } from 'react';
import { CLOUD_LABELS, resourceType, type ResourceTypeId } from '../../../shared/catalog';
import type { PolicyDetails } from '../../../shared/domain';
import { Badge } from '../../components/badges';
import { plural } from '../../components/format';
import { LongId } from '../../components/long-id';
import { TableScroll } from '../../components/table-scroll';

type PointFilter = '' | 'latest' | 'selected';

export function filterResources<R extends { name: string; nativeId: string; type: ResourceTypeId }>(
  resources: readonly R[],
  query: string,
  type: ResourceTypeId | '',
  point: PointFilter,
): R[] {
  const q = query.trim().toLowerCase();
  return resources.filter((r) => {
    if (type && r.type !== type) return false;
    if (point && resourceType(r.type).usesLatestPoint !== (point === 'latest')) return false;
    return !q || r.name.toLowerCase().includes(q) || r.nativeId.toLowerCase().includes(q);
  });
}

export function ResourcesTab({ policy }: { policy: PolicyDetails }) {
  const [query, setQuery] = useState('');
  const [type, setType] = useState<ResourceTypeId | ''>('');
  const [point, setPoint] = useState<PointFilter>('');
  const sorted = useMemo(
    () => [...policy.resources].sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name)),
    [policy.resources],
  );
  const types = useMemo(() => [...new Set(sorted.map((r) => r.type))], [sorted]);
  const shown = useMemo(() => filterResources(sorted, query, type, point), [sorted, query, type, point]);
  if (policy.resources.length === 0) return <p className="empty-inline">This policy protects no resources.</p>;
  return (
    <div className="panel">
      <div className="panel-header">
        <label className="search">
          <span className="visually-hidden">Search resources</span>
          <input type="search" placeholder="Search name or native id" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
        <label className="inline-field">
          <span>Type</span>
          <select value={type} onChange={(e) => setType(e.target.value as ResourceTypeId | '')}>
            <option value="">All types</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {resourceType(t).label}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span>Failover uses</span>
          <select value={point} onChange={(e) => setPoint(e.target.value as PointFilter)}>
            <option value="">Any point</option>
            <option value="selected">Selected point</option>
            <option value="latest">Latest point</option>
          </select>
        </label>
        <span className="counter tabular" aria-live="polite" data-testid="resources-count">
          {shown.length === sorted.length ? plural(sorted.length, 'resource') : `${shown.length} of ${plural(sorted.length, 'resource')}`}
        </span>
      </div>
      <TableScroll label="Protected resources table">
        <table className="table">
          <caption className="visually-hidden">Protected resources of {policy.name}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Cloud</th>
              <th scope="col">Native id</th>
              <th scope="col">Failover uses</th>
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 && (
              <tr>
                <td colSpan={5} className="empty-cell">
                  No resource matches the search or the filters.
                </td>
              </tr>
            )}
            {shown.map((r) => {
              const t = resourceType(r.type);
              return (
                <tr key={r.id}>
                  <th scope="row" className="cell-name">
                    {r.name || r.nativeId}
                  </th>
                  <td>{t.label}</td>
                  <td>{CLOUD_LABELS[t.cloud]}</td>
                  <td className="cell-id">
                    <LongId value={r.nativeId} label="native id" />
                  </td>
                  <td>
                    {t.usesLatestPoint ? (
                      <Badge tone="info" title="Failover of this type always applies the latest successful recovery point">
                        Latest point
                      </Badge>
                    ) : (
                      <span className="muted">Selected point</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
    </div>
  );
}
