// Which failed writes mean the storage itself is gone (disk full, I/O error, read-only file,
// damaged file) rather than a bug, and the sentence that names the cause for the operator.

export type StorageFaultKind = 'full' | 'io' | 'readonly' | 'corrupt';

export interface StorageFault {
  kind: StorageFaultKind;
  /** The SQLite (or errno) code, for the log. */
  code: string;
  /** Names the cause and what to do; ends with a full stop. */
  sentence: string;
}

const SENTENCES: Record<StorageFaultKind, string> = {
  full: "The disk holding the console's data file is full, so nothing more can be saved. Free some space on it, then choose Check again.",
  io: "The console's data file could not be written (the disk reported an I/O error). Check the disk, then choose Check again.",
  readonly: "The console's data file has become read-only (its permissions or the disk changed), so nothing more can be saved. Make it writable, then choose Check again.",
  corrupt: "The console's data file is damaged, so nothing more is written to it. Restore the latest backup.",
};

function kindOf(code: string): StorageFaultKind | null {
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'full';
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return 'io';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return 'readonly';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  return null;
}

/** The storage fault behind `err` (its cause chain included), or null for any other error. */
export function storageFault(err: unknown): StorageFault | null {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      const kind = kindOf(code);
      if (kind) return { kind, code, sentence: SENTENCES[kind] };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

export function storageSentence(kind: StorageFaultKind): string {
  return SENTENCES[kind];
}
