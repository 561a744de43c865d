// The resource-type catalog: the product document's failover table as data (DESIGN.md section 4).
// One entry per protected resource type; the UI, the planner and every provider read it from here.

export const CLOUDS = ['azure', 'aws', 'gcp'] as const;
export type Cloud = (typeof CLOUDS)[number];

export const CLOUD_LABELS: Record<Cloud, string> = {
  azure: 'Microsoft Azure',
  aws: 'Amazon Web Services',
  gcp: 'Google Cloud',
};

export const RESOURCE_TYPE_IDS = [
  'azure.vm',
  'azure.sql-database',
  'azure.storage-account',
  'azure.aks',
  'azure.mysql-flexible',
  'azure.postgresql-flexible',
  'aws.ec2-instance',
  'aws.s3-bucket',
  'aws.rds',
  'aws.dynamodb',
  'aws.eks',
  'gcp.cloud-storage',
  'gcp.gke',
  'gcp.cloud-sql',
  'gcp.vm-instance',
] as const;

export type ResourceTypeId = (typeof RESOURCE_TYPE_IDS)[number];

export interface ResourceTypeInfo {
  id: ResourceTypeId;
  cloud: Cloud;
  /** The product document's name for the resource. */
  label: string;
  /** What failover does, in the product document's words. */
  failover: string;
  /** R6: failover always uses the latest successful recovery point, whatever point was selected. */
  usesLatestPoint: boolean;
  /** R7: failover reuses same-named IAM roles / policies / principals in the target. */
  reusesSameNamedIam: boolean;
  /** Failover creates new resources (rather than applying metadata to a replica). */
  createsResources: boolean;
}

const t = (
  id: ResourceTypeId,
  label: string,
  failover: string,
  opts: Partial<Pick<ResourceTypeInfo, 'usesLatestPoint' | 'reusesSameNamedIam' | 'createsResources'>> = {},
): ResourceTypeInfo => ({
  id,
  cloud: id.split('.')[0] as Cloud,
  label,
  failover,
  usesLatestPoint: opts.usesLatestPoint ?? false,
  reusesSameNamedIam: opts.reusesSameNamedIam ?? false,
  createsResources: opts.createsResources ?? false,
});

export const RESOURCE_TYPES: readonly ResourceTypeInfo[] = [
  t('azure.vm', 'Virtual machine', "Create virtual machine in the policy's target environment.", {
    createsResources: true,
  }),
  t(
    'azure.sql-database',
    'SQL database',
    "Apply metadata of the selected recovery point to the database replicated in the policy's target environment.",
  ),
  t(
    'azure.storage-account',
    'Storage account',
    "Apply metadata of the selected recovery point to the storage account replicated in the policy's target environment. Delete the replication rule created by the policy's replication job from the Azure object replication page.",
  ),
  t('azure.aks', 'Kubernetes Service', "Create Kubernetes clusters and disk storage in the policy's target environment.", {
    createsResources: true,
  }),
  t(
    'azure.mysql-flexible',
    'MySQL flexible server',
    "Apply metadata of the latest recovery point to the database replicated in the policy's target environment. Delete the read replica created by the policy's replication job from the source database.",
    { usesLatestPoint: true },
  ),
  t(
    'azure.postgresql-flexible',
    'PostgreSQL flexible server',
    "Apply metadata of the latest recovery point to the database replicated in the policy's target environment. Delete the read replica created by the policy's replication job from the source database.",
    { usesLatestPoint: true },
  ),
  t(
    'aws.ec2-instance',
    'EC2 instance',
    "Create EC2 instances, IAM roles, policies in the policy's target environment and apply the saved settings.",
    { createsResources: true, reusesSameNamedIam: true },
  ),
  t(
    'aws.s3-bucket',
    'S3 bucket',
    "Apply metadata of the selected recovery point to the S3 bucket replicated in the policy's target environment. Delete the replication rule created by the policy's replication job from your S3 bucket.",
  ),
  t(
    'aws.rds',
    'Aurora and RDS database',
    "Apply metadata of the selected recovery point to the database replicated in the policy's target environment. Delete the read replica created by the policy's replication job from the source database.",
  ),
  t(
    'aws.dynamodb',
    'DynamoDB',
    "Apply metadata of the selected recovery point to the database replicated in the policy's target environment. Delete the read replica created by the policy's replication job from the source database.",
  ),
  t(
    'aws.eks',
    'Elastic Kubernetes Service',
    'Create Kubernetes cluster, disk storage, IAM role, and IAM policy related to the cluster in the target environment. If there are IAM role and policy with the same names, new ones will not be created.',
    { createsResources: true, reusesSameNamedIam: true },
  ),
  t(
    'gcp.cloud-storage',
    'Cloud storage',
    "Apply metadata of the latest recovery point to the bucket replicated in the policy's target environment. Delete replication destination in source bucket and cross-bucket replication.",
    { usesLatestPoint: true },
  ),
  t(
    'gcp.gke',
    'Kubernetes engine',
    'Create Kubernetes cluster, disk storage, IAM role, and IAM principle and role of related instance. If there are IAM role and policy with the same names, new ones will not be created.',
    { createsResources: true, reusesSameNamedIam: true },
  ),
  t(
    'gcp.cloud-sql',
    'SQL instance',
    "Apply metadata of the latest recovery point to the instance replicated in the policy's target environment. Delete the read replica created by the policy's replication job from the source database.",
    { usesLatestPoint: true },
  ),
  t(
    'gcp.vm-instance',
    'Virtual Machine (VM) instance',
    'Create VM instance, IAM roles, and IAM principles related to the instance. If there are IAM role and policy with the same names, new ones will not be created.',
    { createsResources: true, reusesSameNamedIam: true },
  ),
];

const BY_ID = new Map(RESOURCE_TYPES.map((r) => [r.id, r]));

export function resourceType(id: ResourceTypeId): ResourceTypeInfo {
  const info = BY_ID.get(id);
  if (!info) throw new Error(`Unknown resource type ${id}`);
  return info;
}

export function resourceTypesFor(cloud: Cloud): ResourceTypeInfo[] {
  return RESOURCE_TYPES.filter((r) => r.cloud === cloud);
}
