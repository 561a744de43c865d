// The ordered list of migrations. Add a file `NNN-name.ts` exporting version, name and sql, list it
// here, and add its test under test/main/db/migrations/.

import * as m001 from './001-initial';
import * as m002 from './002-sim-provider';
import * as m003 from './003-protected-resource-removal';
import * as m004 from './004-webhooks';
import * as m005 from './005-job-engine';
import * as m006 from './006-job-lookup-indexes';
import * as m010 from './010-offline-and-handover';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005, m006, m010];
