import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { Router, type Request } from 'express';
import { capabilitiesRouter } from '../../api.js';
import { cmi5PackageRouter } from '../../launches/cmi5-package.js';
import { requireScope } from '../../auth/principal.js';
import { certificatesApi } from '../../certificates/routes.js';
import type { CreditEvents } from '../../credits/ledger.js';
import type { SignInThrottle } from '../../auth/throttle.js';
import type { AppContext } from '../../context.js';
import { HttpError } from '../../http-error.js';
import { bodyGuard } from '../../edge.js';
import { searchLearners } from '../../learners/learners.js';
import { reportsRouter } from '../../reports/routes.js';
import { adminAuth, checkAdminClient, clearCookie, COOKIE, cookie, endSession, sameOrigin, sessionCookie, sessionOf, startSession } from './session.js';
import { shellPage, signInPage } from './pages.js';

const adminDist = join(dirname(createRequire(import.meta.url).resolve('@xcredit/admin/package.json')), 'dist');

/**
 * The admin dashboard at /admin: a sign-in page (client key and secret with `credits/admin`), an
 * HttpOnly SameSite=Strict session cookie, the Lit app, and /admin/api — the credits API, reports
 * and certificates (and what `more` routers serve: LTI platforms, registration links, the history import) on the
 * session, writes guarded by a CSRF token.
 */
export function adminRouter(context: AppContext, events: CreditEvents, throttle: SignInThrottle, ...more: Router[]): Router {
  const { db, config, clock } = context;
  const router = Router();
  const secure = () => config.publicUrl.startsWith('https:');
  const lang = (req: Request) => (/^zh/i.test(String(req.query.lang ?? req.get('accept-language') ?? '')) ? 'zh' : 'en');

  router.use('/admin/static', express.static(adminDist, { fallthrough: false, maxAge: '5m' }));

  router.get('/admin', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    // The page carries the CSRF token: a browser gets it only by opening the page, never by a script's fetch or a frame.
    const dest = req.get('sec-fetch-dest');
    if (dest !== undefined && dest !== 'document') throw new HttpError(403, 'forbidden', `the dashboard opens as a page, not as a ${dest} request`);
    const session = await sessionOf(db, req, clock);
    if (!session) return void res.type('html').send(signInPage({ lang: lang(req) }));
    res.type('html').send(shellPage({ csrfToken: session.csrfToken, clientKey: session.clientKey }));
  });

  router.post('/admin/session', express.urlencoded({ extended: false, limit: '8kb' }), bodyGuard, async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const l = (req.body?.lang === 'zh' ? 'zh' : 'en') as 'en' | 'zh';
    if (!sameOrigin(req)) return void res.status(403).type('html').send(signInPage({ lang: l, error: 'cross-site sign-in refused' }));
    const key = String(req.body?.key ?? '').trim();
    const secret = String(req.body?.secret ?? '');
    if (!key || !secret) return void res.status(400).type('html').send(signInPage({ lang: l, key, error: !key ? 'key: enter the client key' : 'secret: enter the client secret' }));
    const check = await checkAdminClient(db, throttle, key, secret, req.ip ?? '').catch((err: unknown) => {
      if (!(err instanceof HttpError)) throw err;
      if (err.headers?.['Retry-After']) res.set('Retry-After', err.headers['Retry-After']);
      res.status(err.status).type('html').send(signInPage({ lang: l, key, error: err.message }));
      return null;
    });
    if (!check) return;
    const { token, expiresAt } = await startSession(db, check.tenantId, key, clock());
    res.set('Set-Cookie', sessionCookie(token, expiresAt, secure()));
    res.redirect(303, '/admin');
  });

  router.post('/admin/session/end', express.urlencoded({ extended: false, limit: '8kb' }), bodyGuard, async (req, res) => {
    const session = await sessionOf(db, req, clock);
    // Signing out needs the page's CSRF token, so another site cannot sign an admin out.
    if (session && sameOrigin(req) && req.body?.csrf === session.csrfToken) await endSession(db, cookie(req, COOKIE)!);
    else if (session) return void res.status(403).type('html').send(signInPage({ lang: 'en', error: 'sign-out refused: reload the dashboard and try again' }));
    res.set('Set-Cookie', clearCookie);
    res.redirect(303, '/admin');
  });

  const api = Router();
  api.use(adminAuth(db, clock), express.json({ limit: '1mb', strict: true }), bodyGuard);
  // What the dashboard lists that the public API does not: the catalog and a learner search.
  api.get('/catalog', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const courses = await db.selectFrom('courses').select(['id', 'title', 'kind', 'credits', 'category', 'validity_months', 'updated_at']).where('tenant_id', '=', p.tenant.id).orderBy('id').execute();
    res.json({ courses: courses.map((c) => ({ courseId: c.id, title: c.title, kind: c.kind, credits: Number(c.credits), category: c.category, validity: c.validity_months === null ? null : { months: c.validity_months }, updatedAt: new Date(c.updated_at).toISOString() })) });
  });
  api.get('/learners', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    res.json({ learners: await searchLearners(db, p.tenant.id, String(req.query.q ?? '').trim().slice(0, 100)) });
  });
  api.use(capabilitiesRouter(context, events), reportsRouter(context), certificatesApi(context), cmi5PackageRouter(context), ...more);
  router.use('/admin/api', api);

  return router;
}
