import { Router } from 'express';
import { idText, reflectionInput, reflectionListQuery, reflectionReturnInput } from '@xcredit/sdk/contracts';
import { actorOf, requireLaunch, requireScope } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import type { CreditEvents } from '../credits/ledger.js';
import { jsonBody, pathParam, queryInput } from '../http-input.js';
import { getReflection, listReflections, playerReflection, reviewReflection, submitReflection } from './reflections.js';

/** Reflections under /api/v1: the learner writes one with the launch token; reviewers approve or return it. */
export function reflectionsRouter({ db, clock }: AppContext, events: CreditEvents): Router {
  const router = Router();

  router.get('/launches/current/reflection', async (req, res) => {
    const { tenant, launch } = requireLaunch(req);
    res.json(await playerReflection(db, tenant.id, launch.learnerId, launch.courseId));
  });

  router.post('/launches/current/reflection', async (req, res) => {
    const { tenant, launch } = requireLaunch(req);
    const { text } = jsonBody(req, reflectionInput);
    res.json(await submitReflection(db, events, tenant.id, launch.learnerId, launch.courseId, text, clock()));
  });

  router.get('/reflections', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json({ reflections: await listReflections(db, p.tenant.id, queryInput(req, reflectionListQuery)) });
  });

  router.get('/reflections/:learnerId/:courseId', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json(await getReflection(db, p.tenant.id, pathParam(req, 'learnerId', idText), pathParam(req, 'courseId', idText)));
  });

  router.post('/reflections/:learnerId/:courseId/approve', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const [learnerId, courseId] = [pathParam(req, 'learnerId', idText), pathParam(req, 'courseId', idText)];
    res.json(await reviewReflection(db, events, p.tenant.id, learnerId, courseId, actorOf(p), { action: 'approve' }, clock()));
  });

  router.post('/reflections/:learnerId/:courseId/return', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const [learnerId, courseId] = [pathParam(req, 'learnerId', idText), pathParam(req, 'courseId', idText)];
    const { note } = jsonBody(req, reflectionReturnInput);
    res.json(await reviewReflection(db, events, p.tenant.id, learnerId, courseId, actorOf(p), { action: 'return', note }, clock()));
  });

  return router;
}
