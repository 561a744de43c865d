// The one IPC router: checks the sender, validates each request with the contract's schema, calls
// the handler, checks the response in development, and returns a Result. It never throws.

import { ZodError } from 'zod';
import type { DrErrorData, Result } from '../../shared/errors';
import { contract, isChannel, type Channel, type ParsedRequestOf, type ResponseOf } from '../../shared/ipc/contract';
import { DomainError } from '../core/errors';
import { consoleLogger, type Logger } from '../core/logger';
import { ProviderFailure } from '../providers/provider-failure';
import { storageFault, type StorageFault } from '../db/storage-errors';

export interface Sender {
  id: string;
  trusted: boolean;
}

export interface HandlerContext {
  /** Undefined for in-process callers (tests, the harness's own set-up). */
  sender: Sender | undefined;
}

export type Handler<C extends Channel> = (request: ParsedRequestOf<C>, ctx: HandlerContext) => ResponseOf<C> | Promise<ResponseOf<C>>;

export interface RouterOptions {
  logger?: Logger;
  /** Parse every response with the contract's schema; on in development and tests. */
  validateResponses?: boolean;
  /** Requests larger than this (bytes of their JSON) are refused before validation. */
  maxRequestBytes?: number;
  /** Read-only mode: refuses a change (throws a DomainError) before its handler runs. */
  guard?: (channel: Channel) => void;
  /** Told about a handler's failed write; a storage fault is answered with its sentence. */
  storage?: { fault(err: unknown): StorageFault | null };
}

/**
 * The largest legitimate request is a policy of 5,000 resources (the contract's maximum) with
 * the longest Azure resource ids and 256-character names: 2,952,480 bytes (2.8 MB) measured
 * (test/main/ipc/router.test.ts builds it). The limit leaves room above that; anything bigger is a
 * bug or an attack, not an operator's work.
 */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** The request's size in bytes as JSON (what Electron's structured clone carried, near enough). */
export function requestBytes(payload: unknown): number {
  if (payload === undefined) return 0;
  return Buffer.byteLength(JSON.stringify(payload) ?? '', 'utf8');
}

const megabytes = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;

const INTERNAL_MESSAGE = 'Something went wrong inside the console; the details are in its log. Try again.';
const MAX_DETAILS = 20;

function zodDetails(err: ZodError): { path?: string; message: string }[] {
  return err.issues.slice(0, MAX_DETAILS).map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? { path, message: issue.message } : { message: issue.message };
  });
}

function isSqliteConstraint(err: unknown): err is Error & { code: string } {
  if (!(err instanceof Error)) return false;
  const code: unknown = (err as unknown as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT');
}

export class Router {
  private readonly handlers = new Map<Channel, Handler<Channel>>();
  private readonly logger: Logger;
  private readonly validateResponses: boolean;
  private readonly maxRequestBytes: number;
  private readonly guard: ((channel: Channel) => void) | undefined;
  private readonly storage: RouterOptions['storage'];

  constructor(opts: RouterOptions = {}) {
    this.guard = opts.guard;
    this.storage = opts.storage;
    this.logger = opts.logger ?? consoleLogger;
    this.maxRequestBytes = opts.maxRequestBytes ?? MAX_REQUEST_BYTES;
    this.validateResponses = opts.validateResponses ?? process.env.NODE_ENV !== 'production';
  }

  handle<C extends Channel>(channel: C, handler: Handler<C>): void {
    if (!isChannel(channel)) throw new Error(`Not a contract channel: ${String(channel)}`);
    if (this.handlers.has(channel)) throw new Error(`Channel ${channel} already has a handler`);
    this.handlers.set(channel, handler as unknown as Handler<Channel>);
  }

  channels(): Channel[] {
    return [...this.handlers.keys()];
  }

  async dispatch(channel: unknown, payload: unknown, sender?: Sender): Promise<Result<unknown>> {
    try {
      if (sender !== undefined && sender.trusted !== true) {
        return this.fail({ code: 'Forbidden', message: 'This caller is not allowed to use the console.' });
      }
      if (!isChannel(channel)) {
        return this.fail({ code: 'Forbidden', message: 'Unknown console operation.' });
      }
      const handler = this.handlers.get(channel);
      if (!handler) {
        this.logger.error(`No handler registered for ${channel}`);
        return this.fail({ code: 'Internal', message: `The operation ${channel} is not available in this console.` });
      }
      let size: number;
      try {
        size = requestBytes(payload);
      } catch {
        return this.fail({ code: 'ValidationFailed', message: 'The request is not valid: it cannot be read as data.' });
      }
      if (size > this.maxRequestBytes) {
        this.logger.warn(`Refused a ${size}-byte request on ${channel}`);
        return this.fail({
          code: 'ValidationFailed',
          message: `The request is too large (${megabytes(size)}; the console accepts up to ${megabytes(this.maxRequestBytes)}). Nothing was changed.`,
        });
      }
      const schema = contract[channel];
      const parsed = schema.request.safeParse(payload);
      if (!parsed.success) {
        const details = zodDetails(parsed.error);
        const first = details[0];
        return this.fail({
          code: 'ValidationFailed',
          message: first ? `The request is not valid: ${first.path ? `${first.path} ` : ''}${first.message}.` : 'The request is not valid.',
          details,
        });
      }
      this.guard?.(channel);
      const value: unknown = await handler(parsed.data as ParsedRequestOf<Channel>, { sender });
      if (this.validateResponses) {
        const checked = schema.response.safeParse(value);
        if (!checked.success) {
          this.logger.error(`Response of ${channel} does not match the contract`, checked.error.issues);
          return this.fail({ code: 'Internal', message: INTERNAL_MESSAGE });
        }
        return { ok: true, value: checked.data };
      }
      return { ok: true, value };
    } catch (err) {
      return this.fail(this.toError(channel, err));
    }
  }

  private toError(channel: unknown, err: unknown): DrErrorData {
    if (err instanceof DomainError) return err.toData();
    if (err instanceof ProviderFailure) return { code: err.code, message: err.message };
    if (err instanceof ZodError) {
      const details = zodDetails(err);
      return { code: 'ValidationFailed', message: 'The input is not valid.', details };
    }
    const fault = this.storage?.fault(err) ?? storageFault(err);
    if (fault) return { code: 'StorageUnavailable', message: `${fault.sentence} Nothing was changed.` };
    if (isSqliteConstraint(err)) {
      this.logger.warn(`Constraint violation on ${String(channel)}`, err.message);
      return { code: 'Conflict', message: 'That change conflicts with data saved in the meantime; reload and try again.' };
    }
    this.logger.error(`Unexpected error on ${String(channel)}`, err);
    return { code: 'Internal', message: INTERNAL_MESSAGE };
  }

  private fail(error: DrErrorData): Result<unknown> {
    return { ok: false, error };
  }
}
