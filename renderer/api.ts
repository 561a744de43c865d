// The renderer's only door to the app: a typed client over `window.drConsole` (built by the preload
// or the test harness from the IPC contract). Failures become ApiError carrying the server's sentence.

import type { DrErrorData } from '../shared/errors';
import type { DrConsoleApi } from '../shared/ipc/bridge';
import type { Channel, EventName, EventPayload, RequestOf, ResponseOf } from '../shared/ipc/contract';

declare global {
  interface Window {
    readonly drConsole?: DrConsoleApi;
  }
}

export class ApiError extends Error {
  readonly data: DrErrorData;
  constructor(data: DrErrorData) {
    super(data.message);
    this.name = 'ApiError';
    this.data = data;
  }
  get code(): DrErrorData['code'] {
    return this.data.code;
  }
}

/** Turns anything thrown into error data an operator can read; never a stack trace. */
export function toErrorData(err: unknown): DrErrorData {
  if (err instanceof ApiError) return err.data;
  return {
    code: 'Internal',
    message: 'The console could not reach its core process. Try again; if it keeps failing, restart the app.',
  };
}

type Invoker = (request: unknown) => Promise<unknown>;

function bridge(): DrConsoleApi {
  const api = window.drConsole;
  if (!api) {
    throw new ApiError({
      code: 'Internal',
      message: 'The console is not connected to its core process (no bridge). Restart the app.',
    });
  }
  return api;
}

function isResult(v: unknown): v is { ok: true; value: unknown } | { ok: false; error: DrErrorData } {
  return typeof v === 'object' && v !== null && typeof (v as { ok?: unknown }).ok === 'boolean';
}

/** Calls one channel of the contract; resolves with its value or throws ApiError. */
export async function call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
  const api = bridge();
  // Channels are `dr:<domain>.<verb>`; the verb may itself contain no dot, the domain never does.
  const body = channel.slice(3);
  const dot = body.indexOf('.');
  const group = (api as unknown as Record<string, Record<string, Invoker> | undefined>)[body.slice(0, dot)];
  const fn = group?.[body.slice(dot + 1)];
  if (typeof fn !== 'function') {
    throw new ApiError({ code: 'Internal', message: `The core does not offer ${channel}. Update the app.` });
  }
  let result: unknown;
  try {
    result = await fn(request);
  } catch {
    throw new ApiError({
      code: 'Internal',
      message: 'The request did not reach the core process. Try again; if it keeps failing, restart the app.',
    });
  }
  if (!isResult(result)) {
    throw new ApiError({ code: 'Internal', message: `The core answered ${channel} with something unexpected.` });
  }
  if (!result.ok) throw new ApiError(result.error);
  return result.value as ResponseOf<C>;
}

/** Subscribes to a push event; returns the unsubscribe function. A missing bridge means no events. */
export function onEvent<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void {
  const api = window.drConsole;
  if (!api) return () => {};
  return api.on(name, listener);
}
