// Recovery points of one policy, for a list that must scale to 100,000 points: pages fetched by
// keyset (after the previous page's last point) or offset as rows scroll into view, a total from
// the server, filters applied server-side. A filter or search is asked at once (a page is well
// under a millisecond in main) and the rows on screen stay until its first page replaces them, so
// typing never blanks the list; answers to an older filter are dropped.
// Selection is split in two: the point being inspected (any status) and the failover source
// (succeeded points only), which the Failover action will read.

import { create } from 'zustand';
import type { RecoveryPointDetails, RecoveryPointStatus, RecoveryPointView } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import { call, toErrorData } from '../../api';

export const PAGE_SIZE = 100;

interface RecoveryPointsState {
  policyId: string | null;
  status: RecoveryPointStatus | '';
  query: string;
  total: number | null;
  pages: Record<number, RecoveryPointView[]>;
  /** The rows shown are the previous filter's, until the new filter's first page arrives. */
  stale: boolean;
  /** Bumped whenever a new filter's rows replace the list (not when a refresh updates them). */
  resultSeq: number;
  error: DrErrorData | null;
  /** The point whose items are shown (any status). */
  inspected: RecoveryPointView | null;
  /** The point chosen as failover source; only ever a succeeded point. */
  selected: RecoveryPointView | null;
  details: RecoveryPointDetails | null;
  detailsLoading: boolean;
  detailsError: DrErrorData | null;
  open: (policyId: string) => void;
  setStatus: (status: RecoveryPointStatus | '') => void;
  setQuery: (query: string) => void;
  ensureRange: (first: number, last: number) => void;
  refresh: () => Promise<void>;
  pointAt: (index: number) => RecoveryPointView | undefined;
  inspect: (point: RecoveryPointView) => void;
  reloadDetails: () => Promise<void>;
}

export function canBeFailoverSource(p: RecoveryPointView): boolean {
  return p.status === 'succeeded';
}

/** Why a point cannot be a failover source, in a sentence; null when it can. */
export function notSelectableReason(p: RecoveryPointView): string | null {
  switch (p.status) {
    case 'succeeded':
      return null;
    case 'in_progress':
      return 'Still being created';
    case 'partial':
      return `${p.failedItemCount} of ${p.itemCount} resources failed`;
    case 'failed':
      return p.itemCount > 0 ? `All ${p.itemCount} resources failed` : 'Capture failed';
  }
}

let generation = 0;
const inflight = new Set<string>();

/**
 * First pages of the status filters, fetched when the tab opens (a few rows each, well under a
 * millisecond in main), so choosing a status shows its rows at once; the list is asked again
 * right after and replaces them. Emptied whenever the points change (refresh).
 */
const STATUS_PREFETCH: RecoveryPointStatus[] = ['succeeded', 'partial', 'failed', 'in_progress'];
const firstPages = new Map<string, { total: number; items: RecoveryPointView[] }>();
/** Bumped whenever firstPages is emptied, so a prefetch answered after that is dropped. */
let cacheEpoch = 0;
function clearFirstPages() {
  firstPages.clear();
  cacheEpoch++;
}
const firstPageKey = (policyId: string, status: string, query: string) => `${policyId}\u0000${status}\u0000${query.trim()}`;
let detailsSeq = 0;

export const useRecoveryPoints = create<RecoveryPointsState>()((set, get) => {
  async function fetchPage(pageIndex: number, gen: number, keyset = true): Promise<void> {
    const { policyId, status, query } = get();
    if (!policyId) return;
    const key = `${gen}:${pageIndex}`;
    if (inflight.has(key)) return;
    inflight.add(key);
    try {
      // Keyset: with the page before it loaded, this page starts right after that page's last point,
      // read straight from the index; a jump (the scrollbar dragged far) goes by offset.
      const before = keyset && pageIndex > 0 ? get().pages[pageIndex - 1] : undefined;
      const last = before?.length === PAGE_SIZE ? before[PAGE_SIZE - 1] : undefined;
      const res = await call('dr:recoveryPoints.list', {
        policyId,
        offset: pageIndex * PAGE_SIZE,
        limit: PAGE_SIZE,
        ...(status ? { status } : {}),
        ...(query.trim() ? { query: query.trim() } : {}),
        ...(last ? { after: { createdAt: last.createdAt, id: last.id } } : {}),
      });
      if (gen !== generation) return;
      if (pageIndex === 0) firstPages.set(firstPageKey(policyId, status, query), { total: res.total, items: res.items });
      if (get().stale) {
        // The new filter's first page: it replaces the previous filter's rows at once.
        set({ total: res.total, pages: { [pageIndex]: res.items }, error: null, stale: false, resultSeq: get().resultSeq + 1 });
      } else {
        set({ total: res.total, pages: { ...get().pages, [pageIndex]: res.items }, error: null });
      }
    } catch (err) {
      // A failed first page of a new filter keeps the list stale: Retry (refresh) asks for it again.
      if (gen === generation) set({ error: toErrorData(err) });
    } finally {
      inflight.delete(key);
    }
  }

  function restart() {
    generation++;
    const { policyId, status, query, total, resultSeq } = get();
    const cached = policyId ? firstPages.get(firstPageKey(policyId, status, query)) : undefined;
    if (cached) set({ pages: { 0: cached.items }, total: cached.total, error: null, stale: false, resultSeq: resultSeq + 1 });
    // Rows on screen stay (marked stale) until the first page arrives; with none yet, the list loads.
    else if (total !== null) set({ error: null, stale: true });
    else set({ pages: {}, total: null, error: null, stale: false, resultSeq: resultSeq + 1 });
    void fetchPage(0, generation);
  }

  /** The first page of every status filter, for the current search, kept for an instant switch. */
  function prefetchStatuses() {
    const { policyId, query } = get();
    const epoch = cacheEpoch;
    if (!policyId) return;
    for (const status of STATUS_PREFETCH) {
      const key = firstPageKey(policyId, status, query);
      if (firstPages.has(key)) continue;
      call('dr:recoveryPoints.list', { policyId, offset: 0, limit: PAGE_SIZE, status, ...(query.trim() ? { query: query.trim() } : {}) })
        .then((res) => {
          if (epoch === cacheEpoch) firstPages.set(key, { total: res.total, items: res.items });
        })
        .catch(() => undefined);
    }
    const all = firstPageKey(policyId, '', query);
    if (!firstPages.has(all) && get().status !== '') {
      call('dr:recoveryPoints.list', { policyId, offset: 0, limit: PAGE_SIZE, ...(query.trim() ? { query: query.trim() } : {}) })
        .then((res) => {
          if (epoch === cacheEpoch) firstPages.set(all, { total: res.total, items: res.items });
        })
        .catch(() => undefined);
    }
  }

  return {
    policyId: null,
    status: '',
    query: '',
    total: null,
    pages: {},
    stale: false,
    resultSeq: 0,
    error: null,
    inspected: null,
    selected: null,
    details: null,
    detailsLoading: false,
    detailsError: null,

    open(policyId) {
      if (get().policyId === policyId && get().total !== null) {
        void get().refresh();
        return;
      }
      // Another policy's rows must never show under this one's name, not even as stale rows.
      set({ policyId, status: '', query: '', total: null, pages: {}, stale: false, inspected: null, selected: null, details: null, detailsError: null });
      clearFirstPages();
      restart();
      prefetchStatuses();
    },

    setStatus(status) {
      set({ status });
      restart();
    },

    setQuery(query) {
      const before = get().query.trim();
      set({ query });
      // A space typed at either end asks nothing new.
      if (query.trim() !== before) restart();
    },

    ensureRange(first, last) {
      // Stale rows belong to the previous filter: nothing is fetched for them.
      if (get().stale) return;
      const gen = generation;
      const from = Math.floor(Math.max(0, first) / PAGE_SIZE);
      const to = Math.floor(Math.max(0, last) / PAGE_SIZE);
      for (let p = from; p <= to; p++) if (!get().pages[p]) void fetchPage(p, gen);
    },

    async refresh() {
      // While a new filter's first page is awaited, the loaded pages are the old filter's: ask again.
      if (get().stale) {
        clearFirstPages();
        restart();
        return;
      }
      // New points arrive at the top and shift every offset, so every loaded page is fetched again
      // under a new generation; rows stay on screen until their replacement arrives.
      const loaded = Object.keys(get().pages).map(Number);
      generation++;
      const gen = generation;
      clearFirstPages();
      // By offset: the pages on screen are the old generation's, and their last points have moved.
      await Promise.all((loaded.length ? loaded : [0]).map((p) => fetchPage(p, gen, false)));
      prefetchStatuses();
      const { inspected, selected } = get();
      // Keep the inspected point's status current (an in-progress point may have finished).
      const all = Object.values(get().pages).flat();
      const freshInspected = inspected && all.find((p) => p.id === inspected.id);
      if (freshInspected) {
        set({
          inspected: freshInspected,
          selected: canBeFailoverSource(freshInspected) && (selected?.id === freshInspected.id || !selected) ? freshInspected : selected,
        });
        if (freshInspected.status !== inspected?.status) void get().reloadDetails();
      }
    },

    pointAt(index) {
      const page = get().pages[Math.floor(index / PAGE_SIZE)];
      return page?.[index % PAGE_SIZE];
    },

    inspect(point) {
      const same = get().inspected?.id === point.id;
      set({
        inspected: point,
        selected: canBeFailoverSource(point) ? point : get().selected,
      });
      if (!same) void get().reloadDetails();
    },

    async reloadDetails() {
      const point = get().inspected;
      if (!point) return;
      const mine = ++detailsSeq;
      set({ detailsLoading: true, detailsError: null, details: get().details?.id === point.id ? get().details : null });
      try {
        const details = await call('dr:recoveryPoints.get', { recoveryPointId: point.id });
        if (mine === detailsSeq) set({ details, detailsLoading: false });
      } catch (err) {
        if (mine === detailsSeq) set({ detailsError: toErrorData(err), detailsLoading: false });
      }
    },
  };
});
