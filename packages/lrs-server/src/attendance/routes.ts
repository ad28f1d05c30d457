import { Router } from 'express';
import { checkinInput, trainingSessionInput, trainingSessionListQuery } from '@xcredit/sdk/contracts';
import { actorOf, requireLaunch, requireScope } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import type { CreditEvents } from '../credits/ledger.js';
import { jsonBody, queryInput } from '../http-input.js';
import { closeTrainingSession, createTrainingSession, currentCheckinCode, getTrainingSession, listTrainingSessions, openTrainingSession, scanCheckinCode, sweepTrainingSessions } from './sessions.js';

/** Offline training under /api/v1 (and /admin/api): sessions, their rotating check-in code, the learners' scans. */
export function attendanceRouter(context: AppContext, events: CreditEvents): Router {
  const { db, clock } = context;
  const router = Router();
  const id = (raw: unknown) => String(raw);

  router.post('/training-sessions', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.status(201).json(await createTrainingSession(db, p.tenant.id, actorOf(p), jsonBody(req, trainingSessionInput)));
  });

  router.get('/training-sessions', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json({ sessions: await listTrainingSessions(db, p.tenant.id, queryInput(req, trainingSessionListQuery)) });
  });

  router.post('/training-sessions/sweep', async (req, res) => {
    requireScope(req, 'credits/admin');
    res.json({ closed: await sweepTrainingSessions(db, events, clock()) });
  });

  router.get('/training-sessions/:sessionId', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json(await getTrainingSession(db, p.tenant.id, id(req.params.sessionId)));
  });

  router.post('/training-sessions/:sessionId/open', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.json(await openTrainingSession(db, p.tenant.id, id(req.params.sessionId), clock()));
  });

  router.get('/training-sessions/:sessionId/code', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.set('Cache-Control', 'no-store');
    res.json(await currentCheckinCode(context, p.tenant.id, id(req.params.sessionId), clock()));
  });

  router.post('/training-sessions/:sessionId/close', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.json(await closeTrainingSession(db, events, p.tenant.id, id(req.params.sessionId), actorOf(p), clock()));
  });

  router.post('/launches/current/attendance', async (req, res) => {
    const launch = requireLaunch(req);
    const result = await scanCheckinCode(db, context.secretKey, launch.tenant.id, launch.launch, jsonBody(req, checkinInput), clock());
    res.status(result.created ? 201 : 200).json(result);
  });

  return router;
}
