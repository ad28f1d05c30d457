import express, { Router } from 'express';
import { requireScope } from '../auth/principal.js';
import { idText, learnerFields, learnerListQuery } from '@xcredit/sdk/contracts';
import { describeIssues } from '@xcredit/sdk/xapi';
import type { Db } from '../db/index.js';
import { bodyGuard } from '../edge.js';
import { HttpError, invalidInput } from '../http-error.js';
import { jsonBody, pathParam } from '../http-input.js';
import { csvToLearners, getLearner, importLearners, listLearners, putLearner, validate, type ImportIssue, type LearnerRow } from './learners.js';

/** Learners under /api/v1: an HR import, a page by page list, one learner read and written. */
export function learnersRouter(db: Db): Router {
  const router = Router();

  // Learners from an HR export: CSV (text/csv) or a JSON array, all or nothing.
  router.post('/learners/import', express.text({ type: ['text/csv', 'text/plain'], limit: '20mb' }), bodyGuard, async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    let parsed: { rows: LearnerRow[]; issues: ImportIssue[] };
    if (req.is('text/csv') || req.is('text/plain')) parsed = csvToLearners(String(req.body ?? ''));
    else if (req.is('application/json') && Array.isArray(req.body)) parsed = validate((req.body as unknown[]).map((value, i) => ({ line: i + 1, value })));
    else throw new HttpError(400, 'invalid_input', 'send text/csv with a header line, or a JSON array of learners');
    if (parsed.issues.length) {
      const shown = parsed.issues.slice(0, 10).map((i) => `line ${i.line}, ${i.field}: ${i.message}`).join('; ');
      throw new HttpError(400, 'invalid_import', `nothing was imported: ${parsed.issues.length} problem${parsed.issues.length > 1 ? 's' : ''}: ${shown}`, parsed.issues.map((i) => ({ path: `line ${i.line}.${i.field}`, message: i.message })));
    }
    res.json(await importLearners(db, p.tenant.id, parsed.rows));
  });

  router.get('/learners/:learnerId', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json(await getLearner(db, p.tenant.id, pathParam(req, 'learnerId', idText)));
  });

  router.get('/learners', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const q = learnerListQuery.safeParse(req.query);
    if (!q.success) throw invalidInput(describeIssues(q.error), 'invalid query parameter');
    res.json(await listLearners(db, p.tenant.id, { limit: q.data.limit, after: q.data.after, department: q.data.department }));
  });

  router.put('/learners/:learnerId', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const id = pathParam(req, 'learnerId', idText);
    const input = jsonBody(req, learnerFields);
    const { created } = await putLearner(db, p.tenant.id, id, input);
    res.status(created ? 201 : 200).json({ learnerId: id, ...input });
  });

  return router;
}
