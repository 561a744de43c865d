// A person's sign-in to Azure before their account exists: the Add account dialog starts one
// (system browser with a loopback redirect, or a device code), waits for it, lists the tenants it
// reaches, and then creates the account, which claims the sign-in: its MSAL cache moves from memory
// into the vault under the new account. Nothing of it is written anywhere before that; a sign-in
// that is never claimed is forgotten (cancelled, or dropped after a while).

import type { AccountInfo, PublicClientApplication } from '@azure/msal-node';
import type { TokenCredential } from '@azure/core-auth';
import type { AzureSignInStart, AzureSignInView } from '../../../shared/domain';
import type { CredentialCachePort } from '../types';
import { MSAL_CACHE_NAME, armScopes, signInInteractive, signInWithDeviceCode, userApp, vaultCachePlugin, SignInCancelled } from './auth';
import { MsalTokenCredential } from './credential';
import { identityOf, type AzureEndpointOptions } from './account-credential';
import { directoryFailure } from './directory-errors';
import { ProviderFailure } from '../provider-failure';

export interface SignInSessionsOptions {
  endpoints: AzureEndpointOptions;
  /**
   * Shows the authorize URL in the system browser: the Electron shell's openExternal
   * (main/electron/open-external.ts); in Node and tests a function the test drives.
   */
  openBrowser?: (url: string) => Promise<void>;
  newId: () => string;
  now: () => Date;
  /** How long a `wait` holds before answering with the unchanged state (the renderer asks again). */
  waitMs?: number;
  /** A sign-in nobody claimed is dropped this long after it started. */
  ttlMs?: number;
}

interface Session {
  view: AzureSignInView;
  start: AzureSignInStart;
  abort: AbortController;
  /** MSAL's cache while the sign-in has no account: memory only. */
  cache: Map<string, string>;
  app: PublicClientApplication;
  account: AccountInfo | null;
  listeners: Set<() => void>;
  startedAt: number;
  /** Browser sign-in: MSAL's loopback redirect and the request's state, to release it on Cancel. */
  redirect?: { uri: string; state: string };
}

/** What the account takes over from a finished sign-in. */
export interface ClaimedSignIn {
  start: AzureSignInStart;
  homeAccountId: string;
  username: string;
  /** MSAL's serialized cache: goes straight into the vault's credential cache. */
  cacheContents: string;
}

function memoryPort(cache: Map<string, string>): CredentialCachePort {
  return {
    read: async (_a, name) => cache.get(name) ?? null,
    write: async (_a, name, contents) => {
      cache.set(name, contents);
    },
    clear: async (_a, name) => {
      cache.delete(name);
    },
  };
}

export class AzureSignInSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly o: SignInSessionsOptions) {}

  start(input: AzureSignInStart): AzureSignInView {
    this.sweep();
    if (input.method === 'browser' && !this.o.openBrowser) {
      throw new ProviderFailure('ProviderError', 'This console cannot open a browser; use device code sign-in instead.');
    }
    const signInId = this.o.newId();
    const cache = new Map<string, string>();
    const app = userApp(identityOf({ tenantId: input.tenantId, clientId: input.clientId, cloud: input.cloud }, this.o.endpoints), vaultCachePlugin(memoryPort(cache), signInId));
    const s: Session = {
      start: input,
      abort: new AbortController(),
      cache,
      app,
      account: null,
      listeners: new Set(),
      startedAt: this.o.now().getTime(),
      view: { signInId, method: input.method, seq: 0, state: 'starting', deviceCode: null, username: null, homeTenantId: null, message: null },
    };
    this.sessions.set(signInId, s);
    void this.run(s);
    return s.view;
  }

  private update(s: Session, patch: Partial<AzureSignInView>): void {
    // A finished sign-in does not change again (a late browser answer after Cancel, say).
    if (s.view.state === 'signed-in' || s.view.state === 'failed' || s.view.state === 'cancelled') return;
    s.view = { ...s.view, ...patch, seq: s.view.seq + 1 };
    for (const l of [...s.listeners]) l();
  }

  private async run(s: Session): Promise<void> {
    const scopes = armScopes(s.start.cloud);
    try {
      const result =
        s.start.method === 'browser'
          ? await signInInteractive(
              s.app,
              scopes,
              async (url) => {
                const asked = new URL(url).searchParams;
                const uri = asked.get('redirect_uri');
                const state = asked.get('state');
                if (uri && state) s.redirect = { uri, state };
                this.update(s, { state: 'waiting-for-browser' });
                await this.o.openBrowser!(url);
              },
              s.abort.signal,
            )
          : await signInWithDeviceCode(
              s.app,
              scopes,
              (p) =>
                this.update(s, {
                  state: 'waiting-for-code',
                  deviceCode: {
                    userCode: p.userCode,
                    verificationUri: p.verificationUri,
                    message: p.message,
                    expiresAt: new Date(this.o.now().getTime() + p.expiresInSeconds * 1000).toISOString(),
                  },
                }),
              s.abort.signal,
            );
      if (!result.account) throw new Error('Entra ID answered without an account.');
      s.account = result.account;
      this.update(s, { state: 'signed-in', deviceCode: null, username: result.account.username || result.account.name || result.account.homeAccountId, homeTenantId: result.account.tenantId || null });
    } catch (err) {
      if (err instanceof SignInCancelled || s.abort.signal.aborted) this.update(s, { state: 'cancelled', deviceCode: null, message: 'Sign-in was cancelled.' });
      else this.update(s, { state: 'failed', deviceCode: null, message: directoryFailure(err, 'sign-in').message });
    }
  }

  private get(signInId: string): Session {
    const s = this.sessions.get(signInId);
    if (!s) throw new ProviderFailure('ProviderAuthFailed', 'This sign-in is no longer open; sign in again.');
    return s;
  }

  /** The sign-in once it changed past `afterSeq`, or as it is after waitMs. */
  wait(signInId: string, afterSeq: number): Promise<AzureSignInView> {
    const s = this.get(signInId);
    if (s.view.seq > afterSeq) return Promise.resolve(s.view);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        s.listeners.delete(done);
        resolve(s.view);
      };
      const timer = setTimeout(done, this.o.waitMs ?? 20_000);
      s.listeners.add(done);
    });
  }

  cancel(signInId: string): AzureSignInView {
    const s = this.get(signInId);
    this.end(s);
    this.update(s, { state: 'cancelled', deviceCode: null, message: 'Sign-in was cancelled.' });
    return s.view;
  }

  /** A finished sign-in's token source, for listing its tenants before the account exists. */
  credential(signInId: string): { credential: TokenCredential; start: AzureSignInStart } {
    const s = this.get(signInId);
    if (s.view.state !== 'signed-in' || !s.account) throw new ProviderFailure('ProviderAuthFailed', 'Finish signing in first.');
    return { credential: new MsalTokenCredential({ kind: 'user', app: s.app, homeAccountId: s.account.homeAccountId }), start: s.start };
  }

  /** Hands a finished sign-in to the account being created; the sign-in is gone afterwards. */
  claim(signInId: string): ClaimedSignIn {
    const s = this.get(signInId);
    const contents = s.cache.get(MSAL_CACHE_NAME);
    if (s.view.state !== 'signed-in' || !s.account || !contents) throw new ProviderFailure('ProviderAuthFailed', 'Finish signing in before adding the account.');
    this.sessions.delete(signInId);
    return { start: s.start, homeAccountId: s.account.homeAccountId, username: s.view.username ?? '', cacheContents: contents };
  }

  /**
   * Stops a sign-in. MSAL's browser flow cannot be aborted and keeps its loopback listener open until
   * an answer arrives, so Cancel gives it the answer a refusing authority would (error with the
   * request's state, as form_post), and MSAL closes the listener. Only ever to a loopback address.
   */
  private end(s: Session): void {
    s.abort.abort();
    const r = s.redirect;
    s.redirect = undefined;
    if (!r || s.view.state !== 'waiting-for-browser') return;
    let target: URL;
    try {
      target = new URL(r.uri);
    } catch {
      return;
    }
    if (target.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(target.hostname)) return;
    const body = new URLSearchParams({ error: 'access_denied', error_description: 'The sign-in was cancelled in Failover Console.', state: r.state });
    void fetch(target, { method: 'POST', body, signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
  }

  private sweep(): void {
    const now = this.o.now().getTime();
    for (const [id, s] of this.sessions) {
      if (now - s.startedAt > (this.o.ttlMs ?? 30 * 60_000)) {
        this.end(s);
        this.sessions.delete(id);
      }
    }
  }

  /** Ends every sign-in (the console closes). */
  dispose(): void {
    for (const s of this.sessions.values()) this.end(s);
    this.sessions.clear();
  }
}
