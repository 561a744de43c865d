// A labelled form field with its hint and error wired to the control through aria-describedby.

import { useId, type ReactElement, cloneElement } from 'react';

export function Field(props: {
  label: string;
  hint?: string;
  error?: string | undefined;
  children: ReactElement<Record<string, unknown>>;
  optional?: boolean;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [props.hint ? hintId : null, props.error ? errorId : null].filter(Boolean).join(' ') || undefined;
  const control = cloneElement(props.children, {
    id,
    'aria-describedby': describedBy,
    'aria-invalid': props.error ? true : undefined,
  });
  return (
    <div className={`field${props.error ? ' field-invalid' : ''}`}>
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
      {props.error && (
        <p id={errorId} className="field-error">
          {props.error}
        </p>
      )}
    </div>
  );
}
