// The system browser for Azure sign-in: MSAL hands over Entra ID's authorize URL and listens on a
// loopback redirect; the shell only opens the URL. https only: an authority never asks for anything
// else, and nothing else (file:, custom schemes) is ever handed to the operating system from here.

export interface ShellLike {
  openExternal(url: string): Promise<void>;
}

export function signInBrowser(shell: ShellLike): (url: string) => Promise<void> {
  return async (url: string) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error('The sign-in address is not a URL.');
    }
    if (parsed.protocol !== 'https:') throw new Error(`The sign-in page must be https, not ${parsed.protocol}`);
    await shell.openExternal(parsed.href);
  };
}
