// The Recovery points tab: a virtualized, keyboard-operable listbox over every point of the policy
// (pages fetched on demand), filters, and a side panel with the inspected point's items. Only
// succeeded points can become the failover source; the others say why not.

import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { resourceType } from '../../../shared/catalog';
import type { RecoveryPointStatus, RecoveryPointView } from '../../../shared/domain';
import { Badge, RecoveryPointStatusBadge } from '../../components/badges';
import { useNow } from '../../components/clock-store';
import { ErrorAlert } from '../../components/error-alert';
import { formatAbsolute, formatRelative, plural } from '../../components/format';
import { SkeletonBlock } from '../../components/skeleton';
import { TableScroll } from '../../components/table-scroll';
import { useFailover } from '../failover/failover-store';
import { canBeFailoverSource, notSelectableReason, useRecoveryPoints } from './recovery-points-store';

const ROW_HEIGHT = 52;
const STATUS_OPTIONS: { value: RecoveryPointStatus | ''; label: string }[] = [
  { value: '', label: 'All statuses' },
  { value: 'succeeded', label: 'Succeeded' },
  { value: 'partial', label: 'Partial' },
  { value: 'failed', label: 'Failed' },
  { value: 'in_progress', label: 'In progress' },
];

export function RecoveryPointsTab({ policyId, failoverAllowed }: { policyId: string; failoverAllowed: boolean }) {
  const store = useRecoveryPoints();
  // The tab remounts per policy; a query typed for another policy must not carry over.
  const [search, setSearch] = useState(() => (store.policyId === policyId ? store.query : ''));

  useEffect(() => {
    useRecoveryPoints.getState().open(policyId);
  }, [policyId]);

  useEffect(() => {
    // Typing is cheap; asking the core for every keystroke is not.
    if (search === useRecoveryPoints.getState().query) return;
    const t = setTimeout(() => useRecoveryPoints.getState().setQuery(search), 200);
    return () => clearTimeout(t);
  }, [search]);

  return (
    <div className="rp-layout">
      <div className="rp-toolbar">
        <label className="inline-field">
          <span>Status</span>
          <select value={store.status} onChange={(e) => store.setStatus(e.target.value as RecoveryPointStatus | '')}>
            {STATUS_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <label className="search">
          <span className="visually-hidden">Search recovery points</span>
          <input type="search" placeholder="Search by UTC time (2026-11-26T10) or id" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <span className="counter tabular" aria-live="polite">
          {store.total === null ? 'Loading…' : plural(store.total, 'recovery point')}
        </span>
        <span className="toolbar-spacer" />
        {/* Upper right: the failover source and the Failover that runs from it (R5). */}
        <div className="rp-selection" data-testid="failover-source">
          {store.selected ? (
            <span className="muted">
              Failover source <span className="mono small">{store.selected.id}</span>
            </span>
          ) : (
            <span className="muted">Select a succeeded recovery point to use it as failover source</span>
          )}
          {failoverAllowed && (
            // The one Failover while a point is selected (the header's is hidden then): it names the point.
            <button
              type="button"
              className="btn btn-danger"
              disabled={!store.selected}
              onClick={() => store.selected && void useFailover.getState().openFor(policyId, store.selected.id)}
            >
              {store.selected ? `Failover from ${formatAbsolute(store.selected.createdAt, { seconds: true })}` : 'Failover'}
            </button>
          )}
        </div>
      </div>
      {store.error && <ErrorAlert error={store.error} onRetry={() => void store.refresh()} compact />}
      <div className="rp-columns">
        <PointList />
        <PointPanel />
      </div>
    </div>
  );
}

function PointList() {
  const total = useRecoveryPoints((s) => s.total);
  const pages = useRecoveryPoints((s) => s.pages);
  const inspected = useRecoveryPoints((s) => s.inspected);
  const selected = useRecoveryPoints((s) => s.selected);
  const { ensureRange, pointAt, inspect } = useRecoveryPoints.getState();
  const now = useNow();
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);

  const count = total ?? 0;
  // The virtualizer's functions are not memoizable; this component opts out of the compiler's memoization.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    if (count > 0) ensureRange(first, last);
  }, [first, last, count, pages, ensureRange]);

  useEffect(() => {
    if (active >= count && count > 0) setActive(count - 1);
  }, [active, count]);

  const choose = (index: number) => {
    const p = pointAt(index);
    setActive(index);
    if (p) inspect(p);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (count === 0) return;
    const pageRows = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT * 10) / ROW_HEIGHT) - 1);
    let next: number;
    switch (e.key) {
      case 'ArrowDown':
        next = Math.min(count - 1, active + 1);
        break;
      case 'ArrowUp':
        next = Math.max(0, active - 1);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = count - 1;
        break;
      case 'PageDown':
        next = Math.min(count - 1, active + pageRows);
        break;
      case 'PageUp':
        next = Math.max(0, active - pageRows);
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        choose(active);
        return;
      default:
        return;
    }
    e.preventDefault();
    virtualizer.scrollToIndex(next, { align: 'auto' });
    // Selection follows focus, as in a single-select listbox; unloaded rows are chosen on arrival.
    choose(next);
  };

  if (total === null) return <div className="rp-list rp-list-loading"><SkeletonBlock label="Loading recovery points" lines={8} /></div>;
  if (total === 0) {
    return (
      <div className="rp-list rp-empty">
        <p className="empty-title">No recovery points</p>
        <p className="muted">Run replication to create the first one, or change the filters.</p>
      </div>
    );
  }
  const activeId = pointAt(active) ? `rp-opt-${active}` : undefined;
  return (
    <div
      ref={scrollRef}
      className="rp-list"
      role="listbox"
      aria-label="Recovery points"
      tabIndex={0}
      aria-activedescendant={activeId}
      onKeyDown={onKeyDown}
    >
      <div className="rp-canvas" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((v) => {
          const p = pointAt(v.index);
          const style = { transform: `translateY(${v.start}px)`, height: v.size };
          if (!p) {
            return (
              <div key={v.key} className="rp-row rp-row-placeholder" style={style}>
                <span className="skeleton" aria-hidden="true" />
              </div>
            );
          }
          return (
            <PointRow
              key={v.key}
              id={`rp-opt-${v.index}`}
              point={p}
              index={v.index}
              setSize={count}
              active={v.index === active}
              inspected={inspected?.id === p.id}
              selected={selected?.id === p.id}
              now={now}
              style={style}
              onChoose={() => choose(v.index)}
            />
          );
        })}
      </div>
    </div>
  );
}

function PointRow(props: {
  id: string;
  point: RecoveryPointView;
  index: number;
  setSize: number;
  active: boolean;
  inspected: boolean;
  selected: boolean;
  now: number;
  style: { transform: string; height: number };
  onChoose: () => void;
}) {
  const p = props.point;
  const reason = notSelectableReason(p);
  const ok = p.itemCount - p.failedItemCount;
  const cls = ['rp-row', props.active ? 'active' : '', props.inspected ? 'inspected' : '', props.selected ? 'selected' : '', reason ? 'unselectable' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div
      id={props.id}
      role="option"
      aria-selected={props.selected}
      aria-disabled={reason ? true : undefined}
      aria-posinset={props.index + 1}
      aria-setsize={props.setSize}
      className={cls}
      style={props.style}
      onClick={props.onChoose}
    >
      <div className="rp-row-main">
        <time className="rp-time tabular" dateTime={p.createdAt}>
          {formatAbsolute(p.createdAt, { seconds: true })}
        </time>
        <span className="rp-rel muted">{formatRelative(p.createdAt, props.now)}</span>
      </div>
      <div className="rp-row-meta">
        <RecoveryPointStatusBadge status={p.status} />
        <span className="tabular small">
          {ok} ok{p.failedItemCount > 0 && <span className="text-bad"> · {p.failedItemCount} failed</span>}
        </span>
        {reason && (
          <span className="rp-reason small" title={`Not selectable for failover: ${reason}`}>
            Not selectable<span className="visually-hidden">: {reason}</span>
          </span>
        )}
      </div>
    </div>
  );
}

function PointPanel() {
  const { inspected, details, detailsLoading, detailsError, reloadDetails } = useRecoveryPoints();
  const now = useNow();
  if (!inspected) {
    return (
      <aside className="rp-panel rp-panel-empty" aria-label="Recovery point details">
        <p className="empty-title">No recovery point selected</p>
        <p className="muted">Choose a recovery point on the left (arrow keys or click) to see what it captured for each resource.</p>
      </aside>
    );
  }
  const reason = notSelectableReason(inspected);
  return (
    <aside className="rp-panel" aria-label="Recovery point details">
      <div className="rp-panel-header">
        <h2 className="panel-title tabular">{formatAbsolute(inspected.createdAt, { seconds: true })}</h2>
        <RecoveryPointStatusBadge status={inspected.status} />
      </div>
      <p className="muted small">
        {formatRelative(inspected.createdAt, now)} · id <span className="mono">{inspected.id}</span>
        {inspected.completedAt && <> · completed {formatAbsolute(inspected.completedAt, { seconds: true })}</>}
      </p>
      {canBeFailoverSource(inspected) ? (
        <p className="note note-ok">
          <span aria-hidden="true">✓ </span>Every resource was captured; this point can be used for failover.
        </p>
      ) : (
        <p className="note note-warn">
          <span aria-hidden="true">⚠ </span>Cannot be used for failover: {reason}.
        </p>
      )}
      <ErrorAlert error={detailsError} onRetry={() => void reloadDetails()} compact />
      {detailsLoading && !details ? (
        <SkeletonBlock label="Loading items" lines={5} />
      ) : details && details.id === inspected.id ? (
        <TableScroll label="Items of the recovery point" className="rp-items">
          <table className="table table-dense">
            <caption className="visually-hidden">Items of the recovery point</caption>
            <thead>
              <tr>
                <th scope="col">Resource</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Data refs
                </th>
              </tr>
            </thead>
            <tbody>
              {details.items.map((item) => (
                <tr key={item.id}>
                  <th scope="row" className="cell-name">
                    {item.resourceName}
                    {item.error && <p className="cell-error">{item.error}</p>}
                  </th>
                  <td className="nowrap">{resourceType(item.type).label}</td>
                  <td>{item.status === 'succeeded' ? <Badge tone="ok">Captured</Badge> : <Badge tone="bad">Failed</Badge>}</td>
                  <td className="num tabular" title={item.dataRefs.map((d) => `${d.kind}: ${d.id}`).join('\n')}>
                    {item.dataRefs.length}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : null}
    </aside>
  );
}
