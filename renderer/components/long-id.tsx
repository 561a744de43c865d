// A long identifier (ARM id, ARN, URL) on one monospace line: the part that tells ids apart (the
// end: "disks/app-01_OsDisk_1") always shows, the shared beginning ("/subscriptions/…") is cut with
// an ellipsis where the column ends; the whole value is in the tooltip, and Copy puts it on the
// clipboard, so a 180-character ARM id never wraps over four lines and can still be read whole.
// An ARM id also keeps its resource group in view: a source and its failed-over copy differ there
// only ("dr-source/…/virtualMachines/vm01" → "dr-target/…/virtualMachines/vm01").

import { useState } from 'react';

/** Where the always-shown end of an id starts: its last two path segments, or what follows its last ":". */
export function idTailStart(value: string, maxTail = 56): number {
  const slashes: number[] = [];
  for (let i = 0; i < value.length; i++) if (value[i] === '/') slashes.push(i);
  let start = slashes.length >= 3 ? slashes[slashes.length - 2]! + 1 : value.lastIndexOf(':') + 1;
  if (value.length - start > maxTail) start = value.length - maxTail;
  return Math.max(0, start);
}

/** One piece of a long id: `keep` pieces always show, the others are cut with an ellipsis when the column is narrow. */
export interface IdPart {
  text: string;
  keep: boolean;
}

const ARM_GROUP = /^(\/subscriptions\/[^/]+\/resourceGroups\/)([^/]+)(\/.*)?$/i;

/** The id in pieces, in order (their texts joined give the id back): the tail, and an ARM id's resource group, kept. */
export function idParts(value: string): IdPart[] {
  const cut = idTailStart(value);
  const m = ARM_GROUP.exec(value);
  const parts: IdPart[] = [];
  if (m && m[1]!.length + m[2]!.length <= cut) {
    const groupEnd = m[1]!.length + m[2]!.length;
    parts.push({ text: m[1]!, keep: false }, { text: m[2]!, keep: true });
    if (cut > groupEnd) parts.push({ text: value.slice(groupEnd, cut), keep: false });
  } else if (cut > 0) {
    parts.push({ text: value.slice(0, cut), keep: false });
  }
  parts.push({ text: value.slice(cut), keep: true });
  return parts.filter((p) => p.text !== '');
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
  return (
    <span className="long-id">
      {props.prefix && (
        <span aria-hidden="true" className="mono">
          {props.prefix}
        </span>
      )}
      <span className="long-id-text mono" title={props.value}>
        {idParts(props.value).map((p, i) => (
          <span key={i} className={p.keep ? 'long-id-tail' : 'long-id-head'}>
            {p.keep ? <span>{p.text}</span> : p.text}
          </span>
        ))}
      </span>
      <button type="button" className="btn btn-ghost btn-small long-id-copy" onClick={() => void copy()} aria-label={`Copy ${props.label ?? 'id'} ${props.value}`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}
