// Shared set-up for the console-fixes walk: a console on the sim provider whose latency and faults a
// test changes while it runs, policies made through the same router the UI uses, waits on job
// states (never on transient elements), axe, screenshots, and layout probes run in the page.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import { createSimProvider, type SimFaults, type SimLatency } from '../../main/providers/sim';
import type { JobKind } from '../../shared/domain';
import { openConsole, type ConsoleHandle } from './harness';

export const SHOTS = resolve(import.meta.dirname, '../../test-results/screenshots');
export const VIEWPORTS = [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
] as const;

export interface Bed {
  c: ConsoleHandle;
  latency: SimLatency;
  faults: SimFaults & { failTypes: string[]; failNames: string[] };
}

export async function openBed(operations: string[] = ['replicate', 'failover'], viewport = VIEWPORTS[0]): Promise<Bed> {
  const latency: SimLatency = { baseMs: 0, jitterMs: 0 };
  const faults = { failTypes: [] as string[], failNames: [] as string[], operations } as unknown as Bed['faults'];
  const c = await openConsole({ viewport: { ...viewport }, providers: (deps) => [createSimProvider({ ...deps, latency, faults })] });
  await c.call('dr:workspace.createRehearsal', {});
  await c.page.reload();
  return { c, latency, faults };
}

export async function createPolicy(c: ConsoleHandle, name: string, opts: { cloud: 'azure' | 'aws' | 'gcp'; schedule?: string | null }) {
  const accounts = await c.call('dr:accounts.list', {});
  const account = accounts.find((a) => a.simulated && a.cloud === opts.cloud);
  if (!account) throw new Error(`no simulated ${opts.cloud} account`);
  const [source, target] = await c.call('dr:environments.list', { accountId: account.id });
  if (!source || !target) throw new Error('the rehearsal account needs two environments');
  const found = await c.call('dr:inventory.discover', { environmentId: source.id });
  return c.call('dr:policies.create', {
    name,
    sourceEnvironmentId: source.id,
    targetEnvironmentId: target.id,
    resources: found.map((r) => ({ type: r.type, nativeId: r.nativeId, name: r.name })),
    schedule: opts.schedule ?? null,
    webhookUrl: null,
  });
}

/** Waits until no job of the kind runs and `count` of them ended with `status`. */
export async function waitForJobs(c: ConsoleHandle, policyId: string, kind: JobKind, count: number, status = 'succeeded'): Promise<void> {
  await expect
    .poll(
      async () => {
        const jobs = await c.call('dr:jobs.list', { policyId, kind, offset: 0, limit: 100 });
        const open = jobs.items.filter((j) => j.status === 'running' || j.status === 'queued').length;
        return open > 0 ? -1 : jobs.items.filter((j) => j.status === status).length;
      },
      { timeout: 60_000 },
    )
    .toBe(count);
}

/** Runs replication `times` through the router, a second apart, so points differ in the seconds shown. */
export async function replicate(c: ConsoleHandle, policyId: string, times: number, status = 'succeeded'): Promise<void> {
  for (let i = 1; i <= times; i++) {
    await c.call('dr:replication.run', { policyId });
    await waitForJobs(c, policyId, 'replication', i, status);
    await new Promise((r) => setTimeout(r, 1_050));
  }
}

export async function openPolicy(page: Page, name: string): Promise<void> {
  await page.getByRole('link', { name: 'Policies', exact: true }).first().click();
  await page.getByRole('row', { name: new RegExp(name) }).getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
}

export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${screen}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

/** Screenshots in both themes at the page's viewport, with axe on each. */
export async function shotBoth(page: Page, name: string, screen: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const size = page.viewportSize();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await expect(page.locator('html')).toHaveAttribute('data-theme', scheme);
    await page.screenshot({ path: join(SHOTS, `fixes-${name}-${size?.width ?? 0}x${size?.height ?? 0}-${scheme}.png`) });
    await expectAccessible(page, `${screen} (${scheme}, ${size?.width}x${size?.height})`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/**
 * Elements under `root` that scroll vertically on their own: overflow-y auto/scroll with content
 * taller than the box. `allow` names selectors that may (the page itself, a virtualized listbox).
 */
export function nestedScrollers(page: Page, root: string, allow: string[]): Promise<string[]> {
  return page.evaluate(
    ([rootSel, allowed]) => {
      const out: string[] = [];
      const top = document.querySelector(rootSel);
      if (!top) return [`no ${rootSel}`];
      for (const el of top.querySelectorAll<HTMLElement>('*')) {
        const oy = getComputedStyle(el).overflowY;
        if ((oy === 'auto' || oy === 'scroll') && el.scrollHeight > el.clientHeight + 1 && !allowed.some((a) => el.matches(a))) {
          out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} (${el.clientHeight}px showing ${el.scrollHeight}px)`);
        }
      }
      return out;
    },
    [root, allow] as const,
  );
}

/** Long ids drawn on more than one line (each .long-id-text must be a single line). */
export function wrappedIds(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.long-id-text')]
      // One line is about 1.5 × the font size tall; two lines would be 3 ×.
      .filter((el) => el.getBoundingClientRect().height > parseFloat(getComputedStyle(el).fontSize) * 2.2 || el.title !== el.textContent)
      .map((el) => `${el.textContent} (${el.getBoundingClientRect().height}px)`),
  );
}
