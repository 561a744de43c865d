// Derives the page-facing API (`window.drConsole`) from the contract: one named function per
// channel, grouped by domain, plus `on(event, listener)` for push events. No raw invoke is exposed.

import type { Result } from '../errors';
import { CHANNELS, EVENT_NAMES, isEventName, type Channel, type EventName, type EventPayload, type RequestOf, type ResponseOf } from './contract';

type DomainOf<C extends string> = C extends `dr:${infer D}.${string}` ? D : never;
type VerbOf<C extends string> = C extends `dr:${string}.${infer V}` ? V : never;
type ChannelsOf<D extends string> = Extract<Channel, `dr:${D}.${string}`>;

export type DrConsoleApi = {
  readonly [D in DomainOf<Channel>]: {
    readonly [C in ChannelsOf<D> as VerbOf<C>]: (request: RequestOf<C>) => Promise<Result<ResponseOf<C>>>;
  };
} & {
  readonly on: <E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) => () => void;
};

export type InvokeFn = (channel: Channel, request: unknown) => Promise<unknown>;
export type SubscribeFn = (event: EventName, listener: (payload: unknown) => void) => () => void;

export function splitChannel(channel: Channel): { domain: string; verb: string } {
  const body = channel.slice('dr:'.length);
  const dot = body.indexOf('.');
  return { domain: body.slice(0, dot), verb: body.slice(dot + 1) };
}

/** Builds the frozen bridge object. Used by the preload (over ipcRenderer) and the test harness. */
export function buildBridge(invoke: InvokeFn, subscribe: SubscribeFn): DrConsoleApi {
  const api: Record<string, unknown> = {};
  for (const channel of CHANNELS) {
    const { domain, verb } = splitChannel(channel);
    const group = (api[domain] ??= {}) as Record<string, unknown>;
    group[verb] = (request: unknown) => invoke(channel, request ?? {});
  }
  for (const key of Object.keys(api)) Object.freeze(api[key]);
  api.on = (event: EventName, listener: (payload: unknown) => void) => {
    if (!isEventName(event)) throw new Error(`Unknown event ${String(event)}`);
    if (typeof listener !== 'function') throw new Error('listener must be a function');
    return subscribe(event, listener);
  };
  return Object.freeze(api) as unknown as DrConsoleApi;
}

export { CHANNELS, EVENT_NAMES };
