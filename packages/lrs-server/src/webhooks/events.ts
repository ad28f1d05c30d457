import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { signWebhook, type WebhookEvent } from '@xcredit/sdk/contracts';
import type { Database } from '../db/schema.js';
import { enqueue, PermanentJobError, type JobHandler } from '../jobs/outbox.js';
import { OutboundError, postGuarded, type OutboundPolicy } from '../net/outbound.js';

type Q = Kysely<Database>;

export const DELIVER_JOB = 'webhook.deliver';
/** After this many attempts the delivery is marked failed (the outbox worker's limit). */
const MAX_ATTEMPTS = 25;

/**
 * Records an event for every webhook of the tenant that subscribes to it, inside the caller's
 * transaction: the deliveries are owed exactly when the change that caused them commits.
 */
export async function emit(db: Q, tenantId: string, type: WebhookEvent['type'], data: Record<string, unknown>, at = new Date()): Promise<void> {
  const hooks = await db.selectFrom('webhooks').select(['id', 'events']).where('tenant_id', '=', tenantId).where('active', '=', true).execute();
  const subscribed = hooks.filter((h) => h.events.includes(type) || h.events.includes('*') || type === 'webhook.test');
  if (!subscribed.length) return;
  const event: WebhookEvent = { id: randomUUID(), type, createdAt: at.toISOString(), tenantId, data };
  const body = JSON.stringify(event);
  for (const hook of subscribed) {
    const deliveryId = randomUUID();
    await db.insertInto('webhook_deliveries').values({ tenant_id: tenantId, id: deliveryId, webhook_id: hook.id, event_id: event.id, event: type, body, status: 'pending' }).execute();
    await enqueue(db, { tenantId, kind: DELIVER_JOB, payload: { deliveryId } });
  }
}

/** Posts one delivery; a non-2xx answer or no answer is retried by the outbox with backoff. */
export function deliverHandler(db: Q, outbound: OutboundPolicy): JobHandler {
  return async (job) => {
    const deliveryId = String(job.payload.deliveryId);
    const row = await db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', (j) => j.onRef('w.tenant_id', '=', 'd.tenant_id').onRef('w.id', '=', 'd.webhook_id'))
      .select(['d.tenant_id', 'd.id', 'd.body', 'd.event', 'd.status', 'w.url', 'w.secret', 'w.active'])
      .where('d.tenant_id', '=', job.tenantId)
      .where('d.id', '=', deliveryId)
      .executeTakeFirst();
    if (!row || row.status === 'delivered') return;
    if (!row.active) throw new PermanentJobError('the webhook was deleted');
    const record = (fields: { status?: 'delivered' | 'failed'; last_status?: number | null; last_error?: string | null; delivered_at?: Date }) =>
      db.updateTable('webhook_deliveries').set({ attempts: job.attempt, ...fields }).where('tenant_id', '=', row.tenant_id).where('id', '=', row.id).execute();
    let status: number | null = null;
    const signature = await signWebhook(row.body, row.secret);
    try {
      status = await postGuarded(
        outbound,
        row.url,
        {
          'content-type': 'application/json',
          'user-agent': 'xcredit-webhooks',
          'x-xcredit-event': row.event,
          'x-xcredit-delivery': row.id,
          'x-xcredit-signature': signature,
        },
        row.body,
      );
      if (status >= 200 && status < 300) {
        await record({ status: 'delivered', last_status: status, last_error: null, delivered_at: new Date() });
        return;
      }
      throw new Error(`receiver answered ${status}`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // A receiver gone for good, or an address this server may not reach, is not retried.
      const final = status === 410 || job.attempt >= MAX_ATTEMPTS || (err instanceof OutboundError && err.code === 'forbidden_address');
      await record({ last_status: status, last_error: message.slice(0, 500), ...(final ? { status: 'failed' as const } : {}) });
      throw final ? new PermanentJobError(message) : err;
    }
  };
}
