import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { getCourse } from '../catalog/courses.js';
import { createLaunch, reusableLaunch } from '../launches/launches.js';
import { cookie } from './admin/session.js';
import type { AppContext } from '../context.js';
import type { CreditEvents } from '../credits/ledger.js';
import { HttpError } from '../http-error.js';
import { demoPage, playPage } from './pages.js';

/** The demo's cookie: the launch token of this browser's demo learner. */
const DEMO_COOKIE = 'xcredit_demo';

const publicDir = fileURLToPath(new URL('../../public', import.meta.url));
const playerDist = join(dirname(createRequire(import.meta.url).resolve('@xcredit/player-widget/package.json')), 'dist');

/** Pages (demo, player launch page) and static assets (player bundles, demo media). */
export function webRouter({ db, config, clock }: AppContext, events: CreditEvents, demo?: { tenantId: string; learnerId: string; courseId: string }): Router {
  const router = Router();
  router.use('/static', express.static(playerDist, { fallthrough: false, maxAge: '5m' }));
  router.use('/media', express.static(join(publicDir, 'demo'), { fallthrough: false, maxAge: '1h' }));

  router.get('/', (_req, res) => res.redirect(demo ? '/demo' : '/xapi/about'));

  router.get('/play', (_req, res) => {
    res.type('html').send(playPage());
  });

  // One launch per visitor: the demo's cookie carries the launch token, and a reload, a second tab
  // or a later visit of the same browser gets the same launch (and learner) while it has time left.
  router.get('/demo', async (req, res) => {
    if (!demo) throw new HttpError(404, 'not_found', 'this server was started without the demo: from a clone, start it with `npm start` (or `npm run xcredit -- start --demo`)');
    const tenant = await db.selectFrom('tenants').select(['id', 'home_page']).where('id', '=', demo.tenantId).executeTakeFirstOrThrow();
    const course = await getCourse(db, tenant.id, demo.courseId);
    const at = clock();
    let launch = await reusableLaunch(db, tenant.id, demo.courseId, cookie(req, DEMO_COOKIE), at);
    if (!launch) {
      // The page plays the part of a vendor back end: it starts a launch for a demo learner of this browser's own.
      const learnerId = `${demo.learnerId}-${randomBytes(4).toString('hex')}`;
      const made = await createLaunch(db, events, { id: tenant.id, homePage: tenant.home_page }, { learnerId, courseId: demo.courseId }, config.publicUrl, at);
      launch = { launchToken: made.launchToken, learnerId, registration: made.registration, expiresAt: new Date(made.expiresAt) };
      const secure = config.publicUrl.startsWith('https:') ? '; Secure' : '';
      res.set('Set-Cookie', `${DEMO_COOKIE}=${encodeURIComponent(made.launchToken)}; Path=/demo; HttpOnly; SameSite=Lax; Expires=${launch.expiresAt.toUTCString()}${secure}`);
    }
    res.set('Cache-Control', 'no-store');
    res.type('html').send(demoPage({ launchToken: launch.launchToken, learnerId: launch.learnerId, course }));
  });

  return router;
}
