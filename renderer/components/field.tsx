// A labelled form field with its hint, length counter and error wired to the control through
// aria-describedby. A length limit is shown as a counter, never enforced by cutting what was typed
// or pasted: past the limit the counter says by how much, and the form refuses to go on.

import { useId, type ReactElement, cloneElement } from 'react';

/** Names (policies, accounts, environments) are at most this long; main's schema says the same. */
export const NAME_MAX = 80;

export function Field(props: {
  label: string;
  hint?: string;
  error?: string | undefined;
  children: ReactElement<Record<string, unknown>>;
  optional?: boolean;
  /** Shows "12 / 80 characters" under the control, and how many too many past the limit. */
  limit?: { length: number; max: number };
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const counterId = `${id}-counter`;
  const over = props.limit ? props.limit.length - props.limit.max : 0;
  const describedBy =
    [props.hint ? hintId : null, props.limit ? counterId : null, props.error ? errorId : null].filter(Boolean).join(' ') || undefined;
  const control = cloneElement(props.children, {
    id,
    'aria-describedby': describedBy,
    'aria-invalid': props.error || over > 0 ? true : undefined,
  });
  return (
    <div className={`field${props.error || over > 0 ? ' field-invalid' : ''}`}>
      <label htmlFor={id} className="field-label">
        {props.label}
        {props.optional && <span className="field-optional"> (optional)</span>}
      </label>
      {control}
      {props.hint && (
        <p id={hintId} className="field-hint">
          {props.hint}
        </p>
      )}
      {props.limit && (
        <p id={counterId} className={`field-counter tabular${over > 0 ? ' field-counter-over' : ''}`} aria-live={over > 0 ? 'polite' : 'off'}>
          {props.limit.length} / {props.limit.max} characters
          {over > 0 && ` — ${over} too many; shorten it to ${props.limit.max} or fewer.`}
        </p>
      )}
      {props.error && (
        <p id={errorId} className="field-error">
          {props.error}
        </p>
      )}
    </div>
  );
}
