// Discovery of the five AWS types in one source region, for the policy's resource picker: each
// type's handler lists its resources with names, tags and a one-line summary.

import type { ResourceTypeId } from '../../../shared/catalog';
import type { DiscoveredResource } from '../../../shared/domain';
import type { DiscoverContext, ResourceHandler } from '../types';

export const AWS_TYPES: readonly ResourceTypeId[] = ['aws.ec2-instance', 'aws.s3-bucket', 'aws.rds', 'aws.dynamodb', 'aws.eks'];

/**
 * Everything the handlers find in ctx.env, type by type. One type failing (a missing permission for
 * EKS, say) fails the whole listing: a picker that silently leaves a type out would mislead.
 */
export async function discoverAll(handlers: ReadonlyMap<ResourceTypeId, ResourceHandler>, ctx: DiscoverContext, types: readonly ResourceTypeId[] = AWS_TYPES): Promise<DiscoveredResource[]> {
  const out: DiscoveredResource[] = [];
  for (const type of types) {
    const h = handlers.get(type);
    if (!h) continue;
    out.push(...(await h.discover(ctx)));
  }
  return out;
}
