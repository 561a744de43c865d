// The preload's two wires to main: invoke for contract channels, subscribe for contract events.
// Anything else is refused here too, and listeners get the payload only, never the IPC event.

import type { InvokeFn, SubscribeFn } from '../shared/ipc/bridge';
import { isChannel, isEventName } from '../shared/ipc/contract';

/** The slice of Electron's ipcRenderer used (structural, so the transport is testable under Node). */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function createIpcTransport(ipc: IpcRendererLike): { invoke: InvokeFn; subscribe: SubscribeFn } {
  const invoke: InvokeFn = (channel, request) => {
    if (!isChannel(channel)) return Promise.reject(new Error(`Unknown channel ${String(channel)}`));
    return ipc.invoke(channel, request);
  };
  const subscribe: SubscribeFn = (event, listener) => {
    if (!isEventName(event)) throw new Error(`Unknown event ${String(event)}`);
    const wrapped = (_event: unknown, payload: unknown): void => listener(payload);
    ipc.on(event, wrapped);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      ipc.removeListener(event, wrapped);
    };
  };
  return { invoke, subscribe };
}
