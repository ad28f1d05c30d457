import express, { Router, type Request } from 'express';
import { atRiskRemindInput, idText, mailSettingsInput } from '@xcredit/sdk/contracts';
import { actorOf, requireScope } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { bodyGuard } from '../edge.js';
import { HttpError } from '../http-error.js';
import { jsonBody, pathParam } from '../http-input.js';
import { refusedHost, STRICT_POLICY } from '../net/outbound.js';
import { currentPeriod, parsePeriod } from '../period.js';
import { unsubscribeAsk, unsubscribeDone, unsubscribeInvalid } from './pages.js';
import { checkUnsubscribeToken, listReminders, optOut, remindAtRisk, remindLearner, sweepReminders } from './reminders.js';
import { getMailSettings, putMailSettings } from './settings.js';

const periodOf = (req: Request, context: AppContext, body?: string) => (body ?? req.query.period) === undefined ? currentPeriod(context.clock) : parsePeriod(String(body ?? req.query.period));

/** Reminders under /api/v1 (and /admin/api): mail settings, the Remind buttons, the send log, a sweep on demand. */
export function remindersRouter(context: AppContext): Router {
  const { db } = context;
  const router = Router();

  router.get('/reminders/settings', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.json(await getMailSettings(db, p.tenant.id));
  });

  router.put('/reminders/settings', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const input = jsonBody(req, mailSettingsInput);
    // Refused at once where the address is known; a name is checked where the mailer connects.
    const refused = refusedHost(context.smtpOutbound ?? STRICT_POLICY, input.host);
    if (refused) throw new HttpError(400, 'invalid_input', `host: ${refused}`);
    res.json(await putMailSettings(db, p.tenant.id, context.secretKey, input));
  });

  router.get('/reminders', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const q = req.query as Record<string, string | undefined>;
    res.json({ reminders: await listReminders(db, p.tenant.id, { learnerId: q.learnerId, status: q.status, kind: q.kind }) });
  });

  router.post('/learners/:learnerId/remind', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const result = await remindLearner(context, p.tenant.id, pathParam(req, 'learnerId', idText), periodOf(req, context), actorOf(p));
    res.status(result.created ? 202 : 200).json(result);
  });

  router.post('/reminders/at-risk', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const input = req.body === undefined ? {} : jsonBody(req, atRiskRemindInput);
    res.status(202).json(await remindAtRisk(context, p.tenant.id, periodOf(req, context, input.period), input.department, actorOf(p)));
  });

  router.post('/reminders/sweep', async (req, res) => {
    requireScope(req, 'credits/admin');
    res.json({ queued: await sweepReminders(context) });
  });

  return router;
}

/** The public unsubscribe page a reminder links to: signed per learner, asks before it changes anything. */
export function unsubscribePages(context: AppContext): Router {
  const { db } = context;
  const router = Router();
  const learnerOf = async (req: Request) => {
    const q = req.query as Record<string, string | undefined>;
    const [tenant, learner, token] = [q.tenant ?? '', q.learner ?? '', q.token ?? ''];
    if (!tenant || !learner || !token || !checkUnsubscribeToken(context.secretKey, tenant, learner, token)) return undefined;
    const row = await db.selectFrom('learners').select(['id', 'display_name']).where('tenant_id', '=', tenant).where('id', '=', learner).executeTakeFirst();
    return row ? { tenant, learner, name: row.display_name ?? row.id } : undefined;
  };
  router.get('/reminders/unsubscribe', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const who = await learnerOf(req);
    if (!who) return void res.status(404).type('html').send(unsubscribeInvalid());
    res.type('html').send(unsubscribeAsk(who.name, req.originalUrl));
  });
  router.post('/reminders/unsubscribe', express.urlencoded({ extended: false, limit: '1kb' }), bodyGuard, async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const who = await learnerOf(req);
    if (!who) return void res.status(404).type('html').send(unsubscribeInvalid());
    await optOut(db, who.tenant, who.learner);
    res.type('html').send(unsubscribeDone(who.name));
  });
  return router;
}
