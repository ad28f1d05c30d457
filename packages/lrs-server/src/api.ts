import { Router } from 'express';
import { catalogRouter, type CourseChanged } from './catalog/routes.js';
import type { CreditEvents } from './credits/ledger.js';
import { adjustForCourseChange } from './credits/engagement.js';
import { creditsRouter } from './credits/routes.js';
import type { Db } from './db/index.js';
import { launchesRouter } from './launches/routes.js';
import { learnersRouter } from './learners/routes.js';

/** The credits API under /api/v1 and /admin/api: each capability's routes, wired to one another here. */
export function capabilitiesRouter(db: Db, events: CreditEvents, config: { readonly publicUrl: string }): Router {
  const courseChanged: CourseChanged = (trx, tenantId, before, after, actor) => adjustForCourseChange(trx, events, tenantId, before, after, actor);
  return Router().use(catalogRouter(db, courseChanged), learnersRouter(db), launchesRouter(db, events, config), creditsRouter(db, events));
}
