// The ordered list of migrations. Add a file `NNN-name.ts` exporting version, name and sql, list it
// here, and add its test (an optional up(db) runs after the sql, in the same transaction) under test/main/db/migrations/.

import type { Db } from '../connection';
import * as m001 from './001-initial';
import * as m002 from './002-sim-provider';
import * as m003 from './003-protected-resource-removal';
import * as m004 from './004-webhooks';
import * as m005 from './005-job-engine';
import * as m006 from './006-job-lookup-indexes';
import * as m007 from './007-job-operations';
import * as m008 from './008-durability';
import * as m009 from './009-evidence';
import * as m010 from './010-offline-and-handover';
import * as m011 from './011-typed-scopes';
import * as m012 from './012-schedule-missed-slots';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Optional data step after `sql` (parsing what older versions stored, hashing), inside the migration's transaction. */
  up?: (db: Db) => void;
}

export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005, m006, m007, m008, m009, m010, m011, m012];
