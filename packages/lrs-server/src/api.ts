import { Router } from 'express';
import { attendanceRouter } from './attendance/routes.js';
import { catalogRouter, type CourseChanged } from './catalog/routes.js';
import type { CreditEvents } from './credits/ledger.js';
import { adjustForCourseChange } from './credits/engagement.js';
import { creditsRouter } from './credits/routes.js';
import type { AppContext } from './context.js';
import { launchesRouter } from './launches/routes.js';
import { learnersRouter } from './learners/routes.js';
import { pathsRouter } from './paths/routes.js';
import { reflectionsRouter } from './reflections/routes.js';
import { remindersRouter } from './reminders/routes.js';

/** The credits API under /api/v1 and /admin/api: each capability's routes, wired to one another here. */
export function capabilitiesRouter(context: AppContext, events: CreditEvents): Router {
  const { db } = context;
  const courseChanged: CourseChanged = (trx, tenantId, before, after, actor) => adjustForCourseChange(trx, events, tenantId, before, after, actor);
  return Router().use(catalogRouter(db, courseChanged), learnersRouter(db), launchesRouter(context, events), creditsRouter(context, events), reflectionsRouter(context, events), remindersRouter(context), pathsRouter(context), attendanceRouter(context, events));
}
