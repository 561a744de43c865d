import { describe, expect, it } from 'vitest';
import { signInBrowser } from '../../../main/electron/open-external';

describe('the system browser for Azure sign-in', () => {
  it('hands only https sign-in pages to the shell, as given', async () => {
    const opened: string[] = [];
    const open = signInBrowser({ openExternal: async (u) => void opened.push(u) });
    await open('https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?client_id=x&redirect_uri=http%3A%2F%2Flocalhost%3A5123');
    await expect(open('file:///etc/passwd')).rejects.toThrow('The sign-in page must be https, not file:');
    await expect(open('http://login.example/authorize')).rejects.toThrow('must be https');
    await expect(open('not a url')).rejects.toThrow('The sign-in address is not a URL.');
    expect(opened).toEqual(['https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?client_id=x&redirect_uri=http%3A%2F%2Flocalhost%3A5123']);
  });
});
