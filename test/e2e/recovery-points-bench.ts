// Browser measurements for the benchmarks (never a test): the Recovery points tab over a big history
// in headless Chromium, timed inside the page with performance.now() from the input to the DOM update.

import type { ConsoleHandle } from './harness';

export interface RecoveryPointsUiTimes {
  /** Tab opened (route change) -> first real rows in the listbox, on a freshly loaded page. */
  firstRows: number[];
  /** Status select changed -> the list shows the filtered total and rows. */
  statusFilter: number[];
  /** Search typed -> filtered rows (each keystroke asks at once; every search is a new one, never a cached first page). */
  searchFromKeystroke: number[];
  /** The search request leaving the page -> filtered rows. */
  searchFromRequest: number[];
  /** The list response arriving in the page -> filtered rows: the renderer's own share (status and search). */
  renderAfterResponse: number[];
  /** Request leaving the page -> response back in it: the harness bridge (Playwright binding) plus the core. */
  bridgeRoundTrip: number[];
}

const listSelector = '[role="listbox"][aria-label="Recovery points"]';

/** Runs `action` in the page and resolves with ms until `ready` first holds after a DOM mutation. */
async function timeInPage(
  handle: ConsoleHandle,
  kind: 'route' | 'status' | 'search',
  value: string,
  expectedTotal: number,
): Promise<{ total: number; fromRequest: number | null; fromResponse: number | null }> {
  return handle.page.evaluate(
    ({ kind, value, expectedTotal, listSelector }) =>
      new Promise<{ total: number; fromRequest: number | null; fromResponse: number | null }>((resolve, reject) => {
        const w = window as unknown as { __rpRequestAt?: number | null; __rpResponseAt?: number | null; __rpRound?: number };
        w.__rpRound = (w.__rpRound ?? 0) + 1;
        w.__rpRequestAt = null;
        w.__rpResponseAt = null;
        const ready = () => {
          const counter = document.querySelector('.rp-toolbar .counter');
          const n = Number((counter?.textContent ?? '').replace(/[^0-9]/g, ''));
          const row = document.querySelector(`${listSelector} [role="option"] time`);
          return counter !== null && row !== null && n === expectedTotal;
        };
        const timer = setTimeout(() => {
          observer.disconnect();
          reject(new Error(`the list did not show ${expectedTotal} points after ${kind} "${value}"`));
        }, 10_000);
        let t0 = 0;
        const observer = new MutationObserver(() => {
          if (!ready()) return;
          const t1 = performance.now();
          observer.disconnect();
          clearTimeout(timer);
          resolve({
            total: t1 - t0,
            fromRequest: w.__rpRequestAt == null ? null : t1 - w.__rpRequestAt,
            fromResponse: w.__rpResponseAt == null ? null : t1 - w.__rpResponseAt,
          });
        });
        observer.observe(document.body, { childList: true, subtree: true, characterData: true });
        t0 = performance.now();
        if (kind === 'route') {
          location.hash = value;
        } else if (kind === 'status') {
          const label = [...document.querySelectorAll('label')].find((l) => l.textContent?.trim().startsWith('Status'));
          const select = label?.querySelector('select');
          if (!select) return reject(new Error('no Status select'));
          select.value = value;
          select.dispatchEvent(new Event('change', { bubbles: true }));
        } else {
          const input = document.querySelector<HTMLInputElement>('.rp-toolbar input[type="search"]');
          if (!input) return reject(new Error('no search box'));
          // React tracks the value it set; the native setter makes this look like typing.
          Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, value);
          input.dispatchEvent(new Event('input', { bubbles: true }));
        }
      }),
    { kind, value, expectedTotal, listSelector },
  );
}

/**
 * Stamps the moment the first recovery-points request of a measurement leaves the page and the
 * moment its own response is back. A measurement starts a new round (timeInPage resets the stamps
 * and bumps __rpRound); a response to an earlier round's request, arriving late, stamps nothing.
 */
async function watchRequests(handle: ConsoleHandle): Promise<void> {
  await handle.page.evaluate(() => {
    const w = window as unknown as {
      __drInvoke: (c: string, r: unknown) => Promise<unknown>;
      __rpRequestAt?: number | null;
      __rpResponseAt?: number | null;
      __rpRound?: number;
      __rpWrapped?: boolean;
    };
    if (w.__rpWrapped) return;
    const original = w.__drInvoke;
    // The first page's request of a filter change; later page fetches must not move the stamps.
    w.__drInvoke = (channel: string, request: unknown) => {
      const first = channel === 'dr:recoveryPoints.list' && w.__rpRequestAt == null && (request as { offset?: number }).offset === 0;
      const round = w.__rpRound;
      if (first) w.__rpRequestAt = performance.now();
      const p = original(channel, request);
      return first ? p.then((v) => (w.__rpRound === round && (w.__rpResponseAt = performance.now()), v)) : p;
    };
    w.__rpWrapped = true;
  });
}

/**
 * Prefixes of points' times at a few depths of the history, 9 to 13 characters long ('2026-01-0' ...
 * '2026-01-08T1'); `shift` moves the depths, so each run types searches the tab has not seen yet.
 */
async function searchPrefixes(handle: ConsoleHandle, policyId: string, total: number, shift = 0): Promise<string[]> {
  const out: string[] = [];
  for (const [i, depth] of [0.1, 0.35, 0.6, 0.85].entries()) {
    const page = await handle.call('dr:recoveryPoints.list', { policyId, offset: Math.floor(total * ((depth + shift) % 1)), limit: 1 });
    const at = page.items[0]?.createdAt;
    if (at) out.push(at.slice(0, 9 + ((i + shift * 100) % 5)), at.slice(0, 12));
  }
  return out;
}

export async function measureRecoveryPointsUi(
  handle: ConsoleHandle,
  policyId: string,
  opts: { runs?: number; searches?: string[] } = {},
): Promise<RecoveryPointsUiTimes> {
  const runs = opts.runs ?? 5;
  const total = async (req: { status?: 'succeeded' | 'partial' | 'failed'; query?: string }) =>
    (await handle.call('dr:recoveryPoints.list', { policyId, offset: 0, limit: 1, ...req })).total;
  const all = await total({});
  const out: RecoveryPointsUiTimes = { firstRows: [], statusFilter: [], searchFromKeystroke: [], searchFromRequest: [], renderAfterResponse: [], bridgeRoundTrip: [] };
  const split = (r: { fromRequest: number | null; fromResponse: number | null }) => {
    if (r.fromResponse === null || r.fromRequest === null) return;
    out.renderAfterResponse.push(r.fromResponse);
    out.bridgeRoundTrip.push(r.fromRequest - r.fromResponse);
  };
  const base = `${handle.url}#/policies/${encodeURIComponent(policyId)}`;

  for (let i = 0; i < runs; i++) {
    // A fresh page each time: the list store starts empty, as when an operator opens the tab.
    await handle.page.goto(`${base}/resources`);
    await handle.page.getByRole('tab', { name: 'Recovery points' }).waitFor();
    const r = await timeInPage(handle, 'route', `#/policies/${encodeURIComponent(policyId)}/recovery-points`, all);
    out.firstRows.push(r.total);
  }

  const statuses: ('failed' | 'partial' | 'succeeded' | '')[] = ['failed', 'partial', 'succeeded', ''];
  const expected = new Map<string, number>();
  for (const s of statuses) expected.set(s, s ? await total({ status: s }) : all);
  await watchRequests(handle);
  for (let i = 0; i < runs; i++) {
    for (const s of statuses) {
      const r = await timeInPage(handle, 'status', s, expected.get(s) ?? -1);
      out.statusFilter.push(r.total);
      split(r);
    }
  }
  // Time prefixes an operator would type, taken from the history itself so that any size works;
  // new ones every run (the tab keeps first pages it has already shown, which would flatter it).
  let previous = all;
  const seen = new Set<string>();
  for (let i = 0; i < runs; i++) {
    const searches = opts.searches ?? (await searchPrefixes(handle, policyId, all, i * 0.03));
    for (const q of searches) {
      if (!opts.searches && seen.has(q)) continue;
      seen.add(q);
      const want = await total({ query: q });
      if (want === previous) continue;
      const r = await timeInPage(handle, 'search', q, want);
      out.searchFromKeystroke.push(r.total);
      if (r.fromRequest !== null) out.searchFromRequest.push(r.fromRequest);
      split(r);
      previous = want;
    }
  }
  return out;
}
