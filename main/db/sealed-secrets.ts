// How many vault-sealed blobs the file holds (account credentials, webhook signing secrets): the
// vault refuses to mint a new data key while any exist, since they could never be opened again.

import type { Db } from './connection';

export function sealedSecretCount(db: Db): number {
  return db
    .prepare(
      `SELECT (SELECT COUNT(*) FROM accounts WHERE length(secret) > 0)
            + (SELECT COUNT(*) FROM policies WHERE webhook_secret IS NOT NULL)`,
    )
    .pluck()
    .get() as number;
}
