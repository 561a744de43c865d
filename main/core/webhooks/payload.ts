// The R8 payload: the product document's JSON, byte for byte in shape (PascalCase keys in its
// order), one ResourceMapping entry per resource_mappings row of the job, dependents included.

import type { MappingRow } from '../../db/webhooks-repo';

export interface WebhookResourceMapping {
  ResourceId: string;
  ResourceType: string;
  ResourceName: string;
  TargetResourceId: string;
}

export interface WebhookPayload {
  PolicyName: string;
  ResourceMapping: WebhookResourceMapping[];
}

/**
 * The document's ResourceType words for the kinds adapters may report in other spellings (ARM
 * resource types, short names). Keys are lower-case with separators removed. Any other kind is
 * passed through as the provider gave it.
 */
const DOCUMENT_TYPES: Record<string, string> = {
  'microsoft.compute/virtualmachines': 'VirtualMachine',
  virtualmachine: 'VirtualMachine',
  vm: 'VirtualMachine',
  'microsoft.compute/disks': 'Disk',
  disk: 'Disk',
  manageddisk: 'Disk',
  'microsoft.network/networkinterfaces': 'NetworkInterface',
  networkinterface: 'NetworkInterface',
  nic: 'NetworkInterface',
  'microsoft.network/virtualnetworks': 'VirtualNetwork',
  virtualnetwork: 'VirtualNetwork',
  vnet: 'VirtualNetwork',
  'microsoft.network/publicipaddresses': 'PublicIPAddress',
  publicipaddress: 'PublicIPAddress',
  publicip: 'PublicIPAddress',
};

/** The document lists a VM first, then its disks, NIC, network and public IP. */
const DOCUMENT_ORDER = ['VirtualMachine', 'Disk', 'NetworkInterface', 'VirtualNetwork', 'PublicIPAddress'];

export function resourceTypeFor(kind: string): string {
  const key = kind.trim().toLowerCase().replace(/[\s_-]+/g, '');
  return DOCUMENT_TYPES[key] ?? kind;
}

const rank = (type: string): number => {
  const i = DOCUMENT_ORDER.indexOf(type);
  return i === -1 ? DOCUMENT_ORDER.length : i;
};

/**
 * Orders entries as the document does within each protected resource (the VM before what it
 * depends on), keeping resources in the order the job recorded them and other kinds as recorded.
 */
export function buildPayload(policyName: string, rows: readonly MappingRow[]): WebhookPayload {
  const groups = new Map<string, { row: MappingRow; seq: number }[]>();
  rows.forEach((row, seq) => {
    const key = row.protectedResourceId ?? `\u0000${seq}`;
    const group = groups.get(key);
    if (group) group.push({ row, seq });
    else groups.set(key, [{ row, seq }]);
  });
  const ordered: MappingRow[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => rank(resourceTypeFor(a.row.kind)) - rank(resourceTypeFor(b.row.kind)) || a.seq - b.seq);
    for (const { row } of group) ordered.push(row);
  }
  return {
    PolicyName: policyName,
    ResourceMapping: ordered.map((r) => ({
      ResourceId: r.sourceId,
      ResourceType: resourceTypeFor(r.kind),
      ResourceName: r.name,
      TargetResourceId: r.targetId,
    })),
  };
}

/** The exact bytes sent on every attempt (stored once in the outbox, never rebuilt). */
export function serializePayload(payload: WebhookPayload): string {
  return JSON.stringify({
    PolicyName: payload.PolicyName,
    ResourceMapping: payload.ResourceMapping.map((m) => ({
      ResourceId: m.ResourceId,
      ResourceType: m.ResourceType,
      ResourceName: m.ResourceName,
      TargetResourceId: m.TargetResourceId,
    })),
  });
}
