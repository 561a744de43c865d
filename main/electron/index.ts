// The Electron shell: one locked instance, one sandboxed window served over app://console, IPC
// bound to the core's router with a sender check. Everything it does not own lives in the core.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Notification,
  protocol,
  safeStorage,
  session,
  shell,
  type IpcMainInvokeEvent,
} from 'electron';
import { openCore, type Core } from '../compose';
import { listBackups, restoreBackup } from '../db/backups';
import { DataFileError } from '../db/file-check';
import { MIGRATIONS } from '../db/migrations';
import { CHANNELS, isEventName } from '../../shared/ipc/contract';
import { APP_ENTRY_URL, APP_SCHEME, createAppProtocolHandler } from './app-protocol';
import { bindIpc, type IpcSender } from './ipc-binding';
import { chooseNativeBinding } from './native-binding';
import { showJobNotification } from './notifications';
import { chooseKeyProvider } from './safe-storage-key-provider';
import { allowedRendererOrigins, isExternalHttpUrl, isTrustedSender } from './sender-check';
import { signInBrowser } from './open-external';
import { mainWindowOptions } from './window-options';
import { electronReportOutput } from './report-output';

const APP_ID = 'com.failoverconsole.app';
const devServerUrl = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'];
const allowedOrigins = allowedRendererOrigins(devServerUrl);
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const rendererRoot = fileURLToPath(new URL('../renderer/', import.meta.url));

// Tests and operators running two consoles side by side point the app at another data folder.
// Must happen before the single-instance lock, which is per user-data folder.
const dataDirOverride = process.env['FAILOVER_CONSOLE_DATA_DIR'];
if (dataDirOverride) app.setPath('userData', dataDirOverride);

// Before ready: app:// must be a standard, secure scheme so the page gets a real origin and fetch.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
]);
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;
let core: Core | null = null;
let closing = false;
let failed = false;

/** Tells the operator why the console cannot run, once, and exits. */
function fail(title: string, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  if (!failed) {
    failed = true;
    dialog.showErrorBox(title, message);
    app.exit(1);
  }
  throw err instanceof Error ? err : new Error(message);
}

function senderOf(event: IpcMainInvokeEvent): IpcSender {
  const win = mainWindow && !mainWindow.isDestroyed() ? mainWindow : null;
  const frame = event.senderFrame;
  const trusted = isTrustedSender({
    senderWebContentsId: event.sender.id,
    frame: frame ? { url: frame.url, processId: frame.processId, routingId: frame.routingId, parent: frame.parent } : null,
    windowWebContentsId: win ? win.webContents.id : null,
    mainFrame: win ? win.webContents.mainFrame : null,
    allowedOrigins,
  });
  return { id: `webContents:${event.sender.id}`, trusted };
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(mainWindowOptions({ preloadPath }));
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  const target = devServerUrl ?? APP_ENTRY_URL;
  win.loadURL(target).catch((err: unknown) => fail('Failover Console could not load its window', err));
  return win;
}

/** Denies navigation, new windows, webviews and every permission, for any webContents we ever get. */
function lockDownContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url, disposition }) => {
      // A clicked http(s) link (e.g. provider documentation) opens in the system browser; nothing opens in-app.
      if (disposition !== 'background-tab' && isExternalHttpUrl(url)) {
        shell.openExternal(url).catch(() => undefined);
      }
      return { action: 'deny' };
    });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

async function startCore(): Promise<Core> {
  const binding = chooseNativeBinding({
    isPackaged: app.isPackaged,
    appRoot: app.getAppPath(),
    electronVersion: process.versions.electron,
    exists: existsSync,
  });
  if (!binding.ok) fail('Failover Console could not open its database', new Error(binding.message));
  // openCore: a file from an older version is backed up online (SQLite's backup API), then migrated.
  const open = (choices: { replaceEmptyDataFile?: boolean } = {}) =>
    openCore({
      ...choices,
      onRestartRequested: () => {
        // A backup was chosen: it replaces the file while the core closes, then the app starts again.
        app.relaunch();
        app.quit();
      },
      dataDir: app.getPath('userData'),
      // A rehearsal should feel like a cloud: each simulated API call takes a few hundred ms, so
      // progress, live updates and cancellation can be practised. Tests run the sim with no latency.
      providers: { sim: { latency: { baseMs: 250, jitterMs: 250 } } },
      keyProvider: chooseKeyProvider(safeStorage, process.platform),
      // Azure interactive sign-in opens Entra ID's page in the system browser (loopback redirect).
      azure: { openBrowser: signInBrowser(shell) },
      ...(binding.nativeBinding ? { nativeBinding: binding.nativeBinding } : {}),
      appVersion: app.getVersion(),
      platform: process.platform,
      reportOutput: electronReportOutput(() => (mainWindow && !mainWindow.isDestroyed() ? mainWindow : null)),
    });
  try {
    return await open();
  } catch (err) {
    // An empty or damaged data file is the operator's decision: start anew, restore, or quit.
    if (err instanceof DataFileError && (err.problem === 'empty' || err.problem === 'damaged')) {
      const dataDir = app.getPath('userData');
      const latest = listBackups(dataDir)[0];
      const buttons = [...(latest ? [`Restore the backup of ${latest.createdAt}`] : []), ...(err.problem === 'empty' ? ['Start a new workspace'] : []), 'Quit'];
      const choice = dialog.showMessageBoxSync({ type: 'warning', title: 'Failover Console', message: err.message, buttons, cancelId: buttons.length - 1, defaultId: buttons.length - 1 });
      const picked = buttons[choice] ?? 'Quit';
      try {
        if (latest && picked.startsWith('Restore')) {
          restoreBackup(err.file, dataDir, latest.name, MIGRATIONS.reduce((m, x) => Math.max(m, x.version), 0), new Date(), binding.nativeBinding);
          return await open();
        }
        if (picked === 'Start a new workspace') return await open({ replaceEmptyDataFile: true });
      } catch (inner) {
        return fail('Failover Console could not open its database', inner);
      }
      // Quit: the file stays exactly as it was.
      failed = true;
      app.exit(1);
      throw err;
    }
    return fail('Failover Console could not open its database', err);
  }
}

if (!app.requestSingleInstanceLock()) {
  // Another console owns this data folder; it is told (second-instance) and brings itself forward.
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  });

  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);

  app.whenReady().then(async () => {
    lockDownContents();
    protocol.handle(APP_SCHEME, createAppProtocolHandler({ root: rendererRoot }));

    const started = await startCore();
    core = started;
    bindIpc({ ipcMain, router: started.router, channels: CHANNELS, senderOf });
    started.events.subscribe((name, payload) => {
      if (!isEventName(name)) return;
      if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(name, payload);
      // A job can run for a long time; tell the operator when it ends even if the window is hidden.
      if (name === 'dr:job.finished') {
        showJobNotification(Notification, payload, () => {
          if (!mainWindow || mainWindow.isDestroyed()) return;
          if (mainWindow.isMinimized()) mainWindow.restore();
          mainWindow.show();
          mainWindow.focus();
        });
      }
    });

    mainWindow = createWindow();
    app.on('activate', () => {
      if (!mainWindow) mainWindow = createWindow();
    });
  }).catch((err: unknown) => fail('Failover Console could not start', err));

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // Close the core (scheduler, running jobs' journal, SQLite WAL) before the process goes away.
  app.on('before-quit', (event) => {
    if (!core || closing) return;
    event.preventDefault();
    closing = true;
    const current = core;
    core = null;
    current
      .close()
      .catch((err: unknown) => console.error('Failover Console: error while closing the core', err))
      .finally(() => app.quit());
  });
}
