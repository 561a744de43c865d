// The sandboxed preload: exposes `window.drConsole`, derived from the contract, and nothing else.
// It is Electron code (it imports `electron`), bundled to CommonJS because sandboxed preloads must be.

import { contextBridge, ipcRenderer } from 'electron';
import { buildBridge } from '../shared/ipc/bridge';
import { createIpcTransport } from './ipc-transport';

const { invoke, subscribe } = createIpcTransport(ipcRenderer);
contextBridge.exposeInMainWorld('drConsole', buildBridge(invoke, subscribe));
