// The fifteen simulated resource types, in catalog order, each with its family.

import { RESOURCE_TYPE_IDS } from '../../../shared/catalog';
import { awsDynamodb } from './aws/dynamodb';
import { awsEc2Instance } from './aws/ec2-instance';
import { awsEks } from './aws/eks';
import { awsRds } from './aws/rds';
import { awsS3Bucket } from './aws/s3-bucket';
import { azureAks } from './azure/aks';
import { azureMysqlFlexible } from './azure/mysql-flexible';
import { azurePostgresqlFlexible } from './azure/postgresql-flexible';
import { azureSqlDatabase } from './azure/sql-database';
import { azureStorageAccount } from './azure/storage-account';
import { azureVm } from './azure/vm';
import type { ComputeTypeSpec } from './compute-family';
import { gcpCloudSql } from './gcp/cloud-sql';
import { gcpCloudStorage } from './gcp/cloud-storage';
import { gcpGke } from './gcp/gke';
import { gcpVmInstance } from './gcp/vm-instance';
import type { ReplicaTypeSpec } from './replica-family';

export type SimTypeSpec = ReplicaTypeSpec | ComputeTypeSpec;

const BY_TYPE = new Map<string, SimTypeSpec>(
  [
    azureVm,
    azureSqlDatabase,
    azureStorageAccount,
    azureAks,
    azureMysqlFlexible,
    azurePostgresqlFlexible,
    awsEc2Instance,
    awsS3Bucket,
    awsRds,
    awsDynamodb,
    awsEks,
    gcpCloudStorage,
    gcpGke,
    gcpCloudSql,
    gcpVmInstance,
  ].map((s) => [s.type, s]),
);

export const SIM_TYPE_SPECS: readonly SimTypeSpec[] = RESOURCE_TYPE_IDS.map((id) => {
  const spec = BY_TYPE.get(id);
  // A catalog type without a simulation would leave a hole in every rehearsal: fail at load.
  if (!spec) throw new Error(`The sim provider has no simulation for resource type ${id}`);
  return spec;
});
