import { describe, expect, it } from 'vitest';
import { fieldError, withoutFieldError } from '../../renderer/components/error-alert';
import type { DrErrorData } from '../../shared/errors';

const refused: DrErrorData = {
  code: 'ValidationFailed',
  message: 'Some fields need attention.',
  details: [
    { path: 'credentials.keyJson', message: 'The key file is not JSON.' },
    { path: 'name', message: 'Enter a name for the account.' },
  ],
};

describe('a field error once the field changes', () => {
  it('drops the sentence of the changed field only, keeping the others', () => {
    const left = withoutFieldError(refused, 'keyJson');
    expect(fieldError(left, 'keyJson')).toBeUndefined();
    expect(fieldError(left, 'name')).toBe('Enter a name for the account.');
    expect(left?.message).toBe('Some fields need attention.');
    // The error it came from is not changed.
    expect(fieldError(refused, 'keyJson')).toBe('The key file is not JSON.');
  });

  it('clears the error when the changed field was the only one wrong', () => {
    const one: DrErrorData = { ...refused, details: [refused.details![0]!] };
    expect(withoutFieldError(one, 'keyJson')).toBeNull();
  });

  it('keeps an error about no field, or about other fields, as it was', () => {
    const offline: DrErrorData = { code: 'ProviderOffline', message: 'Google Cloud could not be reached.' };
    expect(withoutFieldError(offline, 'keyJson')).toBe(offline);
    expect(withoutFieldError(refused, 'clientSecret')).toBe(refused);
    expect(withoutFieldError(null, 'keyJson')).toBeNull();
  });
});
