// Azure Database for MySQL flexible server on the sim provider (failover uses the latest point).

import { flexibleServerSpec } from './flexible-server';

export const azureMysqlFlexible = flexibleServerSpec({
  type: 'azure.mysql-flexible',
  kind: 'MySqlFlexibleServer',
  providerPath: 'Microsoft.DBforMySQL',
  label: 'MySQL',
  names: ['mysql-shop', 'mysql-wordpress', 'mysql-crm'],
  versions: ['8.0.21', '8.4'],
  parameters: (): Record<string, string>[] => [
    { max_connections: '500', slow_query_log: 'ON', time_zone: '+00:00' },
    { max_connections: '1000', innodb_buffer_pool_size: '4294967296', require_secure_transport: 'ON' },
  ],
});
