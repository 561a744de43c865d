import { describe, expect, it } from 'vitest';
import { buildBridge, splitChannel } from '../../shared/ipc/bridge';
import { CHANNELS, EVENT_NAMES, contract, events, isChannel, type EventName } from '../../shared/ipc/contract';
import { createTestCore } from '../helpers/test-core';
import { useTempDirs } from '../helpers/temp-dir';

const tempDir = useTempDirs();

describe('the IPC contract', () => {
  it('names every channel dr:<domain>.<verb> with request and response schemas', () => {
    expect(CHANNELS.length).toBeGreaterThan(0);
    for (const channel of CHANNELS) {
      expect(channel).toMatch(/^dr:[a-z][A-Za-z]*\.[a-z][A-Za-z]*$/);
      expect(typeof contract[channel].request.safeParse).toBe('function');
      expect(typeof contract[channel].response.safeParse).toBe('function');
    }
    for (const name of EVENT_NAMES) expect(typeof events[name].safeParse).toBe('function');
  });

  it('has a router handler for every channel, and the router registers nothing else', async () => {
    const core = createTestCore(tempDir());
    expect([...core.router.channels()].sort()).toEqual([...CHANNELS].sort());
    await core.close();
  });

  it('has a bridge method for every channel that invokes exactly that channel', async () => {
    const invoked: { channel: string; request: unknown }[] = [];
    const bridge = buildBridge(
      (channel, request) => {
        invoked.push({ channel, request });
        return Promise.resolve({ ok: true, value: null });
      },
      () => () => undefined,
    ) as unknown as Record<string, Record<string, (req: unknown) => Promise<unknown>>>;
    for (const channel of CHANNELS) {
      const { domain, verb } = splitChannel(channel);
      const method = bridge[domain]?.[verb];
      expect(typeof method, `${channel} has no bridge method`).toBe('function');
      await method!({ marker: channel });
      expect(invoked.at(-1)).toEqual({ channel, request: { marker: channel } });
    }
    expect(invoked).toHaveLength(CHANNELS.length);
    expect(Object.isFrozen(bridge)).toBe(true);
  });

  it('has a bridge subscription path for every push event, and none for anything else', () => {
    const subscribed: EventName[] = [];
    const bridge = buildBridge(
      () => Promise.resolve(null),
      (event) => {
        subscribed.push(event);
        return () => undefined;
      },
    );
    for (const name of EVENT_NAMES) {
      const off = bridge.on(name, () => undefined);
      expect(typeof off).toBe('function');
    }
    expect(subscribed).toEqual(EVENT_NAMES);
    expect(() => bridge.on('dr:not.an.event' as EventName, () => undefined)).toThrow(/Unknown event/);
  });

  it('recognises channels by own keys only (no prototype names)', () => {
    expect(isChannel('constructor')).toBe(false);
    expect(isChannel('__proto__')).toBe(false);
    expect(isChannel('toString')).toBe(false);
    for (const channel of CHANNELS) expect(isChannel(channel)).toBe(true);
  });
});
