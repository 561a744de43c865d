// The Recovery points tab: a virtualized, keyboard-operable listbox over every point of the policy
// (pages fetched on demand), filters, and a side panel with the inspected point's items. Only
// succeeded points can become the failover source; the others say why not.
// One scroll container per page: the listbox is as tall as its rows and scrolls with the page (the
// virtualizer follows the page's scroll box); the toolbar with the Failover action and the panel
// stay in view beside it. The list moves only when the operator moves it: new points arriving
// above the rows on screen shift the page by as many rows, so the same points stay under the eye
// and under the keyboard cursor; a new filter or search starts at its first row.

import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { resourceType } from '../../../shared/catalog';
import type { RecoveryPointItemView, RecoveryPointStatus, RecoveryPointView } from '../../../shared/domain';
import { Badge, RecoveryPointStatusBadge } from '../../components/badges';
import { useNow } from '../../components/clock-store';
import { ErrorAlert } from '../../components/error-alert';
import { formatAbsolute, formatRelative, plural } from '../../components/format';
import { Modal } from '../../components/modal';
import { SkeletonBlock } from '../../components/skeleton';
import { TableScroll } from '../../components/table-scroll';
import { useFailover } from '../failover/failover-store';
import { canBeFailoverSource, notSelectableReason, useRecoveryPoints } from './recovery-points-store';

const ROW_HEIGHT = 52;
/** Items shown in the side panel (failed first); the rest are one click away, so the panel fits a 720p window. */
const PANEL_ITEMS = 6;
const STATUS_OPTIONS: { value: RecoveryPointStatus | ''; label: string }[] = [
  { value: '', label: 'All statuses' },
  { value: 'succeeded', label: 'Succeeded' },
  { value: 'partial', label: 'Partial' },
  { value: 'failed', label: 'Failed' },
  { value: 'in_progress', label: 'In progress' },
];

export function RecoveryPointsTab({ policyId, failoverAllowed }: { policyId: string; failoverAllowed: boolean }) {
  // Only what the toolbar shows: page loads and inspection must not re-render it.
  const mine = useRecoveryPoints((s) => s.policyId === policyId);
  const status = useRecoveryPoints((s) => s.status);
  const query = useRecoveryPoints((s) => s.query);
  const total = useRecoveryPoints((s) => s.total);
  const selected = useRecoveryPoints((s) => s.selected);
  const error = useRecoveryPoints((s) => s.error);
  const [toolbar, setToolbar] = useState<HTMLDivElement | null>(null);
  const stickyTop = useHeight(toolbar);

  useEffect(() => {
    useRecoveryPoints.getState().open(policyId);
  }, [policyId]);

  return (
    <div className="rp-layout" style={{ ['--rp-sticky-top' as string]: `${stickyTop}px` }}>
      <div className="rp-toolbar" ref={setToolbar}>
        <label className="inline-field">
          <span>Status</span>
          <select value={mine ? status : ''} onChange={(e) => useRecoveryPoints.getState().setStatus(e.target.value as RecoveryPointStatus | '')}>
            {STATUS_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <label className="search">
          <span className="visually-hidden">Search recovery points</span>
          {/* Each keystroke asks main at once (a page is well under a millisecond there); older answers are dropped. */}
          <input
            type="search"
            placeholder="Search by UTC time (2026-11-26T10) or id"
            value={mine ? query : ''}
            onChange={(e) => useRecoveryPoints.getState().setQuery(e.target.value)}
          />
        </label>
        <span className="counter tabular" aria-live="polite">
          {!mine || total === null ? 'Loading…' : plural(total, 'recovery point')}
        </span>
        <span className="toolbar-spacer" />
        {/* Upper right: the failover source and the Failover that runs from it (R5). */}
        <div className="rp-selection" data-testid="failover-source">
          {selected ? (
            <span className="muted">
              Failover source <span className="mono small">{selected.id}</span>
            </span>
          ) : (
            <span className="muted">Select a succeeded recovery point to use it as failover source</span>
          )}
          {failoverAllowed && (
            // The one Failover while a point is selected (the header's is hidden then): it names the point.
            <button
              type="button"
              className="btn btn-danger"
              disabled={!selected}
              onClick={() => selected && void useFailover.getState().openFor(policyId, selected.id)}
            >
              {selected ? `Failover from ${formatAbsolute(selected.createdAt, { seconds: true })}` : 'Failover'}
            </button>
          )}
        </div>
      </div>
      {error && <ErrorAlert error={error} onRetry={() => void useRecoveryPoints.getState().refresh()} compact />}
      <div className="rp-columns">
        <PointList stickyTop={stickyTop} />
        <PointPanel />
      </div>
    </div>
  );
}

/** An element's height, kept current (the toolbar wraps on narrow windows). */
function useHeight(el: HTMLElement | null): number {
  const [height, setHeight] = useState(0);
  useLayoutEffect(() => {
    if (!el) return;
    const measure = () => setHeight(Math.ceil(el.getBoundingClientRect().height));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [el]);
  return height;
}

/**
 * Where the list starts inside the page's scroll box (the virtualizer's scroll margin), measured
 * again only when the page's content changes size, never on scroll or on every render.
 */
function useScrollMargin(list: HTMLElement | null, scroller: HTMLElement | null): number {
  const [margin, setMargin] = useState(0);
  useLayoutEffect(() => {
    if (!list || !scroller) return;
    const measure = () => setMargin(Math.round(list.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(scroller);
    if (scroller.firstElementChild) observer.observe(scroller.firstElementChild);
    return () => observer.disconnect();
  }, [list, scroller]);
  return margin;
}

function PointList({ stickyTop }: { stickyTop: number }) {
  const total = useRecoveryPoints((s) => s.total);
  const pages = useRecoveryPoints((s) => s.pages);
  const stale = useRecoveryPoints((s) => s.stale);
  const resultSeq = useRecoveryPoints((s) => s.resultSeq);
  const inspectedId = useRecoveryPoints((s) => s.inspected?.id ?? null);
  const selectedId = useRecoveryPoints((s) => s.selected?.id ?? null);
  const { ensureRange, pointAt, inspect } = useRecoveryPoints.getState();
  const now = useNow();
  const [list, setList] = useState<HTMLDivElement | null>(null);
  const scroller = list?.closest<HTMLElement>('.page-scroll') ?? null;
  const margin = useScrollMargin(list, scroller);
  const [active, setActive] = useState(0);

  const count = total ?? 0;
  // The virtualizer's functions are not memoizable; this component opts out of the compiler's memoization.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller,
    estimateSize: () => ROW_HEIGHT,
    // Six rows (312 px) either side: enough for a wheel step, and fewer rows to render per change.
    overscan: 6,
    scrollMargin: margin,
    // Rows scrolled to by the keyboard land below the sticky toolbar, not under it.
    scrollPaddingStart: stickyTop,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    if (count > 0) ensureRange(first, last);
  }, [first, last, count, pages, ensureRange]);

  useEffect(() => {
    if (count > 0) setActive((x) => (x >= count ? count - 1 : x));
  }, [count]);

  // The point at the top of the operator's view, and which result it belongs to. Positions come
  // from the virtualizer's scroll offset (kept from scroll events): nothing here reads layout, so a
  // filter change never forces the browser to lay the page out before it is drawn.
  const anchor = useRef<{ id: string; index: number; seq: number } | null>(null);
  const listTop = margin - stickyTop;
  const offset = (virtualizer.scrollOffset ?? 0) - listTop;

  // A new filter or search: its first row, at the top of the view (if the operator was further down).
  const seenSeq = useRef(resultSeq);
  useLayoutEffect(() => {
    if (seenSeq.current === resultSeq) return;
    seenSeq.current = resultSeq;
    anchor.current = null;
    setActive(0);
    if (offset > 0) virtualizer.scrollToOffset(Math.max(0, listTop));
  }, [resultSeq, offset, listTop, virtualizer]);

  // Rows changed under the same result (a refresh after new points arrived above): keep the point
  // that was at the top of the view there, and the keyboard cursor on the point it was on.
  useLayoutEffect(() => {
    const a = anchor.current;
    if (!a || a.seq !== resultSeq || !scroller) return;
    if (pointAt(a.index)?.id === a.id) return;
    const found = findLoaded(pages, a.id, a.index);
    if (found === null) return;
    const delta = found - a.index;
    anchor.current = { ...a, index: found };
    scroller.scrollTop += delta * ROW_HEIGHT;
    setActive((x) => Math.min(Math.max(0, x + delta), Math.max(0, count - 1)));
  }, [pages, resultSeq, scroller, pointAt, count]);

  // After each render and scroll: note the anchor. At the top of the list new points simply appear
  // above, so there is nothing to hold.
  useEffect(() => {
    if (stale) return;
    const index = offset > 0 ? Math.min(count - 1, Math.floor(offset / ROW_HEIGHT)) : -1;
    const p = index >= 0 ? pointAt(index) : undefined;
    anchor.current = p ? { id: p.id, index, seq: resultSeq } : null;
  });

  const choose = useCallback(
    (index: number) => {
      const p = pointAt(index);
      setActive(index);
      if (p) inspect(p);
    },
    [pointAt, inspect],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (count === 0) return;
    const view = (scroller?.clientHeight ?? ROW_HEIGHT * 10) - stickyTop;
    const pageRows = Math.max(1, Math.floor(view / ROW_HEIGHT) - 1);
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
  // Only a row that is rendered can be the active descendant (the cursor may be scrolled far away).
  const activeId = active >= first && active <= last && pointAt(active) ? `rp-opt-${active}` : undefined;
  return (
    <div
      ref={setList}
      className="rp-list"
      role="listbox"
      aria-label="Recovery points"
      aria-busy={stale || undefined}
      tabIndex={0}
      aria-activedescendant={activeId}
      onKeyDown={onKeyDown}
      style={{ height: virtualizer.getTotalSize() }}
    >
      {items.map((v) => {
        const p = pointAt(v.index);
        const top = v.start - margin;
        if (!p) {
          return (
            <div key={v.key} className="rp-row rp-row-placeholder" style={{ transform: `translateY(${top}px)`, height: v.size }}>
              <span className="skeleton" aria-hidden="true" />
            </div>
          );
        }
        return (
          <PointRow
            key={v.key}
            point={p}
            index={v.index}
            setSize={count}
            top={top}
            active={v.index === active}
            inspected={inspectedId === p.id}
            selected={selectedId === p.id}
            now={now}
            onChoose={choose}
          />
        );
      })}
    </div>
  );
}

/** Where the point `id` is among the loaded pages, looking near where it was first. */
function findLoaded(pages: Record<number, RecoveryPointView[]>, id: string, near: number): number | null {
  const home = Math.floor(near / 100);
  const order = Object.keys(pages)
    .map(Number)
    .sort((a, b) => Math.abs(a - home) - Math.abs(b - home));
  for (const p of order) {
    const i = pages[p]!.findIndex((x) => x.id === id);
    if (i >= 0) return p * 100 + i;
  }
  return null;
}

type PointRowProps = {
  point: RecoveryPointView;
  index: number;
  setSize: number;
  top: number;
  active: boolean;
  inspected: boolean;
  selected: boolean;
  now: number;
  onChoose: (index: number) => void;
};

/** A refetched page brings equal points as new objects: compare what a row shows. */
function samePoint(a: RecoveryPointView, b: RecoveryPointView): boolean {
  return a === b || (a.id === b.id && a.status === b.status && a.createdAt === b.createdAt && a.itemCount === b.itemCount && a.failedItemCount === b.failedItemCount);
}

// Rows re-render only when their own point, state or position changes (not on every page load).
const PointRow = memo(function PointRow(props: PointRowProps) {
  const p = props.point;
  const reason = notSelectableReason(p);
  const ok = p.itemCount - p.failedItemCount;
  const cls = ['rp-row', props.active ? 'active' : '', props.inspected ? 'inspected' : '', props.selected ? 'selected' : '', reason ? 'unselectable' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div
      id={`rp-opt-${props.index}`}
      role="option"
      aria-selected={props.selected}
      aria-disabled={reason ? true : undefined}
      aria-posinset={props.index + 1}
      aria-setsize={props.setSize}
      className={cls}
      style={{ transform: `translateY(${props.top}px)`, height: ROW_HEIGHT }}
      onClick={() => props.onChoose(props.index)}
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
}, (a, b) => samePoint(a.point, b.point) && a.index === b.index && a.setSize === b.setSize && a.top === b.top && a.active === b.active && a.inspected === b.inspected && a.selected === b.selected && a.now === b.now && a.onChoose === b.onChoose);

function PointPanel() {
  const inspected = useRecoveryPoints((s) => s.inspected);
  const details = useRecoveryPoints((s) => s.details);
  const detailsLoading = useRecoveryPoints((s) => s.detailsLoading);
  const detailsError = useRecoveryPoints((s) => s.detailsError);
  const now = useNow();
  const [allOpen, setAllOpen] = useState(false);
  if (!inspected) {
    return (
      <aside className="rp-panel rp-panel-empty" aria-label="Recovery point details">
        <p className="empty-title">No recovery point selected</p>
        <p className="muted">Choose a recovery point on the left (arrow keys or click) to see what it captured for each resource.</p>
      </aside>
    );
  }
  const reason = notSelectableReason(inspected);
  const shown = details && details.id === inspected.id ? details : null;
  // Failed items first: they are why a point cannot be chosen.
  const items = shown ? [...shown.items].sort((a, b) => Number(a.status === 'succeeded') - Number(b.status === 'succeeded')) : [];
  const title = formatAbsolute(inspected.createdAt, { seconds: true });
  return (
    <aside className="rp-panel" aria-label="Recovery point details">
      <div className="rp-panel-header">
        <h2 className="panel-title tabular">{title}</h2>
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
      <ErrorAlert error={detailsError} onRetry={() => void useRecoveryPoints.getState().reloadDetails()} compact />
      {detailsLoading && !shown ? (
        <SkeletonBlock label="Loading items" lines={5} />
      ) : shown ? (
        <>
          <ItemsTable items={items.slice(0, PANEL_ITEMS)} label="Items of the recovery point" />
          {items.length > PANEL_ITEMS && (
            <button type="button" className="btn btn-secondary rp-all-items" onClick={() => setAllOpen(true)}>
              Show all {items.length} items
            </button>
          )}
          <Modal
            open={allOpen}
            onOpenChange={setAllOpen}
            title={`Items of the recovery point of ${title}`}
            size="large"
            footer={
              <button type="button" className="btn btn-secondary" onClick={() => setAllOpen(false)}>
                Close
              </button>
            }
          >
            <ItemsTable items={items} label={`All ${items.length} items of the recovery point`} />
          </Modal>
        </>
      ) : null}
    </aside>
  );
}

function ItemsTable({ items, label }: { items: RecoveryPointItemView[]; label: string }) {
  return (
    <TableScroll label={label} className="rp-items">
      <table className="table table-dense">
        <caption className="visually-hidden">{label}</caption>
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
          {items.map((item) => (
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
  );
}
