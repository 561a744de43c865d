import { describe, expect, it } from 'vitest';
import { buildPayload, resourceTypeFor, serializePayload } from '../../../../main/core/webhooks/payload';
import type { MappingRow } from '../../../../main/db/webhooks-repo';
import { DOCUMENT_EXAMPLE_JSON, DOCUMENT_VM_MAPPINGS } from './webhook-fixtures';

const rows = (protectedResourceId: string | null, list = DOCUMENT_VM_MAPPINGS): MappingRow[] =>
  list.map((m) => ({ protectedResourceId, sourceId: m.sourceId, kind: m.kind, name: m.name, targetId: m.targetId }));

describe('the R8 payload', () => {
  it('is the product document example byte for byte for a VM with its disk, NIC, virtual network and public IP', () => {
    const json = serializePayload(buildPayload('policy01', rows('res_vm01')));
    expect(json).toBe(DOCUMENT_EXAMPLE_JSON);
    const parsed = JSON.parse(json) as { ResourceMapping: Record<string, string>[] };
    expect(Object.keys(parsed)).toEqual(['PolicyName', 'ResourceMapping']);
    for (const entry of parsed.ResourceMapping) expect(Object.keys(entry)).toEqual(['ResourceId', 'ResourceType', 'ResourceName', 'TargetResourceId']);
  });

  it('puts each protected resource first among its dependents and keeps resources in the order the job recorded them', () => {
    const vm2 = DOCUMENT_VM_MAPPINGS.map((m) => ({ ...m, name: `${m.name}-b`, sourceId: `${m.sourceId}-b`, targetId: `${m.targetId}-b` }));
    const bucket = { kind: 'Bucket', name: 'logs', sourceId: 'arn:aws:s3:::logs', targetId: 'arn:aws:s3:::logs-dr' };
    const payload = buildPayload('p', [...rows('res_b', vm2), ...rows('res_a'), ...rows('res_c', [bucket])]);
    expect(payload.ResourceMapping.map((m) => `${m.ResourceType}:${m.ResourceName}`)).toEqual([
      'VirtualMachine:vm01-b',
      'Disk:vm01_OsDisk_1_94794b06b4df4cdf868f6d1cd692dccc-b',
      'NetworkInterface:vm01898_z1-b',
      'VirtualNetwork:vnet01-b',
      'PublicIPAddress:vm01-ip-b',
      'VirtualMachine:vm01',
      'Disk:vm01_OsDisk_1_94794b06b4df4cdf868f6d1cd692dccc',
      'NetworkInterface:vm01898_z1',
      'VirtualNetwork:vnet01',
      'PublicIPAddress:vm01-ip',
      'Bucket:logs',
    ]);
  });

  it('has one entry per mapping row, even for rows with no protected resource', () => {
    const payload = buildPayload('p', rows(null));
    expect(payload.ResourceMapping).toHaveLength(DOCUMENT_VM_MAPPINGS.length);
    expect(serializePayload(buildPayload('Empty', []))).toBe('{"PolicyName":"Empty","ResourceMapping":[]}');
  });

  it('names ResourceType with the document words for ARM types and short names, and passes other kinds through', () => {
    expect(resourceTypeFor('Microsoft.Compute/virtualMachines')).toBe('VirtualMachine');
    expect(resourceTypeFor('microsoft.network/publicIPAddresses')).toBe('PublicIPAddress');
    expect(resourceTypeFor('network-interface')).toBe('NetworkInterface');
    expect(resourceTypeFor('vnet')).toBe('VirtualNetwork');
    expect(resourceTypeFor('disk')).toBe('Disk');
    expect(resourceTypeFor('IamRole')).toBe('IamRole');
    expect(resourceTypeFor('ManagedCluster')).toBe('ManagedCluster');
  });

  it('escapes names as JSON so an odd resource name cannot change the shape', () => {
    const json = serializePayload(buildPayload('pol "x"', [{ protectedResourceId: null, sourceId: 's', kind: 'Disk', name: 'a"},{"x":1', targetId: 't' }]));
    const parsed = JSON.parse(json) as { PolicyName: string; ResourceMapping: { ResourceName: string }[] };
    expect(parsed.PolicyName).toBe('pol "x"');
    expect(parsed.ResourceMapping).toHaveLength(1);
    expect(parsed.ResourceMapping[0]?.ResourceName).toBe('a"},{"x":1');
  });
});
