// Azure Database for PostgreSQL flexible server on the sim provider (failover uses the latest point).

import { flexibleServerSpec } from './flexible-server';

export const azurePostgresqlFlexible = flexibleServerSpec({
  type: 'azure.postgresql-flexible',
  kind: 'PostgreSqlFlexibleServer',
  providerPath: 'Microsoft.DBforPostgreSQL',
  label: 'PostgreSQL',
  names: ['pg-orders', 'pg-analytics', 'pg-identity'],
  versions: ['15', '16', '17'],
  parameters: (): Record<string, string>[] => [
    { max_connections: '200', 'azure.extensions': 'PG_STAT_STATEMENTS,PGCRYPTO', log_min_duration_statement: '500' },
    { max_connections: '400', shared_preload_libraries: 'pg_stat_statements', work_mem: '16384' },
  ],
});
