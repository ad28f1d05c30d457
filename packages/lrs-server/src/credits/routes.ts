import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { actorOf, requireLaunch, requireScope } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import type { AppContext } from '../context.js';
import { HttpError } from '../http-error.js';
import { jsonBody, pathParam, queryInput } from '../http-input.js';
import { awardInput, decisionInput, growthCategoryInput, idText, periodText, statementsQuery, targetInput } from '@xcredit/sdk/contracts';
import { bodyGuard } from '../edge.js';
import { addEvidenceFile, EVIDENCE_MAX_BYTES, evidenceFile, listGrowthCategories, putGrowthCategory } from './growth.js';
import { createAward, decideAward, getAward, listAwards } from './awards.js';
import { learnerCredits } from './engagement.js';
import type { CreditEvents } from './ledger.js';
import { explain, learnerLedger } from './reads.js';
import { explainStatements } from './trail.js';
import { closePeriod, learnerStanding, setTarget } from './targets.js';
import { currentPeriod, parsePeriod } from '../period.js';

const uuidParam = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an award id (UUID)');
const periodQuery = (req: Request, clock: Clock) => (req.query.period === undefined ? currentPeriod(clock) : parsePeriod(String(req.query.period))).name;

/** Credits under /api/v1: a learner's credits, ledger and explanation, awards, targets and periods. */
export function creditsRouter({ db, reads, clock }: AppContext, events: CreditEvents): Router {
  const router = Router();

  router.get('/learners/:learnerId/credits', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const learnerId = pathParam(req, 'learnerId', idText);
    const period = periodQuery(req, clock);
    const now = clock();
    // Credits and standing read on the replica when it has every credit committed before now (`Reads`).
    const [result, standing] = await reads.read((on) => Promise.all([learnerCredits(on, p.tenant.id, learnerId, period), learnerStanding(on, p.tenant.id, learnerId, period, now)]));
    res.json({ ...result, ...standing, earned: result.earned });
  });

  router.get('/learners/:learnerId/courses/:courseId/engagement', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json(await explain(db, events, p.tenant.id, pathParam(req, 'learnerId', idText), pathParam(req, 'courseId', idText), periodQuery(req, clock)));
  });

  // The statement browser: statements with what the engine made of each (support's first tool).
  router.get('/statements/explained', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json(await explainStatements(db, p.tenant.id, queryInput(req, statementsQuery)));
  });

  router.get('/learners/:learnerId/ledger', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const learnerId = pathParam(req, 'learnerId', idText);
    const period = periodQuery(req, clock);
    res.json(await reads.read((on) => learnerLedger(on, p.tenant.id, learnerId, period)));
  });

  // The player reads its own credits with its launch token.
  router.get('/launches/current/credits', async (req, res) => {
    const { tenant, launch } = requireLaunch(req);
    const period = currentPeriod(clock).name;
    const result = await reads.read((on) => learnerCredits(on, tenant.id, launch.learnerId, period, launch.courseId));
    res.json({ ...result.courses[0], learnerId: launch.learnerId, period: result.period });
  });

  // Awards: offline training, growth credits, approvals.
  router.post('/awards', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const { award, created } = await createAward(db, events, p.tenant.id, actorOf(p), jsonBody(req, awardInput), clock());
    res.status(created ? 201 : 200).json(award);
  });

  router.get('/awards', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const q = req.query as Record<string, string | undefined>;
    res.json({ awards: await listAwards(db, p.tenant.id, { status: q.status, learnerId: q.learnerId, period: q.period }) });
  });

  router.get('/awards/:awardId', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json(await getAward(db, p.tenant.id, pathParam(req, 'awardId', uuidParam)));
  });

  for (const [action, decision] of [['approve', 'approved'], ['reject', 'rejected']] as const) {
    router.post(`/awards/:awardId/${action}`, async (req, res) => {
      const p = requireScope(req, 'credits/admin');
      const { reason } = req.body === undefined ? {} : jsonBody(req, decisionInput);
      res.json(await decideAward(db, events, p.tenant.id, pathParam(req, 'awardId', uuidParam), actorOf(p), decision, reason, clock()));
    });
  }

  // Growth categories and evidence files.
  router.get('/growth-categories', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json({ categories: await listGrowthCategories(db, p.tenant.id) });
  });

  router.put('/growth-categories/:categoryId', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.json(await putGrowthCategory(db, p.tenant.id, pathParam(req, 'categoryId', idText), jsonBody(req, growthCategoryInput)));
  });

  // The file is the request body (its Content-Type one of EVIDENCE_TYPES), named by ?filename=.
  router.post('/awards/:awardId/evidence', express.raw({ type: () => true, limit: EVIDENCE_MAX_BYTES + 1 }), bodyGuard, async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const awardId = pathParam(req, 'awardId', uuidParam);
    const name = typeof req.query.filename === 'string' ? req.query.filename : '';
    const data = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    res.status(201).json(await addEvidenceFile(db, p.tenant.id, awardId, { name, contentType: req.get('content-type') ?? '', data }, actorOf(p)));
  });

  router.get('/awards/:awardId/evidence/:fileId', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const file = await evidenceFile(db, p.tenant.id, pathParam(req, 'awardId', uuidParam), pathParam(req, 'fileId', uuidParam));
    res.set('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.fileName)}`);
    res.set('X-Content-Type-Options', 'nosniff');
    res.type(file.contentType).send(file.data);
  });

  // Targets and periods.
  router.put('/targets/:period', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.json(await setTarget(db, p.tenant.id, pathParam(req, 'period', periodText), { type: 'all', value: '' }, jsonBody(req, targetInput)));
  });

  router.put('/targets/:period/:groupType/:groupValue', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const type = String(req.params.groupType);
    if (type !== 'department' && type !== 'role') throw new HttpError(400, 'invalid_input', `groupType "${type}" must be department or role`);
    const value = String(req.params.groupValue);
    if (!value || value.length > 200) throw new HttpError(400, 'invalid_input', 'groupValue must be 1–200 characters');
    res.json(await setTarget(db, p.tenant.id, pathParam(req, 'period', periodText), { type, value }, jsonBody(req, targetInput)));
  });

  router.post('/periods/:period/close', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.json(await closePeriod(db, p.tenant.id, pathParam(req, 'period', periodText), actorOf(p), clock()));
  });

  return router;
}
