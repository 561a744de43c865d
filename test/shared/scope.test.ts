import { describe, expect, it } from 'vitest';
import { describeScope, legacyScope, parseScope, scopeFromText, scopeKey, type EnvScope } from '../../shared/scope';

const SUB = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';

describe('typed scopes', () => {
  it('reads the one-line form of each cloud into its fields', () => {
    expect(scopeFromText('aws', 'eu-west-1', ' 111122223333 ')).toEqual({ cloud: 'aws', region: 'eu-west-1', accountId: '111122223333' });
    expect(scopeFromText('azure', 'westeurope', `${SUB.toUpperCase()}/rg-a`)).toEqual({ cloud: 'azure', location: 'westeurope', subscriptionId: SUB, resourceGroup: 'rg-a' });
    expect(scopeFromText('azure', 'westeurope', 'rg-only')).toEqual({ cloud: 'azure', location: 'westeurope', subscriptionId: null, resourceGroup: 'rg-only' });
    expect(scopeFromText('gcp', 'us-central1', 'shop-prod-1234/us-central1-f')).toEqual({ cloud: 'gcp', region: 'us-central1', projectId: 'shop-prod-1234', zone: 'us-central1-f' });
    expect(scopeFromText('gcp', 'us-central1', '')).toEqual({ cloud: 'gcp', region: 'us-central1', projectId: null, zone: null });
  });

  it('answers a bad scope with a sentence for the field, never a typed scope', () => {
    const bad = [
      parseScope('aws', 'eu-west-1', '12345'),
      parseScope('azure', 'westeurope', '/resourceGroups'),
      parseScope('azure', 'westeurope', 'a/b/c'),
      parseScope('gcp', 'us-central1', 'p/q/r'),
      parseScope('gcp', 'us-central1', { zone: 'us-central1' }),
      parseScope('aws', 'eu-west-1', { resourceGroup: 'rg' }),
    ];
    for (const r of bad) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toMatch(/^[A-Z"].*\.$/);
    }
    expect(() => scopeFromText('aws', 'eu-west-1', 'x')).toThrow(/not an AWS account id/);
  });

  it('describes a scope in the one-line form it parses back from', () => {
    const scopes: EnvScope[] = [
      { cloud: 'aws', region: 'us-east-1', accountId: '111122223333' },
      { cloud: 'azure', location: 'eastus', subscriptionId: SUB, resourceGroup: 'rg-x' },
      { cloud: 'azure', location: 'eastus', subscriptionId: null, resourceGroup: 'rg-x' },
      { cloud: 'gcp', region: 'us-east4', projectId: 'proj-abcdef', zone: 'us-east4-a' },
    ];
    for (const s of scopes) {
      const region = s.cloud === 'azure' ? s.location : s.region;
      expect(scopeFromText(s.cloud, region, describeScope(s))).toEqual(s);
    }
    expect(new Set(scopes.map(scopeKey)).size).toBe(scopes.length);
  });

  it('reads old free text leniently, as the providers did, and never fails', () => {
    expect(legacyScope('aws', 'us-east-1', 'anything')).toEqual({ cloud: 'aws', region: 'us-east-1', accountId: null });
    expect(legacyScope('azure', 'eastus', `/subscriptions/${SUB}`)).toEqual({ cloud: 'azure', location: 'eastus', subscriptionId: SUB, resourceGroup: null });
    expect(legacyScope('gcp', 'us-east4', 'Not A Project')).toEqual({ cloud: 'gcp', region: 'us-east4', projectId: null, zone: null });
  });
});
