#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into .native/electron-<version>/better_sqlite3.node, from a
// COPY of the package, so node_modules/better-sqlite3 keeps the Node build the tests load.
//
// Usage: node scripts/ensure-electron-native.mjs [--dry-run] [--print-path] [--force]
//   ELECTRON_HEADERS_URL  mirror of https://electronjs.org/headers (default)
//   ELECTRON_GYP_DIR      where Electron's headers are cached (default ~/.electron-gyp)

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const DEFAULT_HEADERS_URL = 'https://electronjs.org/headers';
const args = new Set(process.argv.slice(2));
const dryRun = args.has('--dry-run');
const force = args.has('--force');

function say(message) {
  console.log(`[ensure-electron-native] ${message}`);
}

function stop(message) {
  console.error(`[ensure-electron-native] ${message}`);
  process.exit(1);
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Same convention as main/electron/native-binding.ts (a test keeps the two in step). */
function electronNativeBindingPath(appRoot, electronVersion) {
  return join(appRoot, '.native', `electron-${electronVersion}`, 'better_sqlite3.node');
}

const electronPkg = join(ROOT, 'node_modules', 'electron', 'package.json');
const sqlitePkgDir = join(ROOT, 'node_modules', 'better-sqlite3');
if (!existsSync(electronPkg)) stop('node_modules/electron is missing: run "npm install" first.');
if (!existsSync(join(sqlitePkgDir, 'binding.gyp'))) {
  stop('node_modules/better-sqlite3 (with its sources) is missing: run "npm install" first.');
}

const electronVersion = readJson(electronPkg).version;
const sqliteVersion = readJson(join(sqlitePkgDir, 'package.json')).version;
const target = electronNativeBindingPath(ROOT, electronVersion);
const stampFile = join(dirname(target), 'build-info.json');
const wanted = { electronVersion, betterSqlite3Version: sqliteVersion, platform: process.platform, arch: process.arch };

if (args.has('--print-path')) {
  console.log(target);
  process.exit(0);
}

function upToDate() {
  if (!existsSync(target) || !existsSync(stampFile)) return false;
  try {
    const stamp = readJson(stampFile);
    return Object.entries(wanted).every(([key, value]) => stamp[key] === value);
  } catch {
    return false;
  }
}

if (!force && upToDate()) {
  say(`better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} is already built: ${target}`);
  process.exit(0);
}

const headersUrl = (process.env.ELECTRON_HEADERS_URL || DEFAULT_HEADERS_URL).replace(/\/+$/, '');
const devDir = process.env.ELECTRON_GYP_DIR || join(homedir(), '.electron-gyp');
const nodeGyp = join(ROOT, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const workDir = join(ROOT, '.native', `work-electron-${electronVersion}`);
const workPkg = join(workDir, 'better-sqlite3');
const headersCached = existsSync(join(devDir, electronVersion, 'include', 'node', 'node_version.h'));

if (!existsSync(nodeGyp)) stop('node-gyp is missing from node_modules: run "npm install" first.');

if (dryRun) {
  say('Dry run: nothing is downloaded or built.');
  say(`Electron ${electronVersion}, better-sqlite3 ${sqliteVersion}, ${process.platform}-${process.arch}`);
  say(`Would copy ${sqlitePkgDir} (sources only) to ${workPkg}`);
  say(`Would run node-gyp rebuild --release --runtime=electron --target=${electronVersion} --dist-url=${headersUrl}`);
  say(`Electron headers: ${headersCached ? `cached in ${devDir}` : `to be downloaded from ${headersUrl} into ${devDir}`}`);
  say(`Would install the result as ${target}`);
  process.exit(0);
}

const untouched = 'node_modules/better-sqlite3 (the Node build the tests use) was not changed.';

/**
 * Fails fast, with a sentence, when the headers cannot be fetched: node-gyp's own error for that is
 * a stack trace. Skipped when the headers are cached or a proxy is configured (fetch ignores proxies).
 */
async function checkHeadersReachable() {
  if (headersCached || process.env.HTTPS_PROXY || process.env.https_proxy || process.env.npm_config_proxy) return;
  const url = `${headersUrl}/v${electronVersion}/SHASUMS256.txt`;
  try {
    const res = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(20_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    const reason = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(err);
    stop(
      `Cannot download Electron ${electronVersion}'s headers from ${url} (${reason}).\n` +
        "Building SQLite for Electron needs them once (they are then cached in " + devDir + ').\n' +
        'Connect to the internet, or set ELECTRON_HEADERS_URL to a mirror, and run this again. ' + untouched,
    );
  }
}

await checkHeadersReachable();

say(`Building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (${process.platform}-${process.arch}); this takes a minute or two.`);
rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });
// Sources only: the copied build/ folder would hold the Node-ABI binary and its gyp state.
cpSync(sqlitePkgDir, workPkg, {
  recursive: true,
  filter: (src) => !['build', 'node_modules'].some((skip) => {
    const skipped = join(sqlitePkgDir, skip);
    return src === skipped || src.startsWith(skipped + sep);
  }),
});

const result = spawnSync(
  process.execPath,
  [
    nodeGyp,
    'rebuild',
    '--release',
    '--runtime=electron',
    `--target=${electronVersion}`,
    `--arch=${process.arch}`,
    `--dist-url=${headersUrl}`,
    `--devdir=${devDir}`,
  ],
  { cwd: workPkg, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, npm_config_runtime: 'electron' } },
);

const built = join(workPkg, 'build', 'Release', 'better_sqlite3.node');
if (result.status !== 0 || !existsSync(built)) {
  rmSync(workDir, { recursive: true, force: true });
  stop(
    `Building better-sqlite3 for Electron ${electronVersion} failed (node-gyp exit ${result.status ?? result.signal ?? result.error?.message}).\n` +
      `It needs Electron's headers from ${headersUrl} (or the cache in ${devDir}), Python 3 and a C++ compiler ` +
      '(build-essential on Linux, Xcode command line tools on macOS, Visual Studio Build Tools on Windows). ' + untouched,
  );
}

mkdirSync(dirname(target), { recursive: true });
// Write then rename, so an interrupted run never leaves a half-written binary that looks built.
const partial = `${target}.partial`;
cpSync(built, partial);
renameSync(partial, target);
writeFileSync(stampFile, `${JSON.stringify({ ...wanted, builtAt: new Date().toISOString() }, null, 2)}\n`);
rmSync(workDir, { recursive: true, force: true });
say(`Built ${target}`);
