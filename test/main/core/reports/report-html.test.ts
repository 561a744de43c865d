import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedForBench } from '../../../../bench/failover-report';
import { composeCore, type Core } from '../../../../main/compose';
import { StaticKeyProvider } from '../../../../main/credentials/static-key-provider';
import type { JobReport } from '../../../../main/core/reports/job-report';
import { escapeHtml } from '../../../../main/core/reports/escape';
import { launchChromium } from '../../../e2e/harness';

// The printed page holds the whole job (every resource, every mapped item, the deliveries and the
// chain head) however it is made light, and it is laid out for print only: what Chromium prints.

let dir: string;
let core: Core;
let report: JobReport;
let html: string;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fc-report-html-'));
  // 120 resources (3 mapped items each, some failed and retried): two timeline charts.
  const jobId = seedForBench(dir, 120);
  core = composeCore({ dataDir: dir, keyProvider: new StaticKeyProvider(randomBytes(32)), startScheduler: false, startWebhooks: false, resumeJobs: false });
  report = core.services.reports.build(jobId);
  html = core.services.reports.render(report, 'html');
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await core?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the report page', () => {
  it('names every resource, every mapped item (source and target), each delivery and the audit chain head', () => {
    expect(report.resources).toHaveLength(120);
    for (const r of report.resources) {
      expect(html).toContain(`<tr><td>${escapeHtml(r.name)}<br><span class="mono">${escapeHtml(r.nativeId)}</span>`);
    }
    expect(report.mappings.length).toBeGreaterThan(300);
    for (const m of report.mappings) expect(html).toContain(`${escapeHtml(m.sourceId)} → ${escapeHtml(m.targetId)}`);
    for (const w of report.webhookDeliveries) expect(html).toContain(escapeHtml(w.url));
    expect(report.audit.headHash).toMatch(/^[0-9a-f]{64}$/);
    expect(html).toContain(report.audit.headHash);
    // Failed steps and retries are listed by name in the errors table.
    const failed = report.steps.filter((s) => s.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const s of failed) expect(html).toContain(`<tr><td>${escapeHtml(s.resourceName!)}</td><td>failover</td><td>Failed</td>`);
  });

  it('draws the timeline in page-sized charts of a few paths each, no wider than the page', () => {
    const charts = html.match(/<svg [^>]*class="timeline"[\s\S]*?<\/svg>/g) ?? [];
    expect(charts).toHaveLength(2);
    let bars = 0;
    for (const svg of charts) {
      expect(Number(/width="(\d+)"/.exec(svg)![1])).toBeLessThanOrEqual(700);
      expect((svg.match(/<path /g) ?? []).length).toBeLessThanOrEqual(8);
      bars += [...svg.matchAll(/data-bars="(\d+)"/g)].reduce((n, m) => n + Number(m[1]), 0);
    }
    expect(bars).toBe(report.steps.filter((s) => s.startedAt).length);
  });

  it('shows only a note on screen and the whole report in print, with fixed table layouts', async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    try {
      await page.setContent(html, { waitUntil: 'load' });
      await expect.poll(() => page.getByText('this page is laid out for printing').isVisible()).toBe(true);
      expect(await page.locator('h1').isVisible()).toBe(false);
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('h1').isVisible()).toBe(true);
      expect(await page.getByText('this page is laid out for printing').isVisible()).toBe(false);
      expect(await page.locator('table').evaluateAll((ts) => ts.map((t) => getComputedStyle(t).tableLayout))).toEqual(
        expect.arrayContaining(['fixed']),
      );
      expect(await page.locator('table').evaluateAll((ts) => ts.filter((t) => getComputedStyle(t).tableLayout !== 'fixed').length)).toBe(0);
      // Nothing is wider than the printable width (A4 less 12 mm margins: 186 mm), so the print is not shrunk and laid out again.
      await page.setViewportSize({ width: 703, height: 1000 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(703);
    } finally {
      await page.close();
    }
  });
});
