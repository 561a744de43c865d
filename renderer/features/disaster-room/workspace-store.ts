// The Workspace page's actions: export and import a handover bundle, rebuild from the clouds.

import { create } from 'zustand';
import type { DrErrorData } from '../../../shared/errors';
import type { HandoverImportResult, RebuildReport } from '../../../shared/offline';
import { call, toErrorData } from '../../api';

type Busy = 'export' | 'import' | 'rebuild' | null;

interface WorkspaceState {
  busy: Busy;
  error: { action: Exclude<Busy, null>; data: DrErrorData } | null;
  exported: { fileName: string; bytes: number; policies: number; credentialsIncluded: boolean } | null;
  imported: HandoverImportResult | null;
  rebuilt: RebuildReport | null;
  exportBundle: (passphrase: string, includeCredentials: boolean) => Promise<void>;
  importBundle: (file: File, passphrase: string) => Promise<void>;
  rebuild: () => Promise<void>;
}

function toBase64(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function download(fileName: string, base64: string): void {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const useWorkspace = create<WorkspaceState>()((set) => ({
  busy: null,
  error: null,
  exported: null,
  imported: null,
  rebuilt: null,
  async exportBundle(passphrase, includeCredentials) {
    set({ busy: 'export', error: null, exported: null });
    try {
      const r = await call('dr:handover.export', { passphrase, includeCredentials });
      download(r.fileName, r.bundleBase64);
      set({ busy: null, exported: { fileName: r.fileName, bytes: r.bytes, policies: r.policies, credentialsIncluded: r.credentialsIncluded } });
    } catch (err) {
      set({ busy: null, error: { action: 'export', data: toErrorData(err) } });
    }
  },
  async importBundle(file, passphrase) {
    set({ busy: 'import', error: null, imported: null });
    try {
      const bundleBase64 = toBase64(await file.arrayBuffer());
      set({ busy: null, imported: await call('dr:handover.import', { bundleBase64, passphrase }) });
    } catch (err) {
      set({ busy: null, error: { action: 'import', data: toErrorData(err) } });
    }
  },
  async rebuild() {
    set({ busy: 'rebuild', error: null, rebuilt: null });
    try {
      set({ busy: null, rebuilt: await call('dr:rebuild.run', {}) });
    } catch (err) {
      set({ busy: null, error: { action: 'rebuild', data: toErrorData(err) } });
    }
  },
}));
