// AzureContext: the cloud (public, US Government, China) decides the ARM endpoint and token scope;
// clients are cached per account and subscription; an environment without subscription or resource
// group is refused with a sentence; the pipeline asks the credential for the cloud's ARM scope.

import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { describe, expect, it } from 'vitest';
import { AZURE_CLOUDS } from '../../../../main/providers/azure/auth';
import { armScopeOf, AzureContext, cloudOf } from '../../../../main/providers/azure/clients';
import type { EnvRef, ResolvedAccount } from '../../../../main/providers/types';

const account = (cloud?: string): ResolvedAccount =>
  ({
    id: `acct-${cloud ?? 'public'}`,
    name: 'A',
    provider: 'azure',
    cloud: 'azure',
    credentials: { kind: 'azure-service-principal', tenantId: '11111111-1111-1111-1111-111111111111', clientId: '22222222-2222-2222-2222-222222222222', clientSecret: 's3cret-value', ...(cloud ? { cloud } : {}) },
  }) as ResolvedAccount;

const env = (a: ResolvedAccount, sub: string | null = '33333333-3333-3333-3333-333333333333', rg: string | null = 'rg'): EnvRef => ({
  environmentId: 'env',
  account: a,
  region: 'usgovvirginia',
  scope: { cloud: 'azure', location: 'usgovvirginia', subscriptionId: sub, resourceGroup: rg },
});

describe('AzureContext', () => {
  it('takes the ARM endpoint and token scope from the account cloud', () => {
    const az = new AzureContext();
    expect(cloudOf(account())).toBe(AZURE_CLOUDS.AzurePublicCloud);
    expect(az.armEndpoint(account('AzureUSGovernment'))).toBe('https://management.usgovcloudapi.net');
    expect(az.armEndpoint(account('AzureChinaCloud'))).toBe('https://management.chinacloudapi.cn');
    // An unknown cloud name falls back to the provider's default rather than a made-up endpoint.
    expect(az.armEndpoint(account('Mars'))).toBe('https://management.azure.com');
    expect(new AzureContext({ defaultCloud: 'AzureChinaCloud' }).armEndpoint(account())).toBe('https://management.chinacloudapi.cn');
  });

  it('caches one client per account and subscription', () => {
    const az = new AzureContext();
    const a = account();
    expect(az.compute(env(a))).toBe(az.compute(env(a)));
    expect(az.compute(env(a))).not.toBe(az.compute(env(a, '44444444-4444-4444-4444-444444444444')));
    expect(az.compute(env(a))).not.toBe(az.compute(env(account('AzureUSGovernment'))));
  });

  it('refuses an environment without subscription or resource group, saying what to give', () => {
    expect(() => armScopeOf(env(account(), null))).toThrow(/has no subscription: edit the environment/);
    expect(() => armScopeOf(env(account(), undefined, null))).toThrow(/has no resource group/);
  });

  it('asks the credential for the sovereign cloud scope (the TypeSpec clients default to the public one)', async () => {
    const asked: string[][] = [];
    const credential: TokenCredential = {
      getToken: (scopes: string | string[], _o?: GetTokenOptions): Promise<AccessToken | null> => {
        asked.push(Array.isArray(scopes) ? scopes : [scopes]);
        // Stop before any request leaves the machine: the scope is what this test is about.
        return Promise.reject(new Error('no network in this test'));
      },
    };
    const az = new AzureContext({ credentialFor: () => credential, maxRetries: 0 });
    const gov = account('AzureUSGovernment');
    const e = env(gov);
    await expect(az.read({ signal: new AbortController().signal }, e, 'Microsoft.Compute/virtualMachines/read', (s) => az.compute(e).virtualMachines.get('rg', 'vm', { abortSignal: s }))).rejects.toBeDefined();
    await expect(az.read({ signal: new AbortController().signal }, e, 'Microsoft.Sql/servers/read', (s) => az.sql(e).servers.get('rg', 'srv', { abortSignal: s }))).rejects.toBeDefined();
    expect(asked.length).toBeGreaterThanOrEqual(2);
    for (const s of asked) expect(s).toEqual(['https://management.usgovcloudapi.net/.default']);
  });
});
