// From an Azure account's stored credentials (shared/domain.ts CredentialInput) to what the ARM
// clients need: the MSAL app with the vault-backed cache plugin, a TokenCredential over it, the ARM
// endpoint and scope of the account's cloud. One place for every Azure credential kind, so the
// provider core, the directory lists and the sign-in sessions agree on authority and cache.

import type { TokenCredential } from '@azure/core-auth';
import type { Pipeline, PipelinePolicy } from '@azure/core-rest-pipeline';
import type { CredentialInput } from '../../../shared/domain';
import type { CredentialCachePort } from '../types';
import { AZURE_CLOUDS, servicePrincipalApp, userApp, vaultCachePlugin, type AppIdentity, type AzureCloudName, type CustomAuthority } from './auth';
import { MsalTokenCredential } from './credential';

/** How this console reaches Entra ID and ARM; tests point both at the peers. */
export interface AzureEndpointOptions {
  /** Replaces every cloud's authority (a test identity peer, an OIDC authority the operator runs). */
  customAuthority?: CustomAuthority;
  /** Replaces the cloud's ARM endpoint (tests: the ARM peer on loopback http). */
  armEndpoint?: string;
  /** Extra client options for the ARM clients (tests: allowInsecureConnection, short retries). */
  armClientOptions?: { allowInsecureConnection?: boolean; retryOptions?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number } };
  /**
   * Adjusts each ARM client's pipeline (tests: the ARM peer over http, where the SDK refuses to send
   * a bearer token, gets the test-token policy in place of bearerTokenAuthenticationPolicy).
   */
  armPipeline?: (pipeline: Pipeline, credential: TokenCredential) => void;
}

/**
 * The sign-in side's endpoints from the provider's options, so the dialogs and the provider talk to
 * the same authority and ARM (tests: the peers; a test auth policy replaces the bearer policy).
 */
export function endpointsFromProviderOptions(o: {
  customAuthority?: CustomAuthority | undefined;
  armEndpoint?: string | undefined;
  allowInsecureConnection?: boolean | undefined;
  authPolicy?: PipelinePolicy | undefined;
  maxRetries?: number | undefined;
}): AzureEndpointOptions {
  const policy = o.authPolicy;
  return {
    ...(o.customAuthority ? { customAuthority: o.customAuthority } : {}),
    ...(o.armEndpoint ? { armEndpoint: o.armEndpoint } : {}),
    armClientOptions: {
      ...(o.allowInsecureConnection ? { allowInsecureConnection: true } : {}),
      retryOptions: { maxRetries: o.maxRetries ?? 1 },
    },
    ...(policy
      ? {
          armPipeline: (pipeline: Pipeline) => {
            pipeline.removePolicy({ name: 'bearerTokenAuthenticationPolicy' });
            pipeline.addPolicy(policy);
          },
        }
      : {}),
  };
}

export type AzureCredentialInput = Extract<CredentialInput, { kind: 'azure-service-principal' | 'azure-service-principal-certificate' | 'azure-user' }>;

export function isAzureCredential(c: CredentialInput): c is AzureCredentialInput {
  return c.kind === 'azure-service-principal' || c.kind === 'azure-service-principal-certificate' || c.kind === 'azure-user';
}

export function cloudOf(c: AzureCredentialInput): AzureCloudName {
  return c.cloud ?? 'AzurePublicCloud';
}

export function identityOf(c: { tenantId: string; clientId: string; cloud?: AzureCloudName | undefined }, opts: AzureEndpointOptions): AppIdentity {
  return {
    tenantId: c.tenantId,
    clientId: c.clientId,
    cloud: c.cloud ?? 'AzurePublicCloud',
    ...(opts.customAuthority ? { customAuthority: opts.customAuthority } : {}),
  };
}

/** The ARM endpoint and the token scope for it (the scope always names the cloud's real ARM audience). */
export function armTarget(cloud: AzureCloudName, opts: AzureEndpointOptions): { endpoint: string; scope: string } {
  const c = AZURE_CLOUDS[cloud];
  return { endpoint: opts.armEndpoint ?? c.armEndpoint, scope: c.armScope };
}

/**
 * The TokenCredential of an account: service principals through a confidential client, a signed-in
 * person silently through the cached MSAL account (SignInRequired when Entra ID wants them again).
 * Either way MSAL's cache is read from and written to the vault under the account.
 */
export function tokenCredentialFor(accountId: string, c: AzureCredentialInput, cache: CredentialCachePort, opts: AzureEndpointOptions): TokenCredential {
  const id = identityOf(c, opts);
  const plugin = vaultCachePlugin(cache, accountId);
  switch (c.kind) {
    case 'azure-service-principal':
      return new MsalTokenCredential({ kind: 'service-principal', app: servicePrincipalApp(id, { kind: 'client-secret', clientSecret: c.clientSecret }, plugin) });
    case 'azure-service-principal-certificate':
      return new MsalTokenCredential({
        kind: 'service-principal',
        app: servicePrincipalApp(id, { kind: 'client-certificate', certificatePem: c.certificatePem, privateKeyPem: c.privateKeyPem }, plugin),
      });
    case 'azure-user':
      // An account is only sealed with the MSAL account the sign-in found (accounts-service).
      return new MsalTokenCredential({ kind: 'user', app: userApp(id, plugin), homeAccountId: c.homeAccountId ?? '' });
  }
}
