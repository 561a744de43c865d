// A test bridge built with the same buildBridge the preload uses: handlers answer per channel,
// events can be pushed, and every call is recorded.

import { buildBridge } from '../../shared/ipc/bridge';
import type { Result } from '../../shared/errors';
import type { Channel, EventName } from '../../shared/ipc/contract';

export type Handler = (request: Record<string, unknown>) => Result<unknown> | Promise<Result<unknown>>;

export function installFakeBridge(handlers: Partial<Record<Channel, Handler>>) {
  const calls: { channel: Channel; request: Record<string, unknown> }[] = [];
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  const api = buildBridge(
    async (channel, request) => {
      calls.push({ channel, request: request as Record<string, unknown> });
      const h = handlers[channel];
      if (!h) return { ok: false, error: { code: 'Internal', message: `no fake for ${channel}` } };
      return h(request as Record<string, unknown>);
    },
    (event, listener) => {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    },
  );
  Object.defineProperty(window, 'drConsole', { value: api, configurable: true, writable: false });
  return {
    calls,
    emit: (event: EventName, payload: unknown) => listeners.get(event)?.forEach((l) => l(payload)),
    uninstall: () => Reflect.deleteProperty(window, 'drConsole'),
  };
}

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
