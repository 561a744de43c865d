import { describe, expect, it } from 'vitest';
import { nameProblem, nameSchema } from '../../shared/names';

const Name = nameSchema({ max: 80 });

describe('the name rule', () => {
  it('stores names in NFC, trimmed', () => {
    const decomposed = 'Cafe\u0301 payments ';
    expect(Name.parse(decomposed)).toBe('Caf\u00e9 payments');
    expect(Name.parse('日本語の名前')).toBe('日本語の名前');
    // Joiners inside a visible name (emoji sequences, Indic scripts) are kept.
    expect(Name.parse('Ops 👩‍💻')).toBe('Ops 👩‍💻');
  });

  it.each([
    ['NUL', 'a\u0000b', /control characters \(found U\+0000\)/],
    ['ESC', 'a\u001b[31mred', /control characters \(found U\+001B\)/],
    ['a C1 control', 'a\u0085b', /control characters \(found U\+0085\)/],
    ['DEL', 'a\u007fb', /control characters/],
    ['a right-to-left override', 'invoice\u202Efdp.exe', /bidirectional override or isolate characters \(found U\+202E\)/],
    ['a left-to-right embedding', 'x\u202Ay', /U\+202A/],
    ['a first-strong isolate', 'x\u2068y', /U\+2068/],
    ['only zero-width characters', '\u200B\u200C\u200D\uFEFF', /must contain a visible character/],
    ['only a Hangul filler', '\u3164', /must contain a visible character/],
    ['a lone high surrogate', 'ab\uD800', /lone surrogate/],
    ['a lone low surrogate', '\uDC00ab', /lone surrogate/],
  ])('refuses %s with a sentence', (_what, text, message) => {
    const r = Name.safeParse(text);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(message);
  });

  it('refuses blank and over-long names as before', () => {
    expect(Name.safeParse('   ').error?.issues[0]?.message).toMatch(/visible character/);
    expect(Name.safeParse('').error?.issues[0]?.message).toBe('is required');
    expect(Name.safeParse('x'.repeat(81)).error?.issues[0]?.message).toBe('must be at most 80 characters');
  });

  it('allows an empty value where the field may be empty, but not an invisible one', () => {
    expect(nameProblem('', { allowEmpty: true })).toBeNull();
    expect(nameSchema({ max: 10, allowEmpty: true }).parse('')).toBe('');
    expect(nameSchema({ max: 10, allowEmpty: true }).safeParse('\u200B').success).toBe(false);
  });
});
