// The one window's options. Kept apart from the shell so a test can pin every security setting.

import type { BrowserWindowConstructorOptions } from 'electron';

export const WINDOW_TITLE = 'Failover Console';

export function mainWindowOptions(opts: { preloadPath: string }): BrowserWindowConstructorOptions {
  return {
    title: WINDOW_TITLE,
    width: 1360,
    height: 860,
    minWidth: 1024,
    minHeight: 640,
    // Shown on ready-to-show so the operator never sees a blank white frame.
    show: false,
    backgroundColor: '#0f1720',
    autoHideMenuBar: true,
    webPreferences: {
      preload: opts.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
    },
  };
}
