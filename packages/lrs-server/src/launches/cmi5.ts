import { createHash, randomBytes, randomUUID } from 'node:crypto';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { describeIssues } from '@xcredit/sdk/xapi';
import { requireScope } from '../auth/principal.js';
import { newToken, sha256 } from '../auth/secrets.js';
import type { AppContext } from '../context.js';
import { HttpError, invalidInput } from '../http-error.js';
import { html, inlineScript } from '../html.js';
import { bodyGuard } from '../edge.js';
import { actorKey } from '../xapi/actors.js';
import { storeStatements } from '../xapi/statements.js';
import { getCourse } from '../catalog/courses.js';
import { launchInput } from '@xcredit/sdk/contracts';
import { createLaunch } from './launches.js';
import { createForeignLaunch, foreignLaunchInput } from './cmi5-foreign.js';
import { jsonBody } from '../http-input.js';
import type { OutboundPolicy } from '../net/outbound.js';
import type { CreditEvents } from '../credits/ledger.js';

/** The AU page's one inline script: it picks the player's language (its hash is in the page's CSP). */
export const AU_LANG_SCRIPT = `document.querySelector('xcredit-player').setAttribute('lang', navigator.language.startsWith('zh') ? 'zh-CN' : 'en');`;

/** cmi5 IRIs (https://w3id.org/xapi/cmi5). */
export const CMI5 = {
  category: 'https://w3id.org/xapi/cmi5/context/categories/cmi5',
  sessionId: 'https://w3id.org/xapi/cmi5/context/extensions/sessionid',
  launchMode: 'https://w3id.org/xapi/cmi5/context/extensions/launchmode',
  moveOn: 'https://w3id.org/xapi/cmi5/context/extensions/moveon',
  launchUrl: 'https://w3id.org/xapi/cmi5/context/extensions/launchurl',
  launched: 'http://adlnet.gov/expapi/verbs/launched',
  launchData: 'LMS.LaunchData',
} as const;

/** Where a fetch URL waits to be used: under the SHA-256 of its id, naming only its launch's registration. */
const FETCH_ACTIVITY = 'https://xcredit.dev/cmi5/fetch';

/** The path of a fetch URL this server issues, `/cmi5/fetch/{tenant}/{id}`, with no dot segment a browser would resolve. */
const FETCH_PATH = /^\/cmi5\/fetch\/(?!(?:\.|%2e){1,2}\/)[^/?#]+\/[A-Za-z0-9_-]{24}$/i;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000);

export const cmi5LaunchInput = launchInput.extend({
  returnURL: httpUrl.optional(),
  moveOn: z.enum(['Passed', 'Completed', 'CompletedAndPassed', 'CompletedOrPassed', 'NotApplicable']).default('Completed'),
  launchMode: z.enum(['Normal', 'Browse', 'Review']).default('Normal'),
});

/**
 * The cmi5 side of a launch: xcredit acting as the LMS for its own AU player.
 *
 * - `POST /cmi5/launches` (a client with `credits/admin`): starts a launch, writes
 *   `LMS.LaunchData`, records `launched`, and returns the AU's launch URL with `endpoint`,
 *   `fetch`, `actor`, `registration` and `activityId`.
 * - `POST /cmi5/fetch/{tenant}/{id}` (no auth, once): `{ "auth-token": … }`, Basic credentials
 *   that act as the launch's token on the LRS; a second call is refused, as cmi5 requires. The
 *   launch's token is minted at that call: until then only hashes are stored.
 * - `GET /cmi5/au`: the AU page, a player that reads the launch URL's parameters; a launch URL
 *   whose endpoint or fetch URL this server did not issue is refused, unless it carries a course
 *   token (`xc`, from an exported package): then another LMS launched it.
 * - `POST /cmi5/foreign-launches` (no auth: the course token and the LMS's credential vouch): a
 *   launch for an AU another LMS launched (cmi5-foreign.ts); `outbound` says which hosts the
 *   server may ask to confirm it.
 *
 * @example
 * app.use('/cmi5', cmi5Router(context, creditEvents(context.clock), auth, STRICT_POLICY));
 */
export function cmi5Router(context: AppContext, events: CreditEvents, auth: RequestHandler, outbound: OutboundPolicy): Router {
  const { db, config, clock } = context;
  const router = Router();
  router.use((req, res, next) => {
    res.set('Access-Control-Allow-Origin', '*');
    res.set('Access-Control-Allow-Headers', 'Authorization, Content-Type');
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  });

  router.post('/launches', auth, express.json({ limit: '64kb' }), bodyGuard, async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const parsed = cmi5LaunchInput.safeParse(req.body);
    if (!parsed.success) throw invalidInput(describeIssues(parsed.error), 'invalid cmi5 launch');
    const { returnURL, moveOn, launchMode, ...input } = parsed.data;
    const course = await getCourse(db, p.tenant.id, input.courseId);
    const launch = await createLaunch(db, events, p.tenant, input, config.publicUrl, clock());
    const sessionId = randomUUID();
    const contextTemplate = {
      contextActivities: { grouping: [{ objectType: 'Activity', id: course.activityId }] },
      extensions: { [CMI5.sessionId]: sessionId },
    };
    const launchData: Record<string, unknown> = { contextTemplate, launchMode, moveOn, ...(returnURL ? { returnURL } : {}) };
    const agentKey = actorKey(launch.actor);
    const now = clock();
    // The launch's first token is never handed out: the fetch call replaces it.
    const fetchId = randomBytes(18).toString('base64url');
    const doc = (activityId: string, agent: string, documentId: string, content: unknown) => {
      const bytes = Buffer.from(JSON.stringify(content));
      return {
        tenant_id: p.tenant.id,
        kind: 'state' as const,
        activity_id: activityId,
        agent_key: agent,
        registration: launch.registration,
        document_id: documentId,
        content_type: 'application/json',
        content: bytes,
        etag: `"${createHash('sha1').update(bytes).digest('hex')}"`,
        updated: now,
      };
    };
    await db
      .insertInto('xapi_documents')
      .values([doc(course.activityId, agentKey, CMI5.launchData, launchData), doc(FETCH_ACTIVITY, '', sha256(fetchId), { registration: launch.registration })])
      .execute();
    const base = config.publicUrl.replace(/\/+$/, '');
    const auUrl = `${base}/cmi5/au`;
    // The LMS records the launch; the AU's own statements follow it.
    await storeStatements(context, req, [
      {
        id: randomUUID(),
        actor: launch.actor,
        verb: { id: CMI5.launched, display: { 'en-US': 'launched' } },
        object: { objectType: 'Activity', id: course.activityId },
        context: {
          registration: launch.registration,
          contextActivities: { grouping: contextTemplate.contextActivities.grouping, category: [{ id: CMI5.category }] },
          extensions: { [CMI5.sessionId]: sessionId, [CMI5.launchMode]: launchMode, [CMI5.moveOn]: moveOn, [CMI5.launchUrl]: auUrl },
        },
        timestamp: now.toISOString(),
      },
    ]);
    const params = new URLSearchParams({
      endpoint: `${base}/xapi/`,
      fetch: `${base}/cmi5/fetch/${encodeURIComponent(p.tenant.id)}/${fetchId}`,
      actor: JSON.stringify(launch.actor),
      registration: launch.registration,
      activityId: course.activityId,
    });
    res.status(201).json({ launchUrl: `${auUrl}?${params}`, registration: launch.registration, sessionId, expiresAt: launch.expiresAt });
  });

  router.post('/fetch/:tenantId/:fetchId', async (req: Request, res: Response) => {
    const tenantId = String(req.params.tenantId);
    const token = newToken();
    const issued = await db.transaction().execute(async (trx) => {
      // Deleting is what makes the URL single-use, even for two calls at the same moment.
      const row = await trx
        .deleteFrom('xapi_documents')
        .where('tenant_id', '=', tenantId)
        .where('kind', '=', 'state')
        .where('activity_id', '=', FETCH_ACTIVITY)
        .where('agent_key', '=', '')
        .where('document_id', '=', sha256(String(req.params.fetchId)))
        .returning('content')
        .executeTakeFirst();
      if (!row) return false;
      const { registration } = JSON.parse(Buffer.from(row.content).toString('utf8')) as { registration: string };
      const updated = await trx.updateTable('launches').set({ token_hash: sha256(token) }).where('tenant_id', '=', tenantId).where('registration', '=', registration).executeTakeFirst();
      return Number(updated.numUpdatedRows) > 0;
    });
    if (!issued) {
      // cmi5's error shape: the URL is used up (or was never issued).
      return void res.status(400).json({ 'error-code': '1', 'error-text': 'this fetch URL was already used or does not exist; launch the AU again' });
    }
    res.set('Cache-Control', 'no-store').json({ 'auth-token': Buffer.from(`launch:${token}`).toString('base64') });
  });

  router.post('/foreign-launches', express.json({ limit: '16kb' }), bodyGuard, async (req, res) => {
    const input = jsonBody(req, foreignLaunchInput);
    res.status(201).json(await createForeignLaunch(db, events, context.secretKey, outbound, input, config.publicUrl, clock()));
  });

  router.get('/au', (req, res) => {
    checkAuParams(req.query as Record<string, unknown>, config.publicUrl);
    res.type('html').send(auPage());
  });

  return router;
}

/** The AU page: the player, which reads its launch from the cmi5 launch URL's parameters. */
function auPage(): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>xcredit</title><style>body { margin: 0; background: #f5f7fa; font-family: system-ui, sans-serif } main { max-width: 960px; margin: 0 auto; padding: 24px } @media (max-width: 600px) { main { padding: 8px } }</style>
<script type="module" src="/static/xcredit-player.js"></script></head>
<body><main><xcredit-player></xcredit-player></main>
${inlineScript(AU_LANG_SCRIPT)}</body></html>`.text;
}

/**
 * A launch URL's `endpoint` and `fetch` must be the ones this server issues: the AU page sends
 * the learner's token to the one and takes its credentials from the other. A launch from another
 * LMS carries the course token of an exported package instead (docs/player.md).
 */
function checkAuParams(q: Record<string, unknown>, publicUrl: string) {
  const base = publicUrl.replace(/\/+$/, '');
  const { endpoint, fetch, xc } = q;
  // A course token: another LMS launched this AU; its endpoint and fetch URL are that LMS's.
  if (typeof xc === 'string') return;
  if (endpoint !== undefined && endpoint !== `${base}/xapi/` && endpoint !== `${base}/xapi`) {
    throw new HttpError(400, 'untrusted_launch_url', `endpoint: this AU sends statements only to ${base}/xapi/, the LRS that launched it`);
  }
  const path = typeof fetch === 'string' && fetch.startsWith(`${base}/`) ? fetch.slice(base.length) : null;
  if (fetch !== undefined && (path === null || !FETCH_PATH.test(path))) {
    throw new HttpError(400, 'untrusted_launch_url', `fetch: this AU takes its credentials only from a fetch URL ${base}/cmi5/fetch/… that this server issued`);
  }
}
