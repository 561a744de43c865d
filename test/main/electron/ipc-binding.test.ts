import { describe, expect, it } from 'vitest';
import type { Result } from '../../../shared/errors';
import { CHANNELS } from '../../../shared/ipc/contract';
import { bindIpc, type IpcMainLike, type IpcSender } from '../../../main/electron/ipc-binding';

type FakeEvent = { senderId: number; trusted: boolean };
type Listener = (event: FakeEvent, ...args: unknown[]) => unknown;

function fakeIpcMain() {
  const handlers = new Map<string, Listener>();
  const ipc: IpcMainLike<FakeEvent> = {
    handle(channel, listener) {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener as Listener);
    },
    removeHandler(channel) {
      handlers.delete(channel);
    },
  };
  return { ipc, handlers };
}

const senderOf = (e: FakeEvent): IpcSender => ({ id: `webContents:${e.senderId}`, trusted: e.trusted });

describe('bindIpc', () => {
  it('registers exactly one handler per contract channel', () => {
    const { ipc, handlers } = fakeIpcMain();
    bindIpc({ ipcMain: ipc, router: { dispatch: async () => ({ ok: true, value: null }) }, channels: CHANNELS, senderOf });
    expect([...handlers.keys()].sort()).toEqual([...CHANNELS].sort());
  });

  it('passes channel, the first argument and the checked sender to the router, and returns its result', async () => {
    const { ipc, handlers } = fakeIpcMain();
    const calls: unknown[][] = [];
    bindIpc({
      ipcMain: ipc,
      router: {
        dispatch: async (channel, payload, sender) => {
          calls.push([channel, payload, sender]);
          return { ok: true, value: { echoed: payload } };
        },
      },
      channels: CHANNELS,
      senderOf,
    });
    const result = await handlers.get('dr:policies.list')!({ senderId: 5, trusted: false }, { state: 'active' }, 'extra');
    expect(calls).toEqual([['dr:policies.list', { state: 'active' }, { id: 'webContents:5', trusted: false }]]);
    expect(result).toEqual({ ok: true, value: { echoed: { state: 'active' } } });
  });

  it('turns a throwing router or sender check into data, never an exception across IPC', async () => {
    const { ipc, handlers } = fakeIpcMain();
    const seen: (IpcSender | undefined)[] = [];
    bindIpc({
      ipcMain: ipc,
      router: {
        dispatch: async (_c, _p, sender) => {
          seen.push(sender);
          throw new Error('boom');
        },
      },
      channels: CHANNELS,
      senderOf: () => {
        throw new Error('frame gone');
      },
    });
    const result = (await handlers.get('dr:app.info')!({ senderId: 1, trusted: true }, {})) as Result<unknown>;
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('Internal');
      expect(result.error.message).toContain('boom');
    }
    expect(seen).toEqual([{ id: 'unknown', trusted: false }]);
  });

  it('removes every handler it added when unbound', () => {
    const { ipc, handlers } = fakeIpcMain();
    const unbind = bindIpc({ ipcMain: ipc, router: { dispatch: async () => ({ ok: true, value: 1 }) }, channels: CHANNELS, senderOf });
    unbind();
    expect(handlers.size).toBe(0);
  });
});
