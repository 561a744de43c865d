// Google credentials from an account's CredentialInput, as google-auth-library clients:
// - a service-account key (its JSON lives in the vault; decrypted only here, in main) -> JWT;
// - this machine's application default credentials (gcloud auth application-default login, or the
//   file GOOGLE_APPLICATION_CREDENTIALS names) -> whatever GoogleAuth resolves;
// - impersonation of a service account from either -> Impersonated, which asks the IAM Credentials
//   API (generateAccessToken) for short-lived tokens of the target.
// Tests point the token and IAM Credentials endpoints at loopback peers through GcpAuthOptions.

import { GoogleAuth, Impersonated, JWT, type AuthClient } from 'google-auth-library';
import { parseGcpServiceAccountKey, type CredentialInput } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';

export type GcpCredentialInput = Extract<CredentialInput, { kind: 'gcp-service-account-key' | 'gcp-application-default' | 'gcp-impersonation' }>;

/** Every call the console makes is within the cloud-platform scope (Compute, GKE, SQL, IAM, Storage). */
export const GCP_SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

export interface GcpAuthOptions {
  /**
   * The OAuth token endpoint for user refresh tokens (application default credentials of a person).
   * A key's JWT grant always goes to Google's token endpoint (google-auth-library fixes it).
   */
  tokenUrl?: string;
  /** The IAM Credentials API root, for impersonation (default https://iamcredentials.googleapis.com). */
  iamCredentialsEndpoint?: string;
  /** The application default credentials file; default: GoogleAuth's own lookup. */
  adcFile?: string;
  /** Token lifetime asked for when impersonating, seconds (IAM allows up to 3600 without org policy). */
  impersonationLifetimeSeconds?: number;
}

export function isGcpCredentials(c: CredentialInput): c is GcpCredentialInput {
  return c.kind === 'gcp-service-account-key' || c.kind === 'gcp-application-default' || c.kind === 'gcp-impersonation';
}

function keyOf(keyJson: string) {
  const parsed = parseGcpServiceAccountKey(keyJson);
  // The vault only holds keys that passed this check when the account was added; a stored key that
  // fails it now was changed outside the console.
  if ('error' in parsed) throw new ProviderFailure('ProviderAuthFailed', `The account's stored service-account key is not usable: ${parsed.error}`);
  return parsed.key;
}

/** The project the credentials belong to, when they say (a key's project_id); null otherwise. */
export function credentialsProject(c: GcpCredentialInput): string | null {
  if (c.kind === 'gcp-service-account-key') return keyOf(c.keyJson).project_id;
  if (c.kind === 'gcp-impersonation') {
    const at = c.targetServiceAccount.match(/@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$/);
    return at?.[1] ?? null;
  }
  return null;
}

/** Who calls Google, for sentences ("grant it a role with…"); never a secret. */
export function credentialsPrincipal(c: GcpCredentialInput): string {
  switch (c.kind) {
    case 'gcp-service-account-key':
      return keyOf(c.keyJson).client_email;
    case 'gcp-impersonation':
      return c.targetServiceAccount;
    case 'gcp-application-default':
      return "this computer's application default credentials";
  }
}

function sourceClient(c: Exclude<GcpCredentialInput, { kind: 'gcp-impersonation' }>, opts: GcpAuthOptions): Promise<AuthClient> | AuthClient {
  if (c.kind === 'gcp-service-account-key') {
    const key = keyOf(c.keyJson);
    const jwt = new JWT({
      email: key.client_email,
      key: key.private_key,
      keyId: key.private_key_id,
      scopes: GCP_SCOPES,
    });
    return jwt;
  }
  const auth = new GoogleAuth({
    scopes: GCP_SCOPES,
    ...(opts.adcFile ? { keyFilename: opts.adcFile } : {}),
    ...(opts.tokenUrl ? { clientOptions: { endpoints: { oauth2TokenUrl: opts.tokenUrl } } } : {}),
  });
  return auth.getClient().catch((err: unknown) => {
    throw new ProviderFailure(
      'ProviderAuthFailed',
      `No application default credentials were found on this computer: run \`gcloud auth application-default login\`, or add the account with a service-account key. (${err instanceof Error ? err.message.slice(0, 200) : String(err)})`,
      { cause: err },
    );
  });
}

/** The auth client for an account's credentials; one per account, reused by every Google client. */
export async function authClientFor(c: GcpCredentialInput, opts: GcpAuthOptions = {}): Promise<AuthClient> {
  if (c.kind !== 'gcp-impersonation') return sourceClient(c, opts);
  const source = await sourceClient(c.source, opts);
  return new Impersonated({
    sourceClient: source,
    targetPrincipal: c.targetServiceAccount,
    targetScopes: GCP_SCOPES,
    // generateAccessToken wants each as projects/-/serviceAccounts/{email}; the library sends them as given.
    delegates: (c.delegates ?? []).map((email) => `projects/-/serviceAccounts/${email}`),
    lifetime: opts.impersonationLifetimeSeconds ?? 3600,
    ...(opts.iamCredentialsEndpoint ? { endpoint: opts.iamCredentialsEndpoint } : {}),
  });
}
