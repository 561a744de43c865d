// Every long-running ARM operation through the journal of operations (ctx.mutate): the intent
// (deterministic name and what is asked) before the PUT/DELETE; the poller's serialized state (its
// Azure-AsyncOperation / Location URL inside) as the op's handle as soon as ARM accepted it; on resume
// the poller is restored from that handle and polling goes on, never a second PUT. With only an intent
// (a crash before ARM answered), the resource is read back by its deterministic name and adopted.
//
// Two poller generations (test/peers/azure-arm/NOTES.md): the TypeSpec clients (compute, network,
// resources, storage, AKS) return a core-lro 3 PollerLike (`submitted()`, `serialize()`, restored with
// the package's `restorePoller(client, state, client.x.op)`); the classic ones (sql, mysql,
// postgresql) a core-lro 2 SimplePollerLike (`toString()`, restored with `{ resumeFrom }`).

import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderFailure } from '../provider-failure';
import type { EnvRef, OperationRecord, StepContext } from '../types';
import { armFamily, type AzureContext } from './clients';

/** A poller of either generation, as the journal needs it. */
export interface ArmPoller<R> {
  /** The state a later process restores the poller from (resolves once ARM accepted the operation). */
  serialize(): Promise<string>;
  /** Polls until the operation ends; rejects when it failed. */
  done(signal: AbortSignal): Promise<R>;
}

/** Minimal core-lro 3 PollerLike surface. */
interface PollerLikeV3<R> {
  submitted(): Promise<void>;
  serialize(): Promise<string>;
  pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<R>;
}

/** Minimal core-lro 2 SimplePollerLike surface. */
interface SimplePollerV2<R> {
  toString(): string;
  pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<R>;
}

/** A TypeSpec client's poller (`client.virtualMachines.createOrUpdate(...)`, or `restorePoller(...)`). */
export function v3Poller<R>(p: PollerLikeV3<R>): ArmPoller<R> {
  return {
    serialize: async () => {
      await p.submitted();
      return p.serialize();
    },
    done: (signal) => p.pollUntilDone({ abortSignal: signal }),
  };
}

/** A classic client's poller (`await client.databases.beginCreateOrUpdate(...)`, or the same with `{ resumeFrom }`). */
export function v2Poller<R>(p: SimplePollerV2<R>): ArmPoller<R> {
  return {
    serialize: () => Promise.resolve(p.toString()),
    done: (signal) => p.pollUntilDone({ abortSignal: signal }),
  };
}

/** ARM provisioning states that end an operation (Microsoft's RPC: Succeeded, Failed, Canceled). */
const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'cancelled']);

export interface ArmLroSpec<R, T> {
  /** The RBAC action ("Microsoft.Compute/virtualMachines/write"): the rate family and the error sentence. */
  action: string;
  /** The deterministic material committed before the call: resource id/name, the body's decisive fields. */
  intent: Record<string, unknown>;
  /** Sends the PUT/DELETE/POST; resolves with the poller (ARM may not have answered yet: v3 pollers start lazily). */
  start(signal: AbortSignal): Promise<ArmPoller<R>> | ArmPoller<R>;
  /** Restores the poller from a journaled handle's state and goes on polling. */
  restore(state: string, signal: AbortSignal): Promise<ArmPoller<R>> | ArmPoller<R>;
  /**
   * With only an intent journaled: read the resource back by its deterministic name. undefined when it
   * does not exist (the call is made); a resource with a provisioning state is waited for while it is
   * still changing, adopted when Succeeded, PUT again when Failed.
   */
  lookup?(signal: AbortSignal): Promise<R | undefined>;
  /** The resource's provisioning state (for lookup); absent: anything found is adopted. */
  stateOf?(resource: R): string | undefined;
  /** What goes into the journal and back to the handler: small, JSON-serialisable (ids, names). */
  project(result: R): T;
}

/** The poller state a handle carries. */
export interface LroHandle {
  pollerState: string;
}

function pollerStateOf(previous: OperationRecord): string | undefined {
  const s = previous.handle?.pollerState;
  return typeof s === 'string' && s.length > 0 ? s : undefined;
}

/**
 * Runs one long-running ARM operation under `opKey` of the step's journal (see the file comment).
 * Every request (the PUT, each poll, the final GET) takes a token of its ARM family.
 */
export function armLro<R, T>(az: AzureContext, ctx: StepContext, env: EnvRef, opKey: string, spec: ArmLroSpec<R, T>): Promise<T> {
  const intent = { action: spec.action, location: env.region, ...spec.intent };
  return ctx.mutate<T>(opKey, {
    family: armFamily(spec.action),
    intent,
    resume: async (previous, signal) => {
      const state = pollerStateOf(previous);
      if (state) {
        ctx.progress(`Resuming ${spec.action} from its journaled operation`);
        try {
          const result = await az.call(ctx, env, spec.action, async () => (await spec.restore(state, signal)).done(signal));
          return spec.project(result);
        } catch (err) {
          // The operation record expired or the resource is gone since: read back by name instead.
          if (!(err instanceof ProviderFailure && err.code === 'NotFound')) throw err;
        }
      }
      return adopt(az, ctx, env, spec, signal);
    },
    call: async (signal, op) => {
      // One token is already taken by ctx.mutate: the first request (the PUT) is prepaid.
      return az.call(
        ctx,
        env,
        spec.action,
        async () => {
          const poller = await spec.start(signal);
          const pollerState = await poller.serialize();
          await op.handle({ pollerState } satisfies LroHandle as unknown as Record<string, unknown>);
          return spec.project(await poller.done(signal));
        },
        1,
      );
    },
  });
}

/** Reads the resource back by name; waits while it is still changing; undefined sends the call again. */
async function adopt<R, T>(az: AzureContext, ctx: StepContext, env: EnvRef, spec: ArmLroSpec<R, T>, signal: AbortSignal): Promise<T | undefined> {
  if (!spec.lookup) return undefined;
  const lookup = spec.lookup;
  const interval = az.opts.updateIntervalInMs ?? 2_000;
  for (;;) {
    const found = await az.call(ctx, env, spec.action, () => lookup(signal)).catch((err: unknown) => {
      if (err instanceof ProviderFailure && err.code === 'NotFound') return undefined;
      throw err;
    });
    if (found === undefined) return undefined;
    const state = spec.stateOf?.(found)?.toLowerCase();
    if (state === undefined || state === 'succeeded') return spec.project(found);
    if (TERMINAL.has(state)) return undefined;
    ctx.progress(`Waiting for ${spec.action} already under way (${state})`);
    await sleep(interval, undefined, { signal });
  }
}

export interface ArmDeleteSpec {
  action: string;
  intent: Record<string, unknown>;
  start(signal: AbortSignal): Promise<ArmPoller<unknown>> | ArmPoller<unknown>;
  restore(state: string, signal: AbortSignal): Promise<ArmPoller<unknown>> | ArmPoller<unknown>;
  /** Whether the resource still exists (a GET by id): a resumed delete of something gone is done. */
  exists(signal: AbortSignal): Promise<boolean>;
}

/** A long-running DELETE under the journal: deleting something already gone succeeds (null). */
export function armDelete(az: AzureContext, ctx: StepContext, env: EnvRef, opKey: string, spec: ArmDeleteSpec): Promise<null> {
  return armLro<unknown, null>(az, ctx, env, opKey, {
    action: spec.action,
    intent: spec.intent,
    start: spec.start,
    restore: spec.restore,
    lookup: async (signal) => ((await spec.exists(signal)) ? undefined : null),
    project: () => null,
  }).catch((err: unknown) => {
    if (err instanceof ProviderFailure && err.code === 'NotFound') return null;
    throw err;
  });
}
