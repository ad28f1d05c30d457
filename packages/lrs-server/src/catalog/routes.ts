import { Router } from 'express';
import type { Kysely } from 'kysely';
import { actorOf, requireScope } from '../auth/principal.js';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema.js';
import { jsonBody, pathParam } from '../http-input.js';
import { courseInput, idText, policyInput } from '@xcredit/sdk/contracts';
import { getCourse, setTenantPolicy, tenantPolicy, upsertCourse, type Course } from './courses.js';

/** What must follow a course's replacement in its transaction (the engine adjusts earned credits). */
export type CourseChanged = (trx: Kysely<Database>, tenantId: string, before: Course, after: Course, actor: string) => Promise<unknown>;

/** The catalog under /api/v1: courses and the tenant's policy defaults. */
export function catalogRouter(db: Db, courseChanged: CourseChanged): Router {
  const router = Router();

  router.put('/courses/:courseId', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const { course, created } = await upsertCourse(db, p.tenant.id, pathParam(req, 'courseId', idText), jsonBody(req, courseInput), async (trx, before, after) => {
      if (before) await courseChanged(trx, p.tenant.id, before, after, actorOf(p));
    });
    res.status(created ? 201 : 200).json(course);
  });

  router.get('/courses/:courseId', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json(await getCourse(db, p.tenant.id, pathParam(req, 'courseId', idText)));
  });

  router.get('/policy', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json(await tenantPolicy(db, p.tenant.id));
  });

  router.put('/policy', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const input = jsonBody(req, policyInput);
    await setTenantPolicy(db, p.tenant.id, input);
    res.json(input);
  });

  return router;
}
