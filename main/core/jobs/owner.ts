// Who runs a job: "<host>|<pid>|<instance>". A job is resumed only when its owner is gone (a dead
// process on this host, a closed engine in this process, or a heartbeat older than the lease).

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Engines alive in this process, by instance id; a closed or crashed one reports false. */
const LIVE = new Map<string, () => boolean>();

export interface OwnerIdentity {
  readonly id: string;
  readonly instance: string;
}

export function newOwner(): OwnerIdentity {
  const instance = randomBytes(9).toString('base64url');
  return { id: `${hostname()}|${process.pid}|${instance}`, instance };
}

export function registerLive(instance: string, alive: () => boolean): () => void {
  LIVE.set(instance, alive);
  return () => {
    LIVE.delete(instance);
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when nobody is running the job any more. `heartbeatAgeMs` is how long ago the owner last
 * proved it was alive (Infinity when it never did); `leaseMs` is how long that proof holds.
 */
export function ownerGone(owner: string | null, heartbeatAgeMs: number, leaseMs: number): boolean {
  if (owner === null) return true;
  const [host, pidText, instance] = owner.split('|');
  const pid = Number(pidText);
  if (host === hostname() && pid === process.pid) {
    const alive = instance === undefined ? undefined : LIVE.get(instance);
    return !alive || !alive();
  }
  if (host === hostname() && Number.isInteger(pid) && pid > 0 && !pidAlive(pid)) return true;
  return heartbeatAgeMs > leaseMs;
}
