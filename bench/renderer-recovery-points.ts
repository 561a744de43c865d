// The Recovery points tab over 100,000 points in headless Chromium (the same harness the end-to-end
// tests use): time to first rows, and the status filter and search from input to DOM update, as
// medians and p90s (DESIGN.md §6: under 16 ms at p90).

import { openConsole, rendererBuilt } from '../test/e2e/harness';
import { measureRecoveryPointsUi } from '../test/e2e/recovery-points-bench';
import type { History } from './foundation';
import { median, percentile, record, skip } from './report';

export async function benchRendererRecoveryPoints(h: History, runs: number): Promise<void> {
  if (!rendererBuilt()) {
    skip('renderer', 'out/renderer is not built; run "npm run build" first');
    return;
  }
  const handle = await openConsole({ dataDir: h.dir, bridge: 'http' });
  try {
    const t = await measureRecoveryPointsUi(handle, h.policyId, { runs });
    const n = h.recoveryPoints.toLocaleString('en');
    record({ section: 'renderer', name: `recovery points tab: first rows over ${n} points (median of ${t.firstRows.length})`, value: median(t.firstRows), unit: 'ms', target: 150, note: `max ${Math.max(...t.firstRows).toFixed(1)}` });
    record({ section: 'renderer', name: `status filter: change -> filtered rows (median of ${t.statusFilter.length})`, value: median(t.statusFilter), unit: 'ms', target: 16, note: `p90 ${percentile(t.statusFilter, 90).toFixed(1)}` });
    record({ section: 'renderer', name: `status filter: change -> filtered rows, p90 of ${t.statusFilter.length}`, value: percentile(t.statusFilter, 90), unit: 'ms', target: 16, note: 'first pages of the status filters are prefetched when the tab opens' });
    record({ section: 'renderer', name: `search: keystroke -> filtered rows (median of ${t.searchFromKeystroke.length})`, value: median(t.searchFromKeystroke), unit: 'ms', target: 16, note: `p90 ${percentile(t.searchFromKeystroke, 90).toFixed(1)}; every search a new one, asked at once` });
    record({ section: 'renderer', name: `search: keystroke -> filtered rows, p90 of ${t.searchFromKeystroke.length}`, value: percentile(t.searchFromKeystroke, 90), unit: 'ms', target: 16, note: `from the request leaving the page: median ${median(t.searchFromRequest).toFixed(1)}, p90 ${percentile(t.searchFromRequest, 90).toFixed(1)}` });
    record({ section: 'renderer', name: `filters: list response -> DOM updated (renderer's share, median of ${t.renderAfterResponse.length})`, value: median(t.renderAfterResponse), unit: 'ms', target: 16, note: `p90 ${percentile(t.renderAfterResponse, 90).toFixed(1)}` });
    record({ section: 'renderer', name: 'filters: request -> response in the page (loopback http bridge + core)', value: median(t.bridgeRoundTrip), unit: 'ms', note: 'same-origin fetch to the router; Electron IPC itself is not measured here' });
  } finally {
    await handle.close();
  }
}
