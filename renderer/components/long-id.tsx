// A long identifier (ARM id, ARN, URL) on one monospace line: cut with an ellipsis where the column
// ends, the whole value in a tooltip and the accessible name, and a Copy button, so an 180-character
// ARM id never wraps over four lines and can still be read and pasted whole.

import { useState } from 'react';

export function LongId(props: { value: string; label?: string; prefix?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      // No clipboard (permission refused): the value stays selectable in the tooltip and the cell.
      setCopied(false);
    }
  };
  return (
    <span className="long-id">
      <span className="long-id-text mono" title={props.value}>
        {props.prefix && <span aria-hidden="true">{props.prefix}</span>}
        {props.value}
      </span>
      <button type="button" className="btn btn-ghost btn-small long-id-copy" onClick={() => void copy()} aria-label={`Copy ${props.label ?? 'id'} ${props.value}`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}
