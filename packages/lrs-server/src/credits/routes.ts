import { describeIssues } from '@xcredit/sdk/xapi';
import { Router, type Request } from 'express';
import type { z } from 'zod';
import { requireLaunch, requireScope } from '../auth/principal.js';
import type { Db } from '../db/index.js';
import { HttpError, invalidInput } from '../http-error.js';
import { courseInput, getCourse, idText, upsertCourse } from './courses.js';
import { learnerCredits } from './engagement.js';
import { createLaunch, launchInput } from './launches.js';

/** Reads a JSON body with a schema; a 400 names every field at fault. */
function body<T extends z.ZodType>(req: Request, schema: T): z.infer<T> {
  if (!req.is('application/json')) throw new HttpError(400, 'invalid_input', `Content-Type must be application/json (got ${req.get('content-type') ?? 'none'})`);
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) throw invalidInput(describeIssues(parsed.error), 'invalid request body');
  return parsed.data;
}

function param(req: Request, name: string): string {
  const value = String(req.params[name] ?? '');
  const parsed = idText.safeParse(value);
  if (!parsed.success) throw new HttpError(400, 'invalid_input', `${name} "${value}" ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
  return value;
}

const currentPeriod = () => String(new Date().getUTCFullYear());

/** The credits API under /api/v1 (JSON; Basic auth for clients, Bearer for the player). */
export function creditsRouter(db: Db, config: { readonly publicUrl: string }): Router {
  const router = Router();

  router.put('/courses/:courseId', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const { course, created } = await upsertCourse(db, p.tenant.id, param(req, 'courseId'), body(req, courseInput));
    res.status(created ? 201 : 200).json(course);
  });

  router.get('/courses/:courseId', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json(await getCourse(db, p.tenant.id, param(req, 'courseId')));
  });

  router.post('/launches', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    res.status(201).json(await createLaunch(db, p.tenant, body(req, launchInput), config.publicUrl));
  });

  // What the player needs to run a launch: who, what, and the course's policy.
  router.get('/launches/current', async (req, res) => {
    const { tenant, launch } = requireLaunch(req);
    const course = await getCourse(db, tenant.id, launch.courseId);
    res.json({
      learnerId: launch.learnerId,
      courseId: course.courseId,
      actor: { objectType: 'Agent', account: { homePage: tenant.homePage, name: launch.learnerId } },
      registration: launch.registration,
      activityId: course.activityId,
      course: { title: course.title, lengthSeconds: course.lengthSeconds, videoUrl: course.videoUrl, credits: course.credits, kind: course.kind },
      policy: course.policy,
      expiresAt: launch.expiresAt.toISOString(),
    });
  });

  // The learner's own standing in the launched course, for the player and demo page.
  router.get('/launches/current/credits', async (req, res) => {
    const { tenant, launch } = requireLaunch(req);
    const result = await learnerCredits(db, tenant.id, launch.learnerId, currentPeriod(), launch.courseId);
    res.json({ ...result.courses[0], learnerId: launch.learnerId, period: result.period });
  });

  router.get('/learners/:learnerId/credits', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const period = req.query.period === undefined ? currentPeriod() : String(req.query.period);
    const result = await learnerCredits(db, p.tenant.id, param(req, 'learnerId'), period);
    res.json({
      ...result,
      courses: result.courses.map(({ courseId, title, kind, credits, earned, coverage, attention, mastery, engagement, gates }) => ({
        courseId,
        title,
        kind,
        credits,
        earned,
        coverage,
        attention,
        mastery,
        engagement,
        gates,
      })),
    });
  });

  return router;
}
