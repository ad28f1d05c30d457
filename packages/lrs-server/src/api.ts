import { Router } from 'express';
import { catalogRouter } from './catalog/routes.js';
import { adjustForCourseChange } from './credits/engagement.js';
import { creditsRouter } from './credits/routes.js';
import type { Db } from './db/index.js';
import { launchesRouter } from './launches/routes.js';
import { learnersRouter } from './learners/routes.js';

/** The credits API under /api/v1 and /admin/api: each capability's routes, wired to one another here. */
export function capabilitiesRouter(db: Db, config: { readonly publicUrl: string }): Router {
  return Router().use(catalogRouter(db, adjustForCourseChange), learnersRouter(db), launchesRouter(db, config), creditsRouter(db));
}
