import { Router } from 'express';
import { idText, improvementPlanInput, learningPathQuery } from '@xcredit/sdk/contracts';
import { actorOf, requireScope } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { jsonBody, pathParam, queryInput } from '../http-input.js';
import { currentPeriod, parsePeriod } from '../period.js';
import { learningPath } from './paths.js';
import { createPlan, listPlans } from './plans.js';

/** Learning paths and improvement plans under /api/v1 (and /admin/api). */
export function pathsRouter(context: AppContext): Router {
  const { db } = context;
  const router = Router();

  router.get('/learners/:learnerId/path', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const learnerId = pathParam(req, 'learnerId', idText);
    const q = queryInput(req, learningPathQuery);
    const period = q.period === undefined ? currentPeriod(context.clock) : parsePeriod(q.period);
    res.json(await learningPath(db, p.tenant.id, learnerId, period, context.clock(), q.maxMinutesPerWeek));
  });

  router.post('/learners/:learnerId/plans', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const learnerId = pathParam(req, 'learnerId', idText);
    const input = req.body === undefined ? improvementPlanInput.parse({}) : jsonBody(req, improvementPlanInput);
    const period = input.period === undefined ? currentPeriod(context.clock) : parsePeriod(input.period);
    const result = await createPlan(context, p.tenant.id, learnerId, period, input, actorOf(p));
    res.status(result.created ? 201 : 200).json(result);
  });

  router.get('/learners/:learnerId/plans', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json({ plans: await listPlans(db, p.tenant.id, pathParam(req, 'learnerId', idText), context.clock()) });
  });

  return router;
}
