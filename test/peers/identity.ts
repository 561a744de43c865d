// The identity test peer: oauth2-mock-server (npm) as the Entra ID authority, over HTTPS on
// loopback with the run's test certificate (test/helpers/test-tls.ts). MSAL talks to it in OIDC
// protocol mode with the authority and its host as known authority; the issuer URL is set to the
// same https://127.0.0.1:PORT (the mock defaults to localhost, which MSAL would not match).

import { OAuth2Server } from 'oauth2-mock-server';
import { testTls } from '../helpers/test-tls';

export interface IdentityPeer {
  /** https://127.0.0.1:PORT: the authority and the issuer. */
  url: string;
  /** host:port, for MSAL's knownAuthorities. */
  host: string;
  server: OAuth2Server;
  /** The form bodies of every token request the peer answered, in order. */
  tokenRequests: Array<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startIdentityPeer(): Promise<IdentityPeer> {
  const tls = testTls();
  const server = new OAuth2Server(tls.keyPath, tls.certPath);
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  const port = server.address().port;
  const url = `https://127.0.0.1:${port}`;
  server.issuer.url = url;
  const tokenRequests: Array<Record<string, string>> = [];
  server.service.on('beforeResponse', (_response: unknown, req: { body?: Record<string, string> }) => {
    tokenRequests.push({ ...(req.body ?? {}) });
  });
  return { url, host: `127.0.0.1:${port}`, server, tokenRequests, stop: () => server.stop() };
}
