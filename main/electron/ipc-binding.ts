// Binds every contract channel to the one router, through ipcMain.handle. The shell adds only the
// sender identity; validation, errors and results are the router's. Nothing thrown crosses IPC.

import type { Result } from '../../shared/errors';
import type { Channel } from '../../shared/ipc/contract';

export interface IpcSender {
  id: string;
  trusted: boolean;
}

/** The slice of Electron's ipcMain this needs (structural, so it is testable under Node). */
export interface IpcMainLike<E> {
  handle(channel: string, listener: (event: E, ...args: unknown[]) => Promise<unknown> | unknown): void;
  removeHandler(channel: string): void;
}

export interface RouterLike {
  dispatch(channel: unknown, payload: unknown, sender?: IpcSender): Promise<Result<unknown>>;
}

export interface BindIpcOptions<E> {
  ipcMain: IpcMainLike<E>;
  router: RouterLike;
  channels: readonly Channel[];
  /** Identifies and checks the caller of one IPC event. */
  senderOf: (event: E) => IpcSender;
}

/** Registers one handler per channel; returns a function that removes them all. */
export function bindIpc<E>(opts: BindIpcOptions<E>): () => void {
  for (const channel of opts.channels) {
    opts.ipcMain.handle(channel, async (event: E, ...args: unknown[]) => {
      let sender: IpcSender;
      try {
        sender = opts.senderOf(event);
      } catch {
        sender = { id: 'unknown', trusted: false };
      }
      try {
        // Extra arguments are dropped: the contract has exactly one request object per call.
        return await opts.router.dispatch(channel, args[0], sender);
      } catch (err) {
        // The router promises never to throw; if it does anyway, the page still gets data, not an exception.
        const failure: Result<unknown> = {
          ok: false,
          error: { code: 'Internal', message: `Internal error on ${channel}: ${err instanceof Error ? err.message : String(err)}` },
        };
        return failure;
      }
    });
  }
  return () => {
    for (const channel of opts.channels) opts.ipcMain.removeHandler(channel);
  };
}
