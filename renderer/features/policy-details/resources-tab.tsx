// The Resources tab: what the policy protects, with the catalog's labels.

import { CLOUD_LABELS, resourceType } from '../../../shared/catalog';
import type { PolicyDetails } from '../../../shared/domain';
import { Badge } from '../../components/badges';

export function ResourcesTab({ policy }: { policy: PolicyDetails }) {
  if (policy.resources.length === 0) return <p className="empty-inline">This policy protects no resources.</p>;
  const sorted = [...policy.resources].sort(
    (a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name),
  );
  return (
    <div className="panel">
      <div className="table-scroll">
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
            {sorted.map((r) => {
              const t = resourceType(r.type);
              return (
                <tr key={r.id}>
                  <th scope="row" className="cell-name">
                    {r.name || r.nativeId}
                  </th>
                  <td>{t.label}</td>
                  <td>{CLOUD_LABELS[t.cloud]}</td>
                  <td className="mono cell-truncate" title={r.nativeId}>
                    {r.nativeId}
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
      </div>
    </div>
  );
}
