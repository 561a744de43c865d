// The report as JSON: the whole model, plus the webhook document exactly as it was POSTed. The body
// is spliced in as stored rather than parsed and re-serialised, so its bytes (key order, spacing,
// escapes) are the receiver's bytes; `webhookBody` repeats it as a string for tools that want that.

import type { JobReport } from './job-report';

const SLOT = '"__webhook_document_slot__"';

export function reportJson(r: JobReport): string {
  const sent = r.webhookDeliveries.find((w) => w.status === 'delivered') ?? r.webhookDeliveries[0] ?? null;
  if (sent && !isJson(sent.body)) return `${JSON.stringify({ ...r, webhookBody: sent.body, webhookDocument: null }, null, 2)}\n`;
  const doc = { ...r, webhookBody: sent?.body ?? null, webhookDocument: sent ? '__webhook_document_slot__' : null };
  const text = JSON.stringify(doc, null, 2);
  if (!sent) return `${text}\n`;
  // The body is JSON the outbox wrote itself; splice it in at the one slot the model has.
  const at = text.lastIndexOf(SLOT);
  return `${text.slice(0, at)}${sent.body}${text.slice(at + SLOT.length)}\n`;
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
