// Typed domain errors the core throws; the IPC router turns them into DrErrorData by their code.
// Messages are sentences an operator can act on, and never carry secrets.

import type { DrErrorData, ErrorCode } from '../../shared/errors';

export type ErrorDetail = { path?: string; message: string };

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;

  constructor(code: ErrorCode, message: string, details?: ErrorDetail[]) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }

  toData(): DrErrorData {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export const notFound = (what: string, id: string): DomainError =>
  new DomainError('NotFound', `${what} ${id} was not found; it may have been deleted.`);

export const precondition = (message: string): DomainError => new DomainError('PreconditionFailed', message);

export const conflict = (message: string): DomainError => new DomainError('Conflict', message);

export const invalid = (message: string, details?: ErrorDetail[]): DomainError =>
  new DomainError('ValidationFailed', message, details ?? [{ message }]);

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

/** Text of an unknown thrown value, for logs and step journals (not for the UI). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
