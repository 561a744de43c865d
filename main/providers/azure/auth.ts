// Sign-in to Microsoft Entra ID with @azure/msal-node: service principals (client secret or
// certificate) through a confidential client, interactive sign-in in the system browser (loopback
// redirect) and device code through a public client. MSAL's token cache goes through a cache plugin
// into the vault's credential-cache port, sealed and bound to the account: never a plain file.
// Clouds are chosen by authority host and ARM endpoint; a custom authority (a test identity peer,
// an ADFS-style OIDC authority) is given with its known authorities and protocol mode.

import {
  ConfidentialClientApplication,
  ProtocolMode,
  PublicClientApplication,
  type AuthenticationResult,
  type Configuration,
  type DeviceCodeRequest,
  type ICachePlugin,
  type TokenCacheContext,
} from '@azure/msal-node';
import { createHash, X509Certificate } from 'node:crypto';
import type { CredentialCachePort } from '../types';

export type AzureCloudName = 'AzurePublicCloud' | 'AzureUSGovernment' | 'AzureChinaCloud';

export interface AzureCloud {
  name: AzureCloudName;
  label: string;
  /** Entra ID authority host; the tenant goes after it. */
  authorityHost: string;
  /** Azure Resource Manager endpoint the ARM clients talk to. */
  armEndpoint: string;
  /** The scope a token for ARM is asked with. */
  armScope: string;
}

/** Published endpoints (learn.microsoft.com "National clouds" and each cloud's ARM endpoint list). */
export const AZURE_CLOUDS: Readonly<Record<AzureCloudName, AzureCloud>> = {
  AzurePublicCloud: {
    name: 'AzurePublicCloud',
    label: 'Azure',
    authorityHost: 'https://login.microsoftonline.com',
    armEndpoint: 'https://management.azure.com',
    armScope: 'https://management.azure.com/.default',
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    label: 'Azure Government',
    authorityHost: 'https://login.microsoftonline.us',
    armEndpoint: 'https://management.usgovcloudapi.net',
    armScope: 'https://management.usgovcloudapi.net/.default',
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    label: 'Azure operated by 21Vianet',
    authorityHost: 'https://login.chinacloudapi.cn',
    armEndpoint: 'https://management.chinacloudapi.cn',
    armScope: 'https://management.chinacloudapi.cn/.default',
  },
};

/** An authority that is not `<cloud host>/<tenant>`: its URL as given, trusted by host, spoken to in OIDC mode. */
export interface CustomAuthority {
  authority: string;
  /** Hosts (host:port) MSAL may trust without instance discovery. */
  knownAuthorities: string[];
}

export interface AppIdentity {
  tenantId: string;
  clientId: string;
  cloud?: AzureCloudName;
  /** Replaces the cloud's authority (a test identity peer, or an OIDC authority the operator names). */
  customAuthority?: CustomAuthority;
}

export type ServicePrincipalSecret =
  | { kind: 'client-secret'; clientSecret: string }
  /** A PEM certificate and its PEM private key (PKCS#8); MSAL signs a client assertion with it. */
  | { kind: 'client-certificate'; certificatePem: string; privateKeyPem: string };

/** Where an account's MSAL cache lives: the vault's credential-cache port under the account and this name. */
export const MSAL_CACHE_NAME = 'msal';

/**
 * MSAL cache plugin over the credential-cache port: MSAL reads the account's cache before every
 * token operation and hands it back when it changed; the port seals it before it reaches disk.
 */
export function vaultCachePlugin(port: CredentialCachePort, accountId: string, name = MSAL_CACHE_NAME): ICachePlugin {
  return {
    async beforeCacheAccess(ctx: TokenCacheContext): Promise<void> {
      const stored = await port.read(accountId, name);
      if (stored) ctx.tokenCache.deserialize(stored);
    },
    async afterCacheAccess(ctx: TokenCacheContext): Promise<void> {
      if (ctx.cacheHasChanged) await port.write(accountId, name, ctx.tokenCache.serialize());
    },
  };
}

function authorityConfig(id: AppIdentity): Pick<Configuration['auth'], 'authority' | 'knownAuthorities'> & { protocolMode?: ProtocolMode } {
  if (id.customAuthority) {
    return { authority: id.customAuthority.authority, knownAuthorities: id.customAuthority.knownAuthorities, protocolMode: ProtocolMode.OIDC };
  }
  const cloud = AZURE_CLOUDS[id.cloud ?? 'AzurePublicCloud'];
  return { authority: `${cloud.authorityHost}/${id.tenantId}` };
}

function baseConfig(id: AppIdentity, cachePlugin: ICachePlugin | undefined): Configuration {
  const { protocolMode, ...auth } = authorityConfig(id);
  return {
    auth: { clientId: id.clientId, ...auth },
    ...(cachePlugin ? { cache: { cachePlugin } } : {}),
    system: {
      ...(protocolMode ? { protocolMode } : {}),
      // MSAL logs nothing by default; its PII switch stays off.
      loggerOptions: { piiLoggingEnabled: false },
    },
  };
}

/** The SHA-256 thumbprint (hex) MSAL puts in the assertion's x5t#S256 header. */
export function certificateThumbprint(certificatePem: string): string {
  const der = new X509Certificate(certificatePem).raw;
  return createHash('sha256').update(der).digest('hex');
}

/** A service principal: a confidential client with a secret or a certificate. */
export function servicePrincipalApp(id: AppIdentity, secret: ServicePrincipalSecret, cachePlugin?: ICachePlugin): ConfidentialClientApplication {
  const config = baseConfig(id, cachePlugin);
  if (secret.kind === 'client-secret') {
    config.auth.clientSecret = secret.clientSecret;
  } else {
    config.auth.clientCertificate = {
      thumbprintSha256: certificateThumbprint(secret.certificatePem),
      privateKey: secret.privateKeyPem,
      x5c: secret.certificatePem,
    };
  }
  return new ConfidentialClientApplication(config);
}

/** A person signing in (system browser or device code): a public client of the console's app registration. */
export function userApp(id: AppIdentity, cachePlugin?: ICachePlugin): PublicClientApplication {
  return new PublicClientApplication(baseConfig(id, cachePlugin));
}

/** Scopes for ARM in a cloud (or the ARM endpoint a custom setup names). */
export function armScopes(cloud: AzureCloudName = 'AzurePublicCloud'): string[] {
  return [AZURE_CLOUDS[cloud].armScope];
}

export class SignInCancelled extends Error {
  constructor() {
    super('Sign-in was cancelled.');
  }
}

/**
 * Interactive sign-in: MSAL listens on a loopback redirect, `openBrowser` shows the URL in the
 * system browser (the shell's openExternal), and the code comes back to the loopback with PKCE.
 */
export async function signInInteractive(
  app: PublicClientApplication,
  scopes: string[],
  openBrowser: (url: string) => Promise<void>,
  signal?: AbortSignal,
): Promise<AuthenticationResult> {
  if (signal?.aborted) throw new SignInCancelled();
  const run = app.acquireTokenInteractive({
    scopes,
    openBrowser,
    successTemplate: '<p>Signed in. You can close this window and return to Failover Console.</p>',
    errorTemplate: '<p>Sign-in failed: {{error}}. Return to Failover Console to try again.</p>',
  });
  if (!signal) return run;
  return Promise.race([
    run,
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new SignInCancelled()), { once: true })),
  ]);
}

export interface DeviceCodePrompt {
  userCode: string;
  verificationUri: string;
  /** The sentence Entra ID composes ("To sign in, use a web browser to open ... and enter the code ..."). */
  message: string;
  expiresInSeconds: number;
}

/** Device-code sign-in: `onCode` shows the code; MSAL polls the token endpoint until the person finishes. */
export async function signInWithDeviceCode(
  app: PublicClientApplication,
  scopes: string[],
  onCode: (prompt: DeviceCodePrompt) => void,
  signal?: AbortSignal,
): Promise<AuthenticationResult> {
  const request: DeviceCodeRequest = {
    scopes,
    deviceCodeCallback: (r) => onCode({ userCode: r.userCode, verificationUri: r.verificationUri, message: r.message, expiresInSeconds: r.expiresIn }),
  };
  // MSAL stops polling when the request's cancel flag turns true.
  const onAbort = () => {
    request.cancel = true;
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await app.acquireTokenByDeviceCode(request);
    if (!result) throw new SignInCancelled();
    return result;
  } catch (err) {
    if (signal?.aborted) throw new SignInCancelled();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
