import { describe, expect, it } from 'vitest';
import { newId } from '../../../main/core/ids';
import { Id } from '../../../shared/domain';

describe('ids', () => {
  it('are unique, carry their prefix and always satisfy the contract Id pattern', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newId('job')));
    expect(ids.size).toBe(2000);
    for (const id of ids) {
      expect(id.startsWith('job_')).toBe(true);
      expect(Id.safeParse(id).success).toBe(true);
    }
  });

  it('refuse a prefix that would break the pattern', () => {
    expect(() => newId('bad prefix')).toThrow();
    expect(() => newId('')).toThrow();
  });
});
