import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.js';
import { createClient, DEFAULT_TENANT, ensureTenant } from '../auth/clients.js';
import { SCOPES, type Scope } from '../auth/scopes.js';
import { systemClock } from '../clock.js';
import { startTestServer, type TestServer } from '../testing.js';
import { listRoutes } from './route-list.js';

/**
 * The authorization matrix: every route of the app (read from its router stacks) called by every
 * kind of caller, each answer checked against what that caller may do. A route without an entry
 * below fails the test, so no route ships without a decision about who may call it.
 */

/** Who may call a route. */
type Need =
  | 'public' // anyone, including a stranger
  | 'launch' // a launch token only (the player)
  | 'credits/read'
  | 'credits/admin'
  | 'statements/write' // a client with the scope, or a launch token for its own learner
  | 'statements/read' // statements/read or statements/read/mine
  | 'state' // write State: the scope, or a launch token for its own learner and course
  | 'state/read'
  | 'profile'
  | 'profile/read'
  | 'xapi/read' // Activities and Agents: any reading scope
  | 'admin-form'; // the dashboard's sign-out form: the session and its CSRF token

/** What a request to the route sends, beyond its path (path parameters come from FIXTURE_IDS). */
interface Sample {
  path?: string;
  query?: string;
  body?: unknown;
  type?: string;
}

/** The single scopes that grant each need, written out here rather than taken from the code under test. */
const GRANTS: Partial<Record<Need, Scope[]>> = {
  'credits/read': ['all', 'all/read', 'credits/read', 'credits/admin'],
  'credits/admin': ['all', 'credits/admin'],
  'statements/write': ['all', 'statements/write'],
  'statements/read': ['all', 'all/read', 'statements/read', 'statements/read/mine'],
  state: ['all', 'state'],
  'state/read': ['all', 'all/read', 'state'],
  profile: ['all', 'profile'],
  'profile/read': ['all', 'all/read', 'profile'],
  'xapi/read': ['all', 'all/read', 'statements/read', 'statements/read/mine', 'define', 'profile', 'state'],
};
const LAUNCH_MAY: Need[] = ['launch', 'statements/write', 'state', 'state/read'];

const COURSE = 'matrix-course';
const ACTIVITY = 'https://example.com/matrix/course';
const LEARNER = 'matrix-learner';
const actor = { objectType: 'Agent', account: { homePage: DEFAULT_TENANT.homePage, name: LEARNER } };
const state = `activityId=${encodeURIComponent(ACTIVITY)}&agent=${encodeURIComponent(JSON.stringify(actor))}&stateId=resume`;
const json = { body: {}, type: 'application/json' };

/**
 * One line per route: `'METHOD /path': [need, sample?]`. Routes under /admin/api take the entry of
 * the same route under /api/v1, called on the dashboard session instead of Basic credentials.
 */
const MATRIX: Record<string, [Need, Sample?]> = {
  'GET /xapi/about': ['public'],
  'POST /xapi/statements': ['statements/write', { body: 'statement', type: 'application/json' }],
  'PUT /xapi/statements': ['statements/write', { query: 'statementId=', body: 'statement', type: 'application/json' }],
  'GET /xapi/statements': ['statements/read'],
  'GET /xapi/activities/state': ['state/read', { query: state }],
  'PUT /xapi/activities/state': ['state', { query: state, ...json }],
  'POST /xapi/activities/state': ['state', { query: state, ...json }],
  'DELETE /xapi/activities/state': ['state', { query: state }],
  'GET /xapi/activities/profile': ['profile/read', { query: `activityId=${encodeURIComponent(ACTIVITY)}&profileId=p` }],
  'PUT /xapi/activities/profile': ['profile', { query: `activityId=${encodeURIComponent(ACTIVITY)}&profileId=p`, ...json }],
  'POST /xapi/activities/profile': ['profile', { query: `activityId=${encodeURIComponent(ACTIVITY)}&profileId=p`, ...json }],
  'DELETE /xapi/activities/profile': ['profile', { query: `activityId=${encodeURIComponent(ACTIVITY)}&profileId=p` }],
  'GET /xapi/agents/profile': ['profile/read', { query: `agent=${encodeURIComponent(JSON.stringify(actor))}&profileId=p` }],
  'PUT /xapi/agents/profile': ['profile', { query: `agent=${encodeURIComponent(JSON.stringify(actor))}&profileId=p`, ...json }],
  'POST /xapi/agents/profile': ['profile', { query: `agent=${encodeURIComponent(JSON.stringify(actor))}&profileId=p`, ...json }],
  'DELETE /xapi/agents/profile': ['profile', { query: `agent=${encodeURIComponent(JSON.stringify(actor))}&profileId=p` }],
  'GET /xapi/activities': ['xapi/read', { query: `activityId=${encodeURIComponent(ACTIVITY)}` }],
  'GET /xapi/agents': ['xapi/read', { query: `agent=${encodeURIComponent(JSON.stringify(actor))}` }],
  'GET /api/v1/openapi.json': ['public'],
  'GET /healthz': ['public'],
  'GET /readyz': ['public'],
  'PUT /api/v1/courses/:courseId': ['credits/admin', json],
  'GET /api/v1/courses/:courseId': ['credits/read'],
  'GET /api/v1/courses/:courseId/cmi5.zip': ['credits/admin'],
  'GET /api/v1/policy': ['credits/read'],
  'PUT /api/v1/policy': ['credits/admin', { body: { maxRate: 'x' }, type: 'application/json' }],
  'POST /api/v1/learners/import': ['credits/admin', { body: 'learnerId\n', type: 'text/csv' }],
  'POST /api/v1/history/import': ['credits/admin', { path: '/api/v1/history/import?file=a.csv&dryRun=true', body: 'external_id,learner_id,date,credits,title\n', type: 'text/csv' }],
  'GET /api/v1/learners/:learnerId': ['credits/read'],
  'GET /api/v1/learners': ['credits/read'],
  'PUT /api/v1/learners/:learnerId': ['credits/admin', { body: { role: 7 }, type: 'application/json' }],
  'GET /api/v1/learners/:learnerId/credits': ['credits/read'],
  'GET /api/v1/learners/:learnerId/courses/:courseId/engagement': ['credits/read'],
  'GET /api/v1/learners/:learnerId/ledger': ['credits/read'],
  'GET /api/v1/statements/explained': ['credits/read'],
  'POST /api/v1/launches': ['credits/admin', json],
  'GET /api/v1/launches/current': ['launch'],
  'POST /api/v1/launches/current/heartbeat': ['launch', json],
  'POST /api/v1/launches/current/sessions': ['launch', json],
  'POST /api/v1/launches/current/attention': ['launch', json],
  'GET /api/v1/launches/current/answers/:questionId': ['launch'],
  'GET /api/v1/launches/current/credits': ['launch'],
  'GET /api/v1/launches/current/reflection': ['launch'],
  'POST /api/v1/launches/current/reflection': ['launch', json],
  'GET /api/v1/reflections': ['credits/read'],
  'GET /api/v1/reflections/:learnerId/:courseId': ['credits/read'],
  'POST /api/v1/reflections/:learnerId/:courseId/approve': ['credits/admin'],
  'POST /api/v1/reflections/:learnerId/:courseId/return': ['credits/admin', json],
  'POST /api/v1/awards': ['credits/admin', json],
  'GET /api/v1/awards': ['credits/read'],
  'GET /api/v1/growth-categories': ['credits/read'],
  'PUT /api/v1/growth-categories/:categoryId': ['credits/admin', json],
  'POST /api/v1/awards/:awardId/evidence': ['credits/admin', { path: `/api/v1/awards/${randomUUID()}/evidence?filename=a.txt`, body: 'x', type: 'text/plain' }],
  'GET /api/v1/awards/:awardId/evidence/:fileId': ['credits/read', { path: `/api/v1/awards/${randomUUID()}/evidence/${randomUUID()}` }],
  'GET /api/v1/reminders/settings': ['credits/admin'],
  'PUT /api/v1/reminders/settings': ['credits/admin', json],
  'GET /api/v1/reminders': ['credits/read'],
  'POST /api/v1/learners/:learnerId/remind': ['credits/admin'],
  'POST /api/v1/reminders/at-risk': ['credits/admin', json],
  'POST /api/v1/reminders/sweep': ['credits/admin'],
  'GET /api/v1/learners/:learnerId/path': ['credits/read'],
  'POST /api/v1/learners/:learnerId/plans': ['credits/admin', json],
  'GET /api/v1/learners/:learnerId/plans': ['credits/read'],
  'GET /api/v1/awards/:awardId': ['credits/read'],
  'POST /api/v1/training-sessions': ['credits/admin', json],
  'GET /api/v1/training-sessions': ['credits/read'],
  'POST /api/v1/training-sessions/sweep': ['credits/admin'],
  'GET /api/v1/training-sessions/:sessionId': ['credits/read', { path: `/api/v1/training-sessions/${randomUUID()}` }],
  'POST /api/v1/training-sessions/:sessionId/open': ['credits/admin', { path: `/api/v1/training-sessions/${randomUUID()}/open` }],
  'GET /api/v1/training-sessions/:sessionId/code': ['credits/admin', { path: `/api/v1/training-sessions/${randomUUID()}/code` }],
  'POST /api/v1/training-sessions/:sessionId/close': ['credits/admin', { path: `/api/v1/training-sessions/${randomUUID()}/close` }],
  'POST /api/v1/launches/current/attendance': ['launch', json],
  'POST /api/v1/awards/:awardId/approve': ['credits/admin', { body: { reason: '' }, type: 'application/json' }],
  'POST /api/v1/awards/:awardId/reject': ['credits/admin', { body: { reason: '' }, type: 'application/json' }],
  'PUT /api/v1/targets/:period': ['credits/admin', json],
  'PUT /api/v1/targets/:period/:groupType/:groupValue': ['credits/admin', json],
  'POST /api/v1/periods/:period/close': ['credits/admin', { path: '/api/v1/periods/1999/close' }],
  'GET /api/v1/reports/summary': ['credits/read'],
  'GET /api/v1/reports/study-time': ['credits/read'],
  'GET /api/v1/reports/hot-courses': ['credits/read'],
  'GET /api/v1/reports/at-risk': ['credits/read'],
  'GET /api/v1/reports/managers': ['credits/read'],
  'GET /api/v1/reports/leaderboard': ['credits/read'],
  'GET /api/v1/reports/flags': ['credits/read'],
  'GET /api/v1/settings': ['credits/read'],
  'PUT /api/v1/settings': ['credits/admin', json],
  'POST /api/v1/certificates': ['credits/admin', json],
  'GET /api/v1/certificates/:certificateId': ['credits/read'],
  'POST /api/v1/webhooks': ['credits/admin', json],
  'GET /api/v1/webhooks': ['credits/admin'],
  'DELETE /api/v1/webhooks/:webhookId': ['credits/admin', { path: `/api/v1/webhooks/${randomUUID()}` }],
  'POST /api/v1/webhooks/:webhookId/test': ['credits/admin'],
  'GET /api/v1/webhooks/:webhookId/deliveries': ['credits/admin'],
  'POST /api/v1/lti/platforms': ['credits/admin', json],
  'GET /api/v1/lti/platforms': ['credits/admin'],
  'GET /api/v1/lti/platforms/:id': ['credits/admin'],
  'POST /api/v1/lti/platforms/:id/approve': ['credits/admin', json],
  'DELETE /api/v1/lti/platforms/:id': ['credits/admin'],
  'POST /api/v1/lti/registration-links': ['credits/admin', json],
  'GET /api/v1/lti/registration-links': ['credits/admin'],
  'DELETE /api/v1/lti/registration-links/:id': ['credits/admin', { path: `/api/v1/lti/registration-links/${randomUUID()}` }],
  'POST /cmi5/launches': ['credits/admin', json],
  'POST /cmi5/fetch/:tenantId/:fetchId': ['public'],
  'GET /cmi5/au': ['public'],
  'POST /cmi5/foreign-launches': ['public', json],
  'USE /lti': ['public', { path: '/lti/keys' }],
  'GET ^\\/certificates\\/([A-Za-z0-9_-]+)\\.pdf$': ['public', { path: '/certificates/C-0000.pdf' }],
  'GET /certificates/:certificateId': ['public'],
  'GET /reminders/unsubscribe': ['public'],
  'GET /checkin': ['public'],
  'POST /reminders/unsubscribe': ['public', { body: '', type: 'application/x-www-form-urlencoded' }],
  'USE /admin/static': ['public', { path: '/admin/static/index.js' }],
  'GET /admin': ['public'],
  'POST /admin/session': ['public', { body: 'key=&secret=', type: 'application/x-www-form-urlencoded' }],
  'POST /admin/session/end': ['admin-form', { body: 'csrf=', type: 'application/x-www-form-urlencoded' }],
  'GET /admin/api/catalog': ['credits/read'],
  'GET /admin/api/learners': ['credits/read'],
  'USE /static': ['public', { path: '/static/xcredit-player.js' }],
  'USE /media': ['public', { path: '/media/none.mp4' }],
  'GET /': ['public'],
  'GET /play': ['public'],
  'GET /demo': ['public'],
};

const FIXTURE_IDS: Record<string, string> = {
  courseId: COURSE,
  learnerId: LEARNER,
  questionId: 'q1',
  period: '2026',
  groupType: 'department',
  groupValue: 'eng',
  certificateId: 'C-0000',
  id: 'matrix-platform',
  tenantId: DEFAULT_TENANT.id,
  fetchId: 'none',
};

/** Words only tenant A's data holds: another tenant's answers must never contain them. */
const MARKER = 'MARKERA';

type Caller = { name: string; headers: Record<string, string>; scope?: Scope; kind: 'anonymous' | 'launch' | 'other-tenant' | 'scope' | 'session' | 'session+csrf' };

/** Whether a caller may call a route: 'allow', or the status that refuses it. */
function expected(route: string, need: Need, caller: Caller): 'allow' | 401 | 403 {
  const [method, path] = route.split(' ') as [string, string];
  if (path.startsWith('/admin/api/')) {
    // The dashboard API takes the session cookie only; writes need its CSRF token too.
    if (caller.kind !== 'session' && caller.kind !== 'session+csrf') return 401;
    if (caller.kind === 'session' && method !== 'GET') return 403;
    return need === 'launch' ? 403 : 'allow';
  }
  if (need === 'public') return 'allow';
  // The sample form carries no CSRF token: a session is refused, a caller without one is just sent back.
  if (need === 'admin-form') return caller.kind === 'session' || caller.kind === 'session+csrf' ? 403 : 'allow';
  switch (caller.kind) {
    case 'anonymous':
    case 'session':
    case 'session+csrf':
      return 401;
    case 'launch':
      return LAUNCH_MAY.includes(need) ? 'allow' : 403;
    case 'other-tenant':
      return need === 'launch' ? 403 : 'allow';
    case 'scope':
      return need !== 'launch' && GRANTS[need]!.includes(caller.scope!) ? 'allow' : 403;
  }
}

function entryOf(route: string): [Need, Sample?] | undefined {
  if (MATRIX[route]) return MATRIX[route];
  const [method, path] = route.split(' ') as [string, string];
  const api = path.startsWith('/admin/api/') ? MATRIX[`${method} /api/v1/${path.slice('/admin/api/'.length)}`] : undefined;
  return api && [api[0], { ...api[1], path: api[1]?.path?.replace(/^\/api\/v1\//, '/admin/api/') }];
}

const appRoutes = () => listRoutes(createApp({ context: { db: {} as never, reads: {} as never, clock: systemClock, config: { publicUrl: 'http://x' }, statements: {} as never, kickOutbox() {}, secretKey: 'x' }, lti: { handler: (_req: unknown, _res: unknown, next: () => void) => next() } as never })).map((r) => `${r.method} ${r.path}`);

describe('the authorization matrix', () => {
  it('has an entry for every route of the app, and none for a route that is gone', () => {
    const routes = appRoutes();
    const missing = routes.filter((r) => !entryOf(r));
    const hint = missing.map((r) => `  '${r}': ['<need>'],`).join('\n');
    expect(missing, `add to MATRIX in packages/lrs-server/src/security/authorization.test.ts, with its need (${['public', 'launch', 'credits/read', 'credits/admin', 'statements/write', 'statements/read', 'state', 'state/read', 'profile', 'profile/read', 'xapi/read', 'admin-form'].join(', ')}):\n${hint}\n`).toEqual([]);
    expect(Object.keys(MATRIX).filter((k) => !routes.includes(k)), 'entries in MATRIX for routes the app no longer has').toEqual([]);
  });

  let server: TestServer;
  let callers: Caller[];
  let registration: string;
  beforeAll(async () => {
    server = await startTestServer({ engine: 'pglite' });
    const db = server.store.db;
    const basic = (c: { key: string; secret: string }) => `Basic ${Buffer.from(`${c.key}:${c.secret}`).toString('base64')}`;
    const api = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: server.admin.authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
      return (await res.json()) as Record<string, string>;
    };
    await api('PUT', `/courses/${COURSE}`, { title: `${MARKER} course`, activityId: ACTIVITY, credits: 2, kind: 'required', lengthSeconds: 60 });
    await api('PUT', `/learners/${LEARNER}`, { displayName: `${MARKER} learner`, department: 'eng' });
    const launch = await api('POST', '/launches', { learnerId: LEARNER, courseId: COURSE });
    registration = launch.registration!;
    const award = await api('POST', '/awards', { learnerId: LEARNER, source: 'growth', title: `${MARKER} award`, credits: 1, period: '2026' });
    const hook = await api('POST', '/webhooks', { url: `http://127.0.0.1:9/${MARKER}`, events: ['*'] });
    FIXTURE_IDS.awardId = award.awardId!;
    FIXTURE_IDS.webhookId = hook.webhookId!;
    await fetch(`${server.url}/xapi/statements`, {
      method: 'POST',
      headers: { authorization: server.admin.authorization, 'x-experience-api-version': '2.0.0', 'content-type': 'application/json' },
      body: JSON.stringify({ actor, verb: { id: 'https://example.com/verbs/marked', display: { en: MARKER } }, object: { id: ACTIVITY } }),
    });

    await ensureTenant(db, { id: 'matrix-b', name: 'Tenant B', homePage: 'https://b.example' });
    const other = await createClient(db, { tenantId: 'matrix-b', name: 'b', scopes: ['all', 'credits/admin'] });
    const form = new URLSearchParams({ key: server.admin.key, secret: server.admin.secret });
    const signIn = await fetch(`${server.url}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form, redirect: 'manual' });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(await (await fetch(`${server.url}/admin`, { headers: { cookie } })).text())?.[1];
    expect(csrf, 'the dashboard carries its CSRF token').toBeTruthy();
    callers = [
      { name: 'anonymous', kind: 'anonymous', headers: {} },
      { name: 'launch token', kind: 'launch', headers: { authorization: `Bearer ${launch.launchToken}` } },
      { name: "another tenant's client", kind: 'other-tenant', headers: { authorization: basic(other) } },
      ...(await Promise.all(
        SCOPES.map(async (scope): Promise<Caller> => ({ name: `client with only ${scope}`, kind: 'scope', scope, headers: { authorization: basic(await createClient(db, { tenantId: DEFAULT_TENANT.id, name: scope, scopes: [scope] })) } })),
      )),
      { name: 'dashboard session without its CSRF token', kind: 'session', headers: { cookie } },
      { name: 'dashboard session with its CSRF token', kind: 'session+csrf', headers: { cookie, 'x-csrf-token': csrf! } },
    ];
  });
  afterAll(() => server?.close());

  it('answers every route for every caller as the matrix says, and never shows one tenant’s data to another', { timeout: 300_000 }, async () => {
    const wrong: string[] = [];
    // Reads first, so writes by the callers cannot change what the reads see.
    const routes = appRoutes().sort((a, b) => Number(!a.startsWith('GET') && !a.startsWith('USE')) - Number(!b.startsWith('GET') && !b.startsWith('USE')));
    for (const route of routes) {
      const [need, sample = {}] = entryOf(route)!;
      const [method, pattern] = route.split(' ') as [string, string];
      const path = sample.path ?? pattern.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(FIXTURE_IDS[name] ?? 'x'));
      for (const caller of callers) {
        const query = sample.query === 'statementId=' ? `statementId=${randomUUID()}` : sample.query;
        const body =
          sample.body === 'statement'
            ? JSON.stringify({ actor, verb: { id: 'https://w3id.org/xapi/video/verbs/played' }, object: { id: ACTIVITY }, context: { registration } })
            : typeof sample.body === 'string' || sample.body === undefined
              ? sample.body
              : JSON.stringify(sample.body);
        const res = await fetch(`${server.url}${path}${query ? `?${query}` : ''}`, {
          method: method === 'USE' ? 'GET' : method,
          headers: { 'x-experience-api-version': '2.0.0', ...(sample.type ? { 'content-type': sample.type } : {}), ...caller.headers },
          body,
          redirect: 'manual',
        });
        const text = await res.text();
        let code: unknown;
        try {
          code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
        } catch {
          code = undefined;
        }
        const refused = res.status === 401 ? 401 : res.status === 403 && (code === 'forbidden' || code === 'csrf' || !res.headers.get('content-type')?.includes('json')) ? 403 : undefined;
        const want = expected(route, need, caller);
        const got = res.status >= 500 ? `${res.status}` : (refused ?? 'allow');
        if (got !== want) wrong.push(`${route} as ${caller.name}: expected ${want}, got ${res.status} ${text.slice(0, 160)}`);
        if (caller.kind === 'other-tenant' && (method === 'GET' || method === 'USE') && text.includes(MARKER)) wrong.push(`${route} as ${caller.name}: the answer shows tenant A's data`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
