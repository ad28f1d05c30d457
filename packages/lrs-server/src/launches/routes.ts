import { Router } from 'express';
import { requireLaunch, requireScope } from '../auth/principal.js';
import { now } from '../clock.js';
import { answerAttentionCheck, attentionInput, attentionOnHeartbeat } from '../credits/attention-checks.js';
import type { CreditEvents } from '../credits/ledger.js';
import type { Db } from '../db/index.js';
import { jsonBody } from '../http-input.js';
import { launchInput } from '@xcredit/sdk/contracts';
import { createLaunch } from './launches.js';
import { answerFeedback, createSession, currentLaunch, heartbeat, heartbeatInput } from './sessions.js';

/** Launches under /api/v1: a client starts one; the player's own calls carry its launch token. */
export function launchesRouter(db: Db, events: CreditEvents, config: { readonly publicUrl: string }): Router {
  const router = Router();

  router.post('/launches', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.status(201).json(await createLaunch(db, events, p.tenant, jsonBody(req, launchInput), config.publicUrl, now(req)));
  });

  router.get('/launches/current', async (req, res) => {
    res.json(await currentLaunch(db, requireLaunch(req)));
  });

  router.post('/launches/current/sessions', async (req, res) => {
    const launch = requireLaunch(req);
    res.status(201).json(await createSession(db, launch, now(req)));
  });

  router.post('/launches/current/heartbeat', async (req, res) => {
    const launch = requireLaunch(req);
    const input = jsonBody(req, heartbeatInput);
    const alive = await heartbeat(db, events, launch, input, now(req));
    res.json({ ...alive, ...(await attentionOnHeartbeat(db, events, launch, input, now(req))) });
  });

  router.post('/launches/current/attention', async (req, res) => {
    res.json(await answerAttentionCheck(db, events, requireLaunch(req), jsonBody(req, attentionInput), now(req)));
  });

  router.get('/launches/current/answers/:questionId', async (req, res) => {
    const launch = requireLaunch(req);
    res.json(await answerFeedback(db, launch, String(req.params.questionId), now(req)));
  });

  return router;
}
