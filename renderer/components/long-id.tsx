// A long identifier (ARM id, ARN, URL) on one monospace line: the part that tells ids apart (the
// end: "disks/app-01_OsDisk_1") always shows, the shared beginning ("/subscriptions/…") is cut with
// an ellipsis where the column ends; the whole value is in the tooltip, and Copy puts it on the
// clipboard, so a 180-character ARM id never wraps over four lines and can still be read whole.

import { useState } from 'react';

/** Where the always-shown end of an id starts: its last two path segments, or what follows its last ":". */
export function idTailStart(value: string, maxTail = 56): number {
  const slashes: number[] = [];
  for (let i = 0; i < value.length; i++) if (value[i] === '/') slashes.push(i);
  let start = slashes.length >= 3 ? slashes[slashes.length - 2]! + 1 : value.lastIndexOf(':') + 1;
  if (value.length - start > maxTail) start = value.length - maxTail;
  return Math.max(0, start);
}

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
  const cut = idTailStart(props.value);
  return (
    <span className="long-id">
      {props.prefix && (
        <span aria-hidden="true" className="mono">
          {props.prefix}
        </span>
      )}
      <span className="long-id-text mono" title={props.value}>
        <span className="long-id-head">{props.value.slice(0, cut)}</span>
        <span className="long-id-tail">
          <span>{props.value.slice(cut)}</span>
        </span>
      </span>
      <button type="button" className="btn btn-ghost btn-small long-id-copy" onClick={() => void copy()} aria-label={`Copy ${props.label ?? 'id'} ${props.value}`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}
