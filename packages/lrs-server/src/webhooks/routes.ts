import { randomBytes, randomUUID } from 'node:crypto';
import { webhookInput } from '@xcredit/sdk/contracts';
import { describeIssues } from '@xcredit/sdk/xapi';
import { Router, type Request } from 'express';
import { requireScope } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { refusedDestination, type OutboundPolicy } from '../net/outbound.js';
import { HttpError, invalidInput } from '../http-error.js';
import { emit } from './events.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function hookId(req: Request) {
  const id = String(req.params.webhookId);
  if (!uuid.test(id)) throw new HttpError(400, 'invalid_input', `webhookId "${id}" must be a UUID`);
  return id.toLowerCase();
}

/** Webhook subscriptions and their delivery log under /api/v1/webhooks (credits/admin). */
export function webhooksRouter({ db, clock, kickOutbox }: AppContext, outbound: OutboundPolicy): Router {
  const router = Router();

  router.post('/webhooks', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const parsed = webhookInput.safeParse(req.body);
    if (!parsed.success) throw invalidInput(describeIssues(parsed.error), 'invalid request body');
    const refused = refusedDestination(outbound, parsed.data.url);
    if (refused) throw invalidInput([{ path: 'url', message: refused }], 'invalid request body');
    const secret = parsed.data.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
    const id = randomUUID();
    await db.insertInto('webhooks').values({ tenant_id: p.tenant.id, id, url: parsed.data.url, secret, events: JSON.stringify(parsed.data.events) }).execute();
    res.status(201).json({ webhookId: id, url: parsed.data.url, events: parsed.data.events, secret });
  });

  router.get('/webhooks', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const rows = await db.selectFrom('webhooks').select(['id', 'url', 'events', 'created_at']).where('tenant_id', '=', p.tenant.id).where('active', '=', true).orderBy('created_at').execute();
    res.json({ webhooks: rows.map((r) => ({ webhookId: r.id, url: r.url, events: r.events, createdAt: new Date(r.created_at).toISOString() })) });
  });

  router.delete('/webhooks/:webhookId', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const r = await db.updateTable('webhooks').set({ active: false }).where('tenant_id', '=', p.tenant.id).where('id', '=', hookId(req)).where('active', '=', true).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new HttpError(404, 'webhook_not_found', `no webhook ${req.params.webhookId} in this tenant`);
    res.status(204).end();
  });

  router.post('/webhooks/:webhookId/test', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const id = hookId(req);
    const hook = await db.selectFrom('webhooks').select('id').where('tenant_id', '=', p.tenant.id).where('id', '=', id).where('active', '=', true).executeTakeFirst();
    if (!hook) throw new HttpError(404, 'webhook_not_found', `no webhook ${id} in this tenant`);
    await db.transaction().execute((trx) => emit(trx, p.tenant.id, 'webhook.test', { webhookId: id }, clock()));
    kickOutbox();
    res.status(202).json({ queued: true });
  });

  router.get('/webhooks/:webhookId/deliveries', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const rows = await db
      .selectFrom('webhook_deliveries')
      .select(['id', 'event_id', 'event', 'status', 'attempts', 'last_status', 'last_error', 'created_at', 'delivered_at'])
      .where('tenant_id', '=', p.tenant.id)
      .where('webhook_id', '=', hookId(req))
      .orderBy('created_at', 'desc')
      .limit(200)
      .execute();
    res.json({
      deliveries: rows.map((r) => ({
        deliveryId: r.id,
        eventId: r.event_id,
        event: r.event,
        status: r.status,
        attempts: r.attempts,
        lastStatus: r.last_status,
        lastError: r.last_error,
        createdAt: new Date(r.created_at).toISOString(),
        deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
      })),
    });
  });

  return router;
}
