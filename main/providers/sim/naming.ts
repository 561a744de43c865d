// How the simulated clouds spell ids and names: Azure ARM ids, AWS ARNs and hex ids, GCP resource
// paths, test-failover prefixes. Everything is derived from the environment and stable inputs.

import type { EnvRef } from '../types';
import { digest } from './prng';

/** The part of an EnvRef the naming rules need (inventory generation has no StepContext). */
export type EnvLike = Pick<EnvRef, 'region' | 'scope'> & { account: { id: string } };

// ---- Azure ----------------------------------------------------------------------------------

export function azureSubscription(env: EnvLike): string {
  const given = env.scope.cloud === 'azure' ? env.scope.subscriptionId : null;
  if (given) return given;
  const h = digest('azure-subscription', env.account.id);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Inventory lives in the scope's resource group (or rg-prod-<region>); what the console creates goes
 * to the scope's resource group (or rg-dr-<region>), so a failover never lands on a production name.
 */
export function azureResourceGroup(env: EnvLike, purpose: 'inventory' | 'dr'): string {
  const given = env.scope.cloud === 'azure' ? env.scope.resourceGroup : null;
  return given ?? `rg-${purpose === 'inventory' ? 'prod' : 'dr'}-${env.region}`;
}

export function azureId(env: EnvLike, purpose: 'inventory' | 'dr', providerPath: string): string {
  return `/subscriptions/${azureSubscription(env)}/resourceGroups/${azureResourceGroup(env, purpose)}/providers/${providerPath}`;
}

// ---- AWS ------------------------------------------------------------------------------------

export function awsAccountNumber(env: EnvLike): string {
  if (env.scope.cloud === 'aws' && env.scope.accountId) return env.scope.accountId;
  const h = digest('aws-account', env.account.id);
  return String(Number.parseInt(h.slice(0, 12), 16) % 1e12).padStart(12, '0');
}

/** EC2-style id (i-, vol-, snap-, ami-, sg-): 17 hex digits derived from a token. */
export function awsHexId(prefix: string, token: string): string {
  return `${prefix}-${digest(prefix, token).slice(0, 17)}`;
}

// ---- Google Cloud ---------------------------------------------------------------------------

export function gcpProject(env: EnvLike): string {
  if (env.scope.cloud === 'gcp' && env.scope.projectId) return env.scope.projectId;
  return `rehearsal-${digest('gcp-project', env.account.id).slice(0, 8)}`;
}

export function gcpZone(env: EnvLike): string {
  return (env.scope.cloud === 'gcp' ? env.scope.zone : null) ?? `${env.region}-b`;
}

// ---- Names ----------------------------------------------------------------------------------

/** Short token of a job or policy id, used to keep names unique yet readable. */
export function shortToken(id: string): string {
  return digest('short', id).slice(0, 5);
}

/** Test-failover copies carry this prefix so an operator can tell them from production at a glance. */
export const TEST_PREFIX = 'drtest';

export function testName(base: string, jobId: string): string {
  return `${TEST_PREFIX}-${shortToken(jobId)}-${base}`;
}

/** Azure storage account names: 3-24 lowercase letters and digits. */
export function storageAccountName(base: string): string {
  return base.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 24);
}

/** GCP custom role ids: letters, digits, underscores and periods. */
export function gcpRoleId(base: string): string {
  return base.replace(/[^A-Za-z0-9_.]/g, '_');
}
