// Desktop notifications for finished jobs (dr:job.finished). The words come from a pure function;
// the shell passes Electron's Notification class in, so this module runs and is tested under Node.

import type { JobKind, JobStatus } from '../../shared/domain';
import { events, type EventPayload } from '../../shared/ipc/contract';

export type JobFinished = EventPayload<'dr:job.finished'>;

export interface JobNotificationText {
  title: string;
  body: string;
  /** Failures ask for attention (Linux urgency; other platforms ignore it). */
  urgency: 'normal' | 'critical';
}

const KIND: Record<JobKind, string> = {
  replication: 'Replication',
  test_failover: 'Test failover',
  reset: 'Reset',
  failover: 'Failover',
};

const OUTCOME: Record<JobStatus, string> = {
  queued: 'queued',
  running: 'running',
  succeeded: 'completed',
  failed: 'failed',
  partially_failed: 'partially failed',
  cancelled: 'cancelled',
};

/** Notification centres cut long text anyway; cut it where we choose, on a word. */
export const MAX_BODY = 240;

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export function formatJobNotification(p: JobFinished): JobNotificationText {
  const failed = p.status === 'failed' || p.status === 'partially_failed';
  const title = clip(`${KIND[p.kind]} ${OUTCOME[p.status]}: ${p.policyName}`, 120);
  let next = '';
  if (failed) next = 'Open the job in Failover Console and retry the failed items.';
  else if (p.kind === 'failover' && p.status === 'succeeded') next = 'The policy is now failed over and read-only.';
  else if (p.kind === 'test_failover' && p.status === 'succeeded') next = 'Test resources are up; Reset deletes them.';
  const message = p.message.trim();
  const body = [message && !/[.!?…]$/.test(message) ? `${message}.` : message, next].filter(Boolean).join(' ');
  return { title, body: clip(body, MAX_BODY), urgency: failed ? 'critical' : 'normal' };
}

/** The part of Electron's Notification class the shell uses. */
export interface NotificationClass {
  isSupported(): boolean;
  new (options: { title: string; body: string; urgency?: 'normal' | 'critical' | 'low'; silent?: boolean }): {
    show(): void;
    on(event: 'click', listener: () => void): unknown;
  };
}

/**
 * Shows the desktop notification for a dr:job.finished payload when the platform supports it.
 * Anything that is not a valid payload is ignored. Returns whether a notification was shown.
 */
export function showJobNotification(Notification: NotificationClass, payload: unknown, onClick?: () => void): boolean {
  const parsed = events['dr:job.finished'].safeParse(payload);
  if (!parsed.success) return false;
  try {
    if (!Notification.isSupported()) return false;
    const text = formatJobNotification(parsed.data);
    const n = new Notification({ title: text.title, body: text.body, urgency: text.urgency });
    if (onClick) n.on('click', onClick);
    n.show();
    return true;
  } catch {
    // A desktop without a notification service must not take the job's end down with it.
    return false;
  }
}
