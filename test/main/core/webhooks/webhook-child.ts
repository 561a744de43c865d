// Child process for the webhook crash test: composes the core on a data folder so the outbox
// resumes and starts sending, then waits to be killed (SIGKILL) mid-request by the parent.
//
// usage: node --import tsx test/main/core/webhooks/webhook-child.ts <dataDir>

import { composeCore } from '../../../../main/compose';
import { silentLogger } from '../../../../main/core/logger';
import { testKeyProvider } from '../../../helpers/keys';
import { FAST } from './webhook-fixtures';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: webhook-child.ts <dataDir>');
composeCore({ dataDir, keyProvider: testKeyProvider(), startScheduler: false, logger: silentLogger, webhooks: { ...FAST, timeoutMs: 60_000 } });
process.stdout.write('READY\n');
// Keep the process alive until the parent kills it; the outbox's own timers are unref'd.
setInterval(() => undefined, 1_000);
