import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { getCourse } from '../catalog/courses.js';
import { createLaunch } from '../launches/launches.js';
import type { CreditEvents } from '../credits/ledger.js';
import type { Db } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { demoPage, playPage } from './pages.js';

const publicDir = fileURLToPath(new URL('../../public', import.meta.url));
const playerDist = join(dirname(createRequire(import.meta.url).resolve('@xcredit/player-widget/package.json')), 'dist');

/** Pages (demo, player launch page) and static assets (player bundles, demo media). */
export function webRouter(db: Db, events: CreditEvents, config: { readonly publicUrl: string }, demo?: { tenantId: string; learnerId: string; courseId: string }): Router {
  const router = Router();
  router.use('/static', express.static(playerDist, { fallthrough: false, maxAge: '5m' }));
  router.use('/media', express.static(join(publicDir, 'demo'), { fallthrough: false, maxAge: '1h' }));

  router.get('/', (_req, res) => res.redirect(demo ? '/demo' : '/xapi/about'));

  router.get('/play', (_req, res) => {
    res.type('html').send(playPage());
  });

  router.get('/demo', async (_req, res) => {
    if (!demo) throw new HttpError(404, 'not_found', 'the demo is not seeded on this server (run `xcredit seed-demo`)');
    const tenant = await db.selectFrom('tenants').select(['id', 'home_page']).where('id', '=', demo.tenantId).executeTakeFirstOrThrow();
    const course = await getCourse(db, tenant.id, demo.courseId);
    // The page plays the part of a vendor back end: it starts a launch for the demo learner.
    const launch = await createLaunch(db, events, { id: tenant.id, homePage: tenant.home_page }, { learnerId: demo.learnerId, courseId: demo.courseId }, config.publicUrl);
    res.set('Cache-Control', 'no-store');
    res.type('html').send(demoPage({ launchToken: launch.launchToken, learnerId: demo.learnerId, course }));
  });

  return router;
}
