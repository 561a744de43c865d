// The one rule for names and other operator text that the console stores and shows (policy,
// resource, scope, account and environment names): Unicode NFC, no control characters, no
// bidirectional overrides or isolates (a "Trojan Source" name reads differently from what it is),
// no name made only of invisible characters, and no lone surrogates (they cannot be stored or
// printed faithfully). Pure: used by the contract's schemas and by main.

import { z } from 'zod';

// C0 controls, DEL, C1 controls (NUL and ESC included).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
/** Embeddings, overrides (U+202A–202E) and isolates (U+2066–2069). */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/u;
/** Outside a pair, a surrogate code unit is a lone one (the u flag reads pairs as one code point). */
const LONE_SURROGATE = /[\ud800-\udfff]/u;
/** What a reader cannot see: spaces, format characters (zero-width space/joiners, BOM...), ignorables. */
const INVISIBLE = /[\s\p{Cf}\p{Zs}\p{Default_Ignorable_Code_Point}\u2800\u3164\uffa0\u115f\u1160]/gu;

const hex = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `text` is not an acceptable name, as the end of a sentence ("must not ..."), or null. */
export function nameProblem(text: string, opts: { allowEmpty?: boolean } = {}): string | null {
  if (LONE_SURROGATE.test(text)) return 'must not contain a lone surrogate (an unpaired UTF-16 code unit)';
  const control = CONTROL.exec(text);
  if (control) return `must not contain control characters (found ${hex(control[0])})`;
  const bidi = BIDI.exec(text);
  if (bidi) return `must not contain bidirectional override or isolate characters (found ${hex(bidi[0])})`;
  if (text.length > 0 && text.replace(INVISIBLE, '').length === 0) {
    return text.trim().length === 0 && opts.allowEmpty ? null : 'must contain a visible character';
  }
  return null;
}

/** NFC, trimmed; the form every name is stored and compared in. */
export function normalizeName(text: string): string {
  return LONE_SURROGATE.test(text) ? text : text.normalize('NFC').trim();
}

/**
 * A zod schema for one kind of name. The check runs before normalisation (so nothing is altered
 * silently), then the value is stored in NFC.
 */
export function nameSchema(opts: { min?: number; max: number; allowEmpty?: boolean }) {
  const min = opts.min ?? (opts.allowEmpty ? 0 : 1);
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = nameProblem(value, { allowEmpty: min === 0 });
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .transform(normalizeName)
    .pipe(
      z
        .string()
        .min(min, min === 1 ? 'is required' : `must be at least ${min} characters`)
        .max(opts.max, `must be at most ${opts.max} characters`),
    );
}
