import { describe, expect, it } from 'vitest';
import { FALLBACK_MIME_TYPE, mimeTypeFor } from '../../../main/electron/mime-types';

describe('mimeTypeFor', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['/a/b/main-XYZ.js', 'text/javascript; charset=utf-8'],
    ['C:\\app\\style.CSS', 'text/css; charset=utf-8'],
    ['font.woff2', 'font/woff2'],
    ['logo.svg', 'image/svg+xml'],
    ['shot.png', 'image/png'],
  ])('gives %s the type %s', (file, type) => {
    expect(mimeTypeFor(file)).toBe(type);
  });

  it('falls back to a download type for unknown, missing or dot-file extensions', () => {
    expect(mimeTypeFor('archive.xyz')).toBe(FALLBACK_MIME_TYPE);
    expect(mimeTypeFor('README')).toBe(FALLBACK_MIME_TYPE);
    expect(mimeTypeFor('/x/.html')).toBe(FALLBACK_MIME_TYPE);
    expect(mimeTypeFor('/x.js/readme')).toBe(FALLBACK_MIME_TYPE);
  });
});
