// Where the Electron-ABI build of better-sqlite3 lives in development. node_modules keeps the
// Node-ABI build for the tests; scripts/ensure-electron-native.mjs writes this separate copy.

import { join } from 'node:path';

/** Same convention as scripts/ensure-electron-native.mjs (a test keeps the two in step). */
export function electronNativeBindingPath(appRoot: string, electronVersion: string): string {
  return join(appRoot, '.native', `electron-${electronVersion}`, 'better_sqlite3.node');
}

export type NativeBindingChoice =
  | { ok: true; nativeBinding: string | undefined }
  | { ok: false; message: string };

/**
 * Packaged apps carry better-sqlite3 rebuilt for Electron by electron-builder, so the module's own
 * binding is right. In development the separate build must exist; if not, say how to make it.
 */
export function chooseNativeBinding(opts: {
  isPackaged: boolean;
  appRoot: string;
  electronVersion: string;
  exists: (file: string) => boolean;
}): NativeBindingChoice {
  if (opts.isPackaged) return { ok: true, nativeBinding: undefined };
  const file = electronNativeBindingPath(opts.appRoot, opts.electronVersion);
  if (opts.exists(file)) return { ok: true, nativeBinding: file };
  return {
    ok: false,
    message:
      `The SQLite module built for Electron ${opts.electronVersion} was not found at ${file}. ` +
      'Run "node scripts/ensure-electron-native.mjs" (npm start does this) and start the app again.',
  };
}
