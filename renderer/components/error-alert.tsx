// The inline alert for a failed request: the server's sentence and its field details, never a stack.

import type { DrErrorData } from '../../shared/errors';

const TITLES: Partial<Record<DrErrorData['code'], string>> = {
  ValidationFailed: 'Check the highlighted fields',
  PreconditionFailed: 'Not possible right now',
  NotFound: 'Not found',
  Conflict: 'Conflict',
  ProviderAuthFailed: 'The cloud rejected the credentials',
  ProviderPermissionDenied: 'Permission denied by the cloud',
  ProviderThrottled: 'The cloud is throttling requests',
  ProviderQuotaExceeded: 'Cloud quota exceeded',
  ProviderUnavailable: 'The cloud is unavailable',
  ProviderOffline: 'Offline',
  CredentialStoreUnavailable: 'Credential store unavailable',
  Forbidden: 'Not allowed',
  Cancelled: 'Cancelled',
};

export function ErrorAlert(props: {
  error: DrErrorData | null;
  onRetry?: () => void;
  retryLabel?: string;
  compact?: boolean;
}) {
  const { error } = props;
  // The region stays mounted so screen readers announce the error when it appears.
  return (
    <div role="alert" className={error ? `alert alert-error${props.compact ? ' alert-compact' : ''}` : 'alert-empty'}>
      {error && (
        <>
          <span className="alert-icon" aria-hidden="true">
            !
          </span>
          <div className="alert-body">
            <p className="alert-title">{TITLES[error.code] ?? 'Something went wrong'}</p>
            <p className="alert-message">{error.message}</p>
            {error.details && error.details.length > 0 && (
              <ul className="alert-details">
                {error.details.map((d, i) => (
                  <li key={i}>
                    {d.path ? <strong>{d.path}: </strong> : null}
                    {d.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
          {props.onRetry && (
            <button type="button" className="btn" onClick={props.onRetry}>
              {props.retryLabel ?? 'Retry'}
            </button>
          )}
        </>
      )}
    </div>
  );
}

/** The message for one field from ValidationFailed details, matched on any segment of its path. */
export function fieldError(error: DrErrorData | null, field: string): string | undefined {
  if (!error?.details) return undefined;
  const hit = error.details.find((d) => d.path !== undefined && d.path.split(/[.[\]]/).includes(field));
  return hit?.message;
}

/**
 * The error without the details of one field: once the operator changes that field, its sentence
 * (from the last submit) is no longer about what the field holds. Null when nothing else was wrong.
 */
export function withoutFieldError(error: DrErrorData | null, field: string): DrErrorData | null {
  if (!error?.details?.length) return error;
  const details = error.details.filter((d) => d.path === undefined || !d.path.split(/[.[\]]/).includes(field));
  if (details.length === error.details.length) return error;
  return details.length > 0 ? { ...error, details } : null;
}
