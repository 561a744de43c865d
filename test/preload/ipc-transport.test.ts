import { describe, expect, it } from 'vitest';
import { buildBridge } from '../../shared/ipc/bridge';
import { CHANNELS, EVENT_NAMES, type Channel, type EventName } from '../../shared/ipc/contract';
import { createIpcTransport, type IpcRendererLike } from '../../preload/ipc-transport';

type Listener = (event: unknown, ...args: unknown[]) => void;

function fakeIpcRenderer() {
  const invoked: [string, unknown[]][] = [];
  const listeners = new Map<string, Set<Listener>>();
  const ipc: IpcRendererLike = {
    invoke: async (channel, ...args) => {
      invoked.push([channel, args]);
      return { ok: true, value: channel };
    },
    on: (channel, listener) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
    },
    removeListener: (channel, listener) => {
      listeners.get(channel)?.delete(listener);
    },
  };
  const emit = (channel: string, payload: unknown) => {
    for (const l of listeners.get(channel) ?? []) l({ sender: 'ipc-event-with-privileges' }, payload);
  };
  return { ipc, invoked, listeners, emit };
}

describe('the preload transport', () => {
  it('invokes contract channels with exactly one request argument', async () => {
    const fake = fakeIpcRenderer();
    const { invoke } = createIpcTransport(fake.ipc);
    await expect(invoke('dr:policies.list', { state: 'active' })).resolves.toEqual({ ok: true, value: 'dr:policies.list' });
    expect(fake.invoked).toEqual([['dr:policies.list', [{ state: 'active' }]]]);
  });

  it('refuses channels outside the contract without calling ipcRenderer', async () => {
    const fake = fakeIpcRenderer();
    const { invoke } = createIpcTransport(fake.ipc);
    await expect(invoke('dr:shell.exec' as Channel, {})).rejects.toThrow(/Unknown channel/);
    await expect(invoke('__proto__' as Channel, {})).rejects.toThrow(/Unknown channel/);
    expect(fake.invoked).toEqual([]);
  });

  it('hands listeners the payload only, never the IPC event, and unsubscribes', () => {
    const fake = fakeIpcRenderer();
    const { subscribe } = createIpcTransport(fake.ipc);
    const got: unknown[][] = [];
    const off = subscribe('dr:policies.changed', (...args: unknown[]) => got.push(args));
    fake.emit('dr:policies.changed', { policyId: null });
    off();
    off();
    fake.emit('dr:policies.changed', { policyId: 'p2' });
    expect(got).toEqual([[{ policyId: null }]]);
    expect(fake.listeners.get('dr:policies.changed')?.size).toBe(0);
  });

  it('refuses to subscribe to events outside the contract', () => {
    const { subscribe } = createIpcTransport(fakeIpcRenderer().ipc);
    expect(() => subscribe('ipc-internal' as EventName, () => undefined)).toThrow(/Unknown event/);
  });

  it('backs a bridge with one method per contract channel and nothing else', async () => {
    const fake = fakeIpcRenderer();
    const { invoke, subscribe } = createIpcTransport(fake.ipc);
    const bridge = buildBridge(invoke, subscribe) as unknown as Record<string, Record<string, (r: unknown) => Promise<unknown>>>;
    let methods = 0;
    for (const [domain, group] of Object.entries(bridge)) {
      if (domain === 'on') continue;
      methods += Object.keys(group).length;
    }
    expect(methods).toBe(CHANNELS.length);
    await bridge['policies']!['list']!({});
    expect(fake.invoked.at(-1)?.[0]).toBe('dr:policies.list');
    expect(EVENT_NAMES.length).toBeGreaterThan(0);
  });
});
