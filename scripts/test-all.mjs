#!/usr/bin/env node
// The whole test suite, in the order a failure is cheapest to find: type check, lint, unit and
// integration tests (Vitest, Node), build, then the Chromium/Electron end-to-end tests (Playwright).
// Ends with one plain line "tests: N passed, N failed, N skipped" that CI reads.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const reports = join(process.cwd(), '.tmp', 'test-reports');
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const vitestJson = join(reports, 'vitest.json');
const playwrightJson = join(reports, 'playwright.json');

const totals = { passed: 0, failed: 0, skipped: 0 };
let failedPhase = null;

function run(label, cmd, args, env = {}) {
  const started = Date.now();
  console.log(`\n=== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`=== ${label}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${secs} s`);
  if (r.status !== 0 && !failedPhase) failedPhase = label;
  return r.status === 0;
}

function countVitest() {
  if (!existsSync(vitestJson)) return;
  const j = JSON.parse(readFileSync(vitestJson, 'utf8'));
  totals.passed += j.numPassedTests ?? 0;
  totals.failed += j.numFailedTests ?? 0;
  totals.skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  console.log(`vitest: ${j.numPassedTests} passed, ${j.numFailedTests} failed, ${j.numPendingTests} skipped`);
}

function countPlaywright() {
  if (!existsSync(playwrightJson)) return;
  const j = JSON.parse(readFileSync(playwrightJson, 'utf8'));
  const s = j.stats ?? {};
  const passed = (s.expected ?? 0) + (s.flaky ?? 0);
  totals.passed += passed;
  totals.failed += s.unexpected ?? 0;
  totals.skipped += s.skipped ?? 0;
  console.log(`playwright: ${passed} passed, ${s.unexpected ?? 0} failed, ${s.skipped ?? 0} skipped`);
}

// The app ships on Electron 45, which embeds Node 22: the suite runs on the same major.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(`Node ${process.versions.node} is too old: the suite runs on Node 22 (Electron 45's runtime). ` +
    'Put Node 22 on the PATH (.ci/run installs it into .tools/ from the npm registry).');
  process.exit(1);
}

const npx = 'npx';
if (run('typecheck', 'npm', ['run', '-s', 'typecheck']) && run('lint', 'npm', ['run', '-s', 'lint'])) {
  run('unit and integration (vitest)', process.execPath, [
    'node_modules/vitest/vitest.mjs',
    'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`,
  ]);
  countVitest();
  if (run('build (electron-vite)', npx, ['electron-vite', 'build'])) {
    run('end to end (playwright)', npx, ['playwright', 'test', '--reporter=list,json'], {
      PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson,
    });
    countPlaywright();
  }
}

if (failedPhase) console.log(`\nFirst failing phase: ${failedPhase}`);
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedPhase ? 1 : 0);
