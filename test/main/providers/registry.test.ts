// The provider registry: one adapter per kind, a clear PreconditionFailed for what is missing.

import { describe, expect, it } from 'vitest';
import { ProviderFailure } from '../../../main/providers/provider-failure';
import { ProviderRegistry } from '../../../main/providers/registry';
import type { ProviderAdapter, ResourceHandler } from '../../../main/providers/types';

function adapter(kind: ProviderAdapter['kind'], handlers: Partial<Record<string, ResourceHandler>> = {}): ProviderAdapter {
  return {
    kind,
    label: `${kind} adapter`,
    simulated: kind === 'sim',
    clouds: ['aws'],
    dispose: () => Promise.resolve(),
    testConnection: () => Promise.resolve({ identity: kind, message: 'ok' }),
    handler: (type) => handlers[type],
  };
}

describe('ProviderRegistry', () => {
  it('returns the adapter registered for a kind', () => {
    const sim = adapter('sim');
    const aws = adapter('aws');
    const reg = new ProviderRegistry([sim, aws]);
    expect(reg.get('sim')).toBe(sim);
    expect(reg.get('aws')).toBe(aws);
    expect(reg.has('gcp')).toBe(false);
    expect(reg.find('gcp')).toBeUndefined();
    expect(reg.list()).toEqual([sim, aws]);
  });

  it('throws PreconditionFailed naming the missing kind', () => {
    const reg = new ProviderRegistry([adapter('sim')]);
    const err = (() => {
      try {
        reg.get('azure');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ProviderFailure);
    expect(err).toMatchObject({ code: 'PreconditionFailed', message: expect.stringContaining('No provider for "azure"') });
  });

  it('throws PreconditionFailed for a resource type the provider does not support, and returns supported handlers', () => {
    const h = { type: 'aws.rds', usesLatestPoint: false } as ResourceHandler;
    const reg = new ProviderRegistry([adapter('aws', { 'aws.rds': h })]);
    expect(reg.handler('aws', 'aws.rds')).toBe(h);
    expect(() => reg.handler('aws', 'aws.eks')).toThrow(expect.objectContaining({ code: 'PreconditionFailed' }));
  });

  it('refuses an adapter whose handler declares another recovery-point rule, type or cloud than the catalog', () => {
    // aws.rds uses the selected point (catalog); azure.mysql-flexible the latest one.
    expect(() => new ProviderRegistry([adapter('aws', { 'aws.rds': { type: 'aws.rds', usesLatestPoint: true } as ResourceHandler })])).toThrow(
      'aws adapter declares aws.rds as using the latest recovery point, but shared/catalog.ts says failover uses the selected recovery point; derive it from the catalog.',
    );
    expect(() => new ProviderRegistry([adapter('aws', { 'aws.rds': { type: 'aws.eks', usesLatestPoint: false } as ResourceHandler })])).toThrow(
      /serves aws\.rds with a handler for aws\.eks/,
    );
    expect(() =>
      new ProviderRegistry([adapter('azure', { 'azure.mysql-flexible': { type: 'azure.mysql-flexible', usesLatestPoint: true } as ResourceHandler })]),
    ).toThrow(/does not list the azure cloud/);
  });

  it('refuses two adapters for the same kind', () => {
    expect(() => new ProviderRegistry([adapter('sim'), adapter('sim')])).toThrow(/Two providers/);
  });
});
