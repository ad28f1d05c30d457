import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../app.js';
import { DEFAULT_TENANT } from '../auth/clients.js';
import { systemClock } from '../clock.js';
import { openApiDocument } from '../openapi.js';
import { startTestServer, type Engine, type TestServer } from '../testing.js';
import { listRoutes } from './route-list.js';

/**
 * Property-based fuzz of the whole HTTP surface: every operation of the OpenAPI document, every
 * xAPI resource, and the admin, cmi5, LTI, certificate and web pages, called with malformed
 * values (NUL, lone surrogates, huge and negative numbers, UUID look-alikes, impossible dates,
 * bad JSON, wrong content types, very long strings, odd cookies). No answer may be a 5xx, none
 * may carry a database message or a stack, and every 4xx must say what is wrong.
 *
 * CI runs a fixed seed; `XCREDIT_FUZZ_RUNS=50000 XCREDIT_FUZZ_SEED=$RANDOM` explores further.
 */
const RUNS = Number(process.env.XCREDIT_FUZZ_RUNS ?? 5000);
const SEED = Number(process.env.XCREDIT_FUZZ_SEED ?? 1202612);
const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

type Auth = 'admin' | 'launch' | 'none' | 'garbage' | 'session';
type BodyKind = 'none' | 'json' | 'statement' | 'document' | 'csv' | 'form' | 'login' | 'alternate';

interface Target {
  method: string;
  /** With `{name}` for path parameters. */
  path: string;
  query: string[];
  body: BodyKind;
  /** The JSON schema of a JSON body, from the OpenAPI document. */
  schema?: Schema;
  /** The first is the caller that gets furthest; the others are tried too. */
  auth: Auth[];
  xapi?: boolean;
  /** Query parameters a request needs to get anywhere, sent valid unless the one being spoilt. */
  base?: string[];
}

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; enum?: unknown[]; anyOf?: Schema[]; additionalProperties?: Schema | boolean };

const COURSE = 'fz-course';
const ACTIVITY = 'https://example.com/fz/course';
const LEARNER = 'fz-learner';

const STATEMENT_QUERY = ['statementId', 'voidedStatementId', 'agent', 'verb', 'activity', 'registration', 'since', 'until', 'limit', 'ascending', 'format', 'attachments', 'related_activities', 'related_agents', 'cursor'];
const xapi = (method: string, path: string, query: string[], body: BodyKind = 'none'): Target => ({ method, path, query, body, auth: ['admin', 'launch', 'none', 'garbage'], xapi: true });
const documents = (path: string, query: string[]) =>
  ['GET', 'PUT', 'POST', 'DELETE'].map((m) => ({ ...xapi(m, path, m === 'GET' ? [...query, 'since'] : query, m === 'PUT' || m === 'POST' ? 'document' : 'none'), base: query.filter((q) => q !== 'registration') }));

/** Everything outside the OpenAPI document; `coversEveryRoute` below keeps it complete. */
const OTHERS: Target[] = [
  xapi('GET', '/xapi/about', []),
  xapi('POST', '/xapi/statements', ['method'], 'statement'),
  xapi('PUT', '/xapi/statements', ['statementId'], 'statement'),
  xapi('GET', '/xapi/statements', STATEMENT_QUERY),
  // The 1.0.3 alternate request syntax: the method in the query, headers and parameters in a form.
  ...['/xapi/statements', '/xapi/activities/state', '/xapi/agents/profile'].map((path): Target => ({ ...xapi('POST', path, ['method'], 'alternate'), base: ['method'] })),
  ...documents('/xapi/activities/state', ['activityId', 'agent', 'registration', 'stateId']),
  ...documents('/xapi/activities/profile', ['activityId', 'profileId']),
  ...documents('/xapi/agents/profile', ['agent', 'profileId']),
  xapi('GET', '/xapi/activities', ['activityId']),
  xapi('GET', '/xapi/agents', ['agent']),
  { method: 'GET', path: '/api/v1/openapi.json', query: [], body: 'none', auth: ['none'] },
  { method: 'GET', path: '/healthz', query: [], body: 'none', auth: ['none'] },
  { method: 'GET', path: '/readyz', query: [], body: 'none', auth: ['none'] },
  { method: 'GET', path: '/api/v1/settings', query: [], body: 'none', auth: ['admin', 'launch', 'none'] },
  { method: 'PUT', path: '/api/v1/settings', query: [], body: 'json', schema: { type: 'object', properties: { leaderboard: { type: 'boolean' } } }, auth: ['admin', 'launch'] },
  { method: 'POST', path: '/api/v1/certificates', query: [], body: 'json', schema: { type: 'object', properties: { learnerId: { type: 'string' }, courseId: { type: 'string' }, period: { type: 'string' } } }, auth: ['admin', 'none'] },
  { method: 'GET', path: '/api/v1/certificates/{certificateId}', query: [], body: 'none', auth: ['admin', 'none'] },
  { method: 'GET', path: '/admin/api/settings', query: [], body: 'none', auth: ['session', 'none'] },
  { method: 'PUT', path: '/admin/api/settings', query: [], body: 'json', schema: { type: 'object', properties: { leaderboard: { type: 'boolean' } } }, auth: ['session', 'none'] },
  { method: 'POST', path: '/admin/api/certificates', query: [], body: 'json', schema: { type: 'object', properties: { learnerId: { type: 'string' }, courseId: { type: 'string' }, period: { type: 'string' } } }, auth: ['session', 'none'] },
  { method: 'GET', path: '/admin/api/certificates/{certificateId}', query: [], body: 'none', auth: ['session', 'none'] },
  { method: 'POST', path: '/cmi5/launches', query: [], body: 'json', schema: { type: 'object', properties: { learnerId: { type: 'string' }, courseId: { type: 'string' }, returnURL: { type: 'string' }, moveOn: { type: 'string' }, launchMode: { type: 'string' }, ttlSeconds: { type: 'number' } } }, auth: ['admin', 'none', 'garbage'] },
  { method: 'POST', path: '/cmi5/fetch/{tenantId}/{fetchId}', query: [], body: 'none', auth: ['none'] },
  { method: 'GET', path: '/cmi5/au', query: ['endpoint', 'fetch', 'actor', 'registration', 'activityId', 'xc'], body: 'none', auth: ['none'] },
  {
    method: 'POST',
    path: '/cmi5/foreign-launches',
    query: [],
    body: 'json',
    schema: { type: 'object', properties: { course: { type: 'string' }, endpoint: { type: 'string' }, authToken: { type: 'string' }, actor: { type: 'object' }, registration: { type: 'string' }, activityId: { type: 'string' } } },
    auth: ['none'],
  },
  { method: 'GET', path: '/lti/login', query: ['iss', 'login_hint', 'target_link_uri', 'lti_message_hint', 'client_id', 'lti_deployment_id'], body: 'none', auth: ['none'] },
  { method: 'POST', path: '/lti/login', query: [], body: 'login', auth: ['none'] },
  { method: 'POST', path: '/lti', query: ['ltik'], body: 'login', auth: ['none'] },
  { method: 'GET', path: '/lti', query: ['ltik'], body: 'none', auth: ['none'] },
  { method: 'GET', path: '/lti/keys', query: [], body: 'none', auth: ['none'] },
  { method: 'POST', path: '/lti/deep-link', query: ['ltik'], body: 'login', auth: ['none'] },
  { method: 'GET', path: '/certificates/{certificateId}', query: [], body: 'none', auth: ['none'] },
  { method: 'GET', path: '/certificates/{certificateId}.pdf', query: [], body: 'none', auth: ['none'] },
  { method: 'GET', path: '/reminders/unsubscribe', query: ['tenant', 'learner', 'token'], body: 'none', auth: ['none'] },
  { method: 'GET', path: '/checkin', query: ['code'], body: 'none', auth: ['none'] },
  { method: 'POST', path: '/reminders/unsubscribe', query: ['tenant', 'learner', 'token'], body: 'form', auth: ['none'] },
  { method: 'GET', path: '/admin', query: ['lang'], body: 'none', auth: ['none', 'session'] },
  { method: 'POST', path: '/admin/session', query: [], body: 'form', auth: ['none', 'session'] },
  { method: 'POST', path: '/admin/session/end', query: [], body: 'form', auth: ['none', 'session'] },
  { method: 'GET', path: '/admin/api/catalog', query: [], body: 'none', auth: ['session', 'none'] },
  { method: 'GET', path: '/admin/api/learners', query: ['q'], body: 'none', auth: ['session', 'none'] },
  { method: 'GET', path: '/admin/static/{file}', query: [], body: 'none', auth: ['none'] },
  { method: 'GET', path: '/static/{file}', query: [], body: 'none', auth: ['none'] },
  { method: 'GET', path: '/media/{file}', query: [], body: 'none', auth: ['none'] },
  { method: 'GET', path: '/', query: [], body: 'none', auth: ['none'] },
  { method: 'GET', path: '/play', query: ['token', 'endpoint', 'src', 'course'], body: 'none', auth: ['none'] },
  { method: 'GET', path: '/demo', query: [], body: 'none', auth: ['none'] },
  { method: 'GET', path: '/{anything}', query: [], body: 'none', auth: ['none'] },
];

/** The operations of the OpenAPI document (under /api/v1 and, on a session, /admin/api). */
function openApiTargets(): Target[] {
  const doc = openApiDocument('http://x') as { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: { content: Record<string, { schema: Schema }> }; security: Record<string, unknown>[] }>> };
  const out: Target[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const query = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const schema = op.requestBody?.content['application/json']?.schema;
      const body: BodyKind = path === '/learners/import' || path === '/history/import' ? 'csv' : schema || method !== 'get' ? 'json' : 'none';
      const auth: Auth[] = op.security.some((s) => 'launchToken' in s) ? ['launch', 'admin', 'none'] : ['admin', 'launch', 'none', 'garbage'];
      out.push({ method: method.toUpperCase(), path: `/api/v1${path}`, query, body, schema, auth });
      if (!path.startsWith('/webhooks')) out.push({ method: method.toUpperCase(), path: `/admin/api${path}`, query, body, schema, auth: ['session', 'none'] });
    }
  }
  return out;
}

// Values that have broken servers before, and the shapes of those that may.
const NASTY = [
  '\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '\udfff\ud800', '', ' ', '-1', '0', '-0', '1.5', '1e400', '-1e400', 'NaN', 'Infinity',
  '99999999999999999999999', '9223372036854775807', '9223372036854775808', '-9223372036854775809', '18446744073709551616',
  '00000000-0000-0000-0000-00000000000g', '------------------------------------', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', '0000000000000000000000000000000000000', '{00000000-0000-0000-0000-000000000000}',
  '0000-01-01T00:00:00Z', '0000-01-01T00:00:00.000Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:59:59-01:00', '2026-02-30T00:00:00Z', '2026-13-45T99:99Z', '+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00Z', '0000', '0001', '9999', '10000',
  '{', '{"a":', '[]', '{}', 'null', 'true', '[1,2', '{"mbox":"mailto:a\\u0000@b.c"}', '{"mbox":"mailto:\\ud800@b.c"}', '{"account":{"homePage":"http://x","name":"\\u0000"}}',
  '..', '../../etc/passwd', '<script>alert(1)</script>', "' or 1=1 --", '🎉', 'mailto:a@b.c', 'http://', 'javascript:alert(1)',
];
const nastyString = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.constantFrom(3_000, 12_000).map((n) => 'x'.repeat(n)) },
);
/** Raw text placed in a URL as is: percent-encodings that do not decode, and the like. */
const RAW_URL = ['%', '%zz', '%ED%A0%80', '%C0%80', '%00', '%FF', '%2e%2e', '%E0%A4%A', '+', '%2F..%2F'];

const NUMBERS = ['-1', '0', '1e400', '99999999999999999999999', '9223372036854775807', '9223372036854775808', '18446744073709551616', '1.5', 'NaN', '0x10', ' 1'];
const DATES = ['0000-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:59:59-01:00', '+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-13-45T99:99Z', '2026-01-01', '0000', '10000'];
const UUIDS = ['00000000-0000-0000-0000-00000000000g', '------------------------------------', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', '{00000000-0000-0000-0000-000000000000}', '00000000000000000000000000000000', '00000000-0000-0000-0000-0000000000000', 'a\u0000b'];
const AGENTS = ['{"mbox":"mailto:a\\u0000@b.c"}', '{"mbox":"mailto:\\ud800@b.c"}', '{"account":{"homePage":"http://x","name":"\\u0000"}}', '{"objectType":"Group","member":[]}', '{"mbox":"x"}', '[]', '{', 'null'];
/** Malformed values shaped for what a parameter of this name holds. */
function shaped(name: string): string[] {
  if (/cursor|limit|top|ttl|seconds/i.test(name)) return NUMBERS;
  if (/since|until|time|date/i.test(name)) return DATES;
  if (/agent|actor/i.test(name)) return AGENTS;
  if (/period/i.test(name)) return ['0000', '0001', '9999', '10000', '-001', '２０２６', ...NUMBERS];
  if (/id$|registration/i.test(name)) return UUIDS;
  return NASTY;
}

/** A URL component: a usable value, a malformed one shaped for its name, or raw bytes that are not valid encodings. */
const urlPart = (valid: string[], name = '') =>
  fc.oneof(
    { weight: valid.length ? 3 : 0, arbitrary: fc.constantFrom('', ...valid).map(encodeURIComponent) },
    { weight: 4, arbitrary: fc.constantFrom(...shaped(name)).map(encode) },
    { weight: 3, arbitrary: nastyString.map(encode) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_URL) },
  );

/** What a client can put in a header: Latin-1 without control characters. */
const headerText = (s: string) => Buffer.from(s, 'utf8').toString('latin1').replace(/[\x00-\x1f\x7f]/g, '').slice(0, 4000);

function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    // A lone surrogate has no UTF-8: send the bytes a careless client would.
    return s.replace(/[\ud800-\udfff]/g, '%ED%A0%80').replace(/[^%A-Za-z0-9]/g, (c) => encodeURIComponent(c));
  }
}

function fromSchema(s: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const wrong = fc.oneof(nastyString, fc.constantFrom(null, true, -1, 0, 1e308, -1e308, 2 ** 63, 0.1234567, [], {}, { '\u0000': 1 }, ['\ud800']));
  if (!s || depth > 4) return wrong;
  if (s.enum) return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...s.enum) }, { weight: 1, arbitrary: wrong });
  if (s.anyOf) return fc.oneof(...s.anyOf.map((x) => fromSchema(x, depth + 1)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'object') {
    const props = Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, fromSchema(v, depth + 1)]));
    const record = fc.record(props, { requiredKeys: [] });
    return fc.oneof({ weight: 6, arbitrary: record }, { weight: 1, arbitrary: fc.tuple(record, nastyString, wrong).map(([r, k, v]) => ({ ...r, [k]: v })) }, { weight: 1, arbitrary: wrong });
  }
  if (type === 'array') return fc.oneof({ weight: 4, arbitrary: fc.array(fromSchema(s.items, depth + 1), { maxLength: 3 }) }, { weight: 1, arbitrary: wrong });
  if (type === 'number' || type === 'integer') return fc.oneof(fc.integer({ min: -10, max: 2000 }), fc.double(), fc.constantFrom(1e308, -1, 2 ** 53 + 1, 0.05), wrong);
  if (type === 'boolean') return fc.oneof(fc.boolean(), wrong);
  if (type === 'string') return fc.oneof({ weight: 2, arbitrary: fc.constantFrom(LEARNER, COURSE, 'Title', ACTIVITY, 'https://example.com/x', '2026', 'offline', 'growth', 'required', 'elective') }, { weight: 3, arbitrary: nastyString });
  return wrong;
}

const actor = { objectType: 'Agent', account: { homePage: DEFAULT_TENANT.homePage, name: LEARNER } };
const statementArb = fc
  .record({
    id: fc.oneof(fc.constant(undefined), fc.uuid().map(String), nastyString),
    actor: fc.oneof(fc.constant(actor), fc.record({ mbox: nastyString.map((s) => `mailto:${s}`) }), fc.record({ account: fc.record({ homePage: nastyString, name: nastyString }) })),
    verb: fc.oneof(fc.constant({ id: 'https://w3id.org/xapi/video/verbs/played' }), fc.record({ id: nastyString, display: fc.dictionary(nastyString, nastyString, { maxKeys: 2 }) })),
    object: fc.oneof(fc.constant({ id: ACTIVITY }), fc.record({ id: nastyString.map((s) => `https://example.com/${s}`) }), fc.record({ id: nastyString, objectType: fc.constantFrom('Activity', 'StatementRef', 'Agent', 'SubStatement') })),
    timestamp: fc.oneof(fc.constant(undefined), nastyString, fc.constantFrom('0000-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', '2026-01-01T00:00:00Z')),
    result: fc.oneof(fc.constant(undefined), fc.record({ score: fc.record({ raw: fc.oneof(fc.double(), fc.constant(1e308)), scaled: fc.double() }, { requiredKeys: [] }), duration: nastyString, extensions: fc.dictionary(nastyString.map((s) => `https://e.x/${s}`), nastyString, { maxKeys: 2 }) }, { requiredKeys: [] })),
    context: fc.oneof(fc.constant(undefined), fc.record({ registration: fc.oneof(fc.uuid().map(String), nastyString), extensions: fc.dictionary(nastyString, nastyString, { maxKeys: 2 }) }, { requiredKeys: [] })),
    attachments: fc.oneof(fc.constant(undefined), fc.array(fc.record({ usageType: nastyString, display: fc.constant({ en: 'a' }), contentType: nastyString, length: fc.oneof(fc.integer(), fc.double()), sha2: nastyString }), { maxLength: 2 })),
  })
  .map((s) => JSON.parse(JSON.stringify(s)) as unknown);

interface Req {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** The names the request sets, one of which a 4xx should name. */
  names: string[];
}

function bodyArb(t: Target): fc.Arbitrary<{ type?: string; body?: string | Buffer; names: string[] }> {
  const wrong = fc.oneof(
    fc.constantFrom<{ type?: string; body?: string | Buffer; names: string[] }>(
      { type: 'application/json', body: '{', names: ['JSON', 'body'] },
      { type: 'application/json', body: '', names: ['body'] },
      { type: 'application/json', body: 'null', names: ['body'] },
      { type: 'application/json', body: '"\\u0000"', names: ['body'] },
      { type: 'application/json', body: '{"a":"\\ud800"}', names: ['body'] },
      { type: 'text/html', body: '<b>x</b>', names: ['Content-Type', 'body'] },
      { type: 'application/x-www-form-urlencoded', body: 'a=%00&b=%ZZ', names: ['body'] },
      { type: 'multipart/mixed', body: '--x\r\n\r\n', names: ['multipart', 'boundary', 'body'] },
      { type: 'multipart/mixed; boundary=x', body: '--x\r\nContent-Type: application/json\r\n\r\n{}\r\n--x--', names: ['multipart', 'body'] },
      { type: 'application/json; charset=latin-9', body: '{}', names: ['charset', 'body'] },
      { type: undefined, body: Buffer.from([0, 0xff, 0xfe, 0]), names: ['Content-Type', 'body'] },
      { type: 'text/csv', body: 'learnerId\n\u0000\n', names: ['line', 'body'] },
    ),
    fc.constantFrom(300_000, 2_000_000).map((n) => ({ type: 'application/json', body: `["${'x'.repeat(n)}"]`, names: ['body', 'large', 'limit'] })),
  );
  const json = (value: unknown) => ({ type: 'application/json', body: JSON.stringify(value), names: ['body', ...(value && typeof value === 'object' ? Object.keys(value) : [])] });
  switch (t.body) {
    case 'none':
      return fc.oneof({ weight: 5, arbitrary: fc.constant<{ type?: string; body?: string | Buffer; names: string[] }>({ names: [] }) }, { weight: 1, arbitrary: wrong });
    case 'json':
      return fc.oneof({ weight: 5, arbitrary: fromSchema(t.schema).map(json) }, { weight: 2, arbitrary: wrong });
    case 'statement':
      return fc.oneof(
        { weight: 5, arbitrary: statementArb.map((s) => ({ ...json(s), names: ['statement', 'body'] })) },
        { weight: 2, arbitrary: fc.array(statementArb, { maxLength: 3 }).map((s) => ({ ...json(s), names: ['statement', 'batch', 'body'] })) },
        { weight: 2, arbitrary: wrong },
      );
    case 'document':
      return fc.oneof(
        fc.dictionary(nastyString, nastyString, { maxKeys: 3 }).map(json),
        nastyString.map((s) => ({ type: 'application/octet-stream', body: s, names: ['body'] })),
        nastyString.map((s) => ({ type: headerText(s), body: 'x', names: ['Content-Type'] })),
        wrong,
      );
    case 'csv':
      return fc.oneof(
        fc.array(fc.tuple(nastyString, nastyString), { maxLength: 4 }).map((rows) => ({ type: 'text/csv', body: `learnerId,displayName\n${rows.map((r) => r.join(',')).join('\n')}`, names: ['line', 'learnerId', 'displayName', 'body'] })),
        fc.array(fc.record({ learnerId: nastyString, displayName: nastyString }, { requiredKeys: [] }), { maxLength: 3 }).map(json),
        wrong,
      );
    case 'form':
      return fc.oneof(
        fc.record({ key: nastyString, secret: nastyString, lang: nastyString, csrf: nastyString }, { requiredKeys: [] }).map((f) => ({ type: 'application/x-www-form-urlencoded', body: new URLSearchParams(f as Record<string, string>).toString(), names: ['key', 'secret', 'csrf', 'sign'] })),
        wrong,
      );
    case 'alternate': {
      const field = fc.oneof(
        fc.tuple(fc.constantFrom('Authorization', 'X-Experience-API-Version', 'Content-Type', 'content', 'If-Match', 'statementId', 'activityId', 'agent', 'stateId', 'profileId', 'registration', 'since', 'limit', 'cursor'), nastyString),
        fc.tuple(nastyString, nastyString),
      );
      return fc.oneof(
        fc.array(field, { maxLength: 5 }).map((fields) => ({ type: 'application/x-www-form-urlencoded', body: fields.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&'), names: ['form field', 'method', 'content', 'alternate', ...fields.map(([k]) => k)] })),
        wrong,
      );
    }
    case 'login':
      return fc.oneof(
        fc.record({ iss: nastyString, login_hint: nastyString, target_link_uri: nastyString, id_token: nastyString, state: nastyString }, { requiredKeys: [] }).map((f) => ({ type: 'application/x-www-form-urlencoded', body: new URLSearchParams(f as Record<string, string>).toString(), names: [] })),
        wrong,
      );
  }
}

interface Fixtures {
  authorization: string;
  launchToken: string;
  session: { cookie: string; csrf: string };
  ids: Record<string, string[]>;
}

function requestArb(targets: Target[], fx: Fixtures): fc.Arbitrary<Req> {
  return fc.constantFrom(...targets).chain((t) => {
    const params = [...t.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const valid = (name: string) => encodeURIComponent(fx.ids[name]?.[0] ?? 'x');
    // Half the requests are valid but for one value, so each check is reached; the rest are chaos.
    const oneBad = fc.integer({ min: 0, max: params.length + t.query.length }).chain((bad) =>
      fc.record({
        params: fc.tuple(...params.map((p, i) => (i === bad ? urlPart([], p) : fc.constant(valid(p)))), fc.constant('')),
        query: fc.constant(null).chain(() => {
          const base = (t.base ?? []).map((name) => [name, valid(name)] as [string, string]);
          const q = t.query[bad - params.length];
          if (q === undefined) return fc.constant(base);
          return fc.tuple(fc.constant(q), urlPart([], q)).map((pair) => [...base.filter(([n]) => n !== q), pair]);
        }),
      }),
    );
    const chaos = fc.record({
      params: fc.tuple(...params.map((p) => urlPart(fx.ids[p] ?? ['x'], p)), fc.constant('')),
      query: fc.array(
        fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...(t.query.length ? t.query : ['x'])) }, { weight: 1, arbitrary: nastyString.map(encode) }).chain((name) => fc.tuple(fc.constant(name), urlPart(fx.ids.query ?? [], name))),
        { maxLength: 4 },
      ),
    });
    return fc
      .record({
        shape: fc.oneof(oneBad, chaos),
        body: bodyArb(t),
        auth: fc.oneof({ weight: 4, arbitrary: fc.constant(t.auth[0]!) }, { weight: 2, arbitrary: fc.constantFrom(...t.auth) }),
        version: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('1.0.3', '2.0.0') }, { weight: 1, arbitrary: fc.constantFrom('', '3.0.0', '1.0.3\u00ff', '2.0.0, 1.0.3') }),
        cookie: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('xcredit_admin=%', 'xcredit_admin=%00', 'xcredit_admin=%ED%A0%80', 'xcredit_admin=;xcredit_admin=x', 'a=%zz; xcredit_admin', '=', ';;;', 'xcredit_admin="\\u0000"') }),
        ifMatch: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('*', '"x"', 'W/"a", "b"', '') }),
      })
      .map(({ shape: { params: values, query }, body, auth, version, cookie, ifMatch }) => {
        let path = t.path;
        params.forEach((p, i) => (path = path.replace(`{${p}}`, values[i]!)));
        const qs = query.map(([k, v]) => `${encode(k).replace(/%25/g, '%')}=${v}`).join('&');
        const headers: Record<string, string> = {};
        if (t.xapi) headers['x-experience-api-version'] = version;
        if (auth === 'admin') headers.authorization = fx.authorization;
        if (auth === 'launch') headers.authorization = `Bearer ${fx.launchToken}`;
        if (auth === 'garbage') headers.authorization = 'Basic ' + Buffer.from('k\u0000ey:secret').toString('base64');
        if (auth === 'session') {
          headers.cookie = fx.session.cookie;
          headers['x-csrf-token'] = fx.session.csrf;
        }
        if (cookie) headers.cookie = headers.cookie ? `${headers.cookie}; ${cookie}` : cookie;
        if (ifMatch !== undefined) headers['if-match'] = ifMatch;
        if (body.type) headers['content-type'] = body.type;
        // What the request sent, and the parameters the route takes (a message may name a missing one).
        const names = [...params, ...t.query, ...query.map(([k]) => k), ...body.names];
        return { method: t.method, url: `${path}${qs ? `?${qs}` : ''}`, headers, body: t.method === 'GET' || t.method === 'HEAD' ? undefined : body.body, names };
      });
  });
}

// Words a 4xx message uses when what it names is a header, the route or the caller rather than a field.
const GENERAL = /authori[sz]|credential|token|scope|launch|client|session|sign|csrf|cross-site|route|no such|not found|no \w+ "|version|content-type|json|body|multipart|boundary|header|query|path|cookie|method|encoding|too large|limit|charset|exist|already|closed|pending|leaderboard|mail|reminder|learner|course|award|webhook|platform|certificate|period|statement|document|etag|if-match|if-none-match|precondition|agent|activity|registration|fetch|demo|line \d|form field/i;
const LEAK = /invalid input syntax|violates|out of range for type|invalid byte sequence|unsupported unicode|syntax error at|relation "|column "|duplicate key|pglite|postgres|\n\s+at .+:\d+:\d+/i;

async function send(base: string, r: Req, retry = true): Promise<{ status: number; type: string; text: string }> {
  const started = Date.now();
  // A kept-alive connection the server closed after its last answer fails at once; a client retries that once.
  const res = await fetchOnce(base, r).catch((err: Error & { cause?: { code?: string } }) => {
    if (retry && Date.now() - started < 1000 && err.cause?.code === 'ECONNRESET') return undefined;
    throw err;
  });
  return res ?? send(base, r, false);
}

async function fetchOnce(base: string, r: Req): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`${base}${r.url}`, { method: r.method, headers: r.headers, body: r.body as BodyInit | undefined, redirect: 'manual', signal: AbortSignal.timeout(60_000) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** What is wrong with an answer, or undefined when it is a proper one. */
function verdict(r: Req, a: { status: number; type: string; text: string }): string | undefined {
  if (a.status === 599) return a.text;
  if (a.status >= 500 && a.status !== 503) return `answered ${a.status}`;
  if (LEAK.test(a.text)) return `the body carries an internal detail: ${a.text.slice(0, 300)}`;
  if (a.status >= 400 && a.status < 500) {
    if (a.type.includes('json')) {
      let message: unknown;
      try {
        const body = JSON.parse(a.text) as { error?: { message?: unknown; code?: unknown }; 'error-text'?: unknown };
        message = body.error?.message ?? body['error-text'];
      } catch {
        return `a ${a.status} whose JSON body does not parse`;
      }
      if (typeof message !== 'string' || message.length < 8) return `a ${a.status} without a message`;
      const named = r.names.some((n) => n.length > 1 && message.toLowerCase().includes(decodeSafe(n).toLowerCase().slice(0, 40))) || GENERAL.test(message);
      if (!named) return `a ${a.status} whose message names nothing of the request: ${message}`;
    } else if (a.type.includes('html')) {
      if (!/<h1|role="alert"|error/i.test(a.text)) return `a ${a.status} page that says nothing`;
    } else if (r.method !== 'HEAD' && a.text.length === 0 && a.status !== 404) return `a ${a.status} with an empty body`;
  }
  return undefined;
}

const decodeSafe = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

async function fixtures(server: TestServer): Promise<Fixtures> {
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: server.admin.authorization, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`fixture ${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  await api('PUT', `/courses/${COURSE}`, { title: 'Fuzz course', activityId: ACTIVITY, credits: 2, kind: 'required', lengthSeconds: 60 });
  await api('PUT', `/learners/${LEARNER}`, { displayName: 'Fuzz Learner' });
  const launch = await api('POST', '/launches', { learnerId: LEARNER, courseId: COURSE });
  const award = await api('POST', '/awards', { learnerId: LEARNER, source: 'growth', title: 'Mentoring', credits: 1, period: '2026' });
  const hook = await api('POST', '/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['*'] });
  const form = new URLSearchParams({ key: server.admin.key, secret: server.admin.secret });
  const signIn = await fetch(`${server.url}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form, redirect: 'manual' });
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
  const shell = await (await fetch(`${server.url}/admin`, { headers: { cookie } })).text();
  const csrf = /csrf[^"]*"\s*content="([^"]+)"|data-csrf="([^"]+)"|"csrfToken":"([^"]+)"/i.exec(shell)?.slice(1).find(Boolean) ?? '';
  expect(csrf, 'the dashboard shell carries its CSRF token').not.toBe('');
  return {
    authorization: server.admin.authorization,
    launchToken: String(launch.launchToken),
    session: { cookie, csrf },
    ids: {
      courseId: [COURSE],
      learnerId: [LEARNER],
      awardId: [String(award.awardId)],
      webhookId: [String(hook.webhookId)],
      period: ['2026'],
      groupType: ['department', 'role'],
      groupValue: ['eng'],
      questionId: ['q1'],
      id: ['p1'],
      certificateId: ['C-0000'],
      tenantId: ['default'],
      fetchId: ['x'],
      method: ['PUT', 'GET', 'POST', 'DELETE', 'HEAD'],
      file: ['xcredit-player.js', 'index.js'],
      anything: ['nothing-here'],
      activityId: [ACTIVITY],
      agent: [JSON.stringify(actor)],
      stateId: ['resume'],
      profileId: ['profile'],
      registration: [String(launch.registration)],
      statementId: ['1f0c3ad2-4b53-4f6e-9a7e-0c1d2e3f4a5b'],
      verb: ['https://w3id.org/xapi/video/verbs/played'],
      activity: [ACTIVITY],
      since: ['2026-01-01T00:00:00Z'],
      until: ['2030-01-01T00:00:00Z'],
      limit: ['10'],
      cursor: ['1'],
      format: ['json'],
      status: ['pending'],
      department: ['eng'],
      query: [LEARNER, COURSE, ACTIVITY, '2026', 'csv', 'json', 'true', '10', JSON.stringify(actor), String(launch.registration), 'https://w3id.org/xapi/video/verbs/played', '2026-01-01T00:00:00Z'],
    },
  };
}

describe('the route list the fuzz covers', () => {
  it('covers every route of the app', () => {
    const covered = [...OTHERS, ...openApiTargets()].map((t) => `${t.method} ${t.path.replace(/\{(\w+)\}/g, ':$1')}`);
    const routes = listRoutes(createApp({ context: { db: {} as never, reads: {} as never, clock: systemClock, config: { publicUrl: 'http://x' }, statements: {} as never, kickOutbox() {}, secretKey: 'x' }, lti: { handler: (_req: unknown, _res: unknown, next: () => void) => next() } as never })).filter((r) => r.method !== 'USE' && !r.path.startsWith('^'));
    const missing = routes.map((r) => `${r.method} ${r.path}`).filter((r) => !covered.includes(r));
    expect(missing, 'add each to OTHERS in security/fuzz.test.ts (or to the OpenAPI operations in openapi.ts)').toEqual([]);
  });
});

describe.each(engines)('fuzz on %s', (engine) => {
  let server: TestServer;
  let fx: Fixtures;
  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    fx = await fixtures(server);
  });
  afterAll(() => server?.close());

  it('answers requests Node refuses before the app (headers too large, broken HTTP) with a JSON error that says why', async () => {
    const long = await fetch(`${server.url}/api/v1/learners?department=${'x'.repeat(20_000)}`, { headers: { authorization: fx.authorization } });
    expect(long.status).toBe(431);
    expect((await long.json()).error.message).toMatch(/headers are larger/);
    const { port } = new URL(server.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end('GET /xapi/about HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1.1 400/);
    expect(raw).toMatch(/not valid HTTP/);
  });

  it(`answers ${RUNS} malformed requests (seed ${SEED}) without a 5xx, a leak or a 4xx that names nothing`, { timeout: 900_000 }, async () => {
    const started = Date.now();
    // The xAPI resources take the most parameters: they are drawn three times as often.
    const xapiTargets = OTHERS.filter((t) => t.xapi);
    const requests = fc.sample(requestArb([...OTHERS, ...xapiTargets, ...xapiTargets, ...openApiTargets()], fx), { numRuns: RUNS, seed: SEED });
    const generated = Date.now();
    const failures = new Map<string, string>();
    const slow: [number, string][] = [];
    // A few requests at a time, as clients send them; each lane takes the next request in order.
    let next = 0;
    const lane = async () => {
      while (next < requests.length) await one(requests[next++]!);
    };
    const one = async (r: Req) => {
      const t0 = Date.now();
      const answer = await send(server.url, r).catch((err: Error) => ({ status: 599, type: '', text: `no answer after ${Date.now() - t0} ms: ${err.message} ${String((err.cause as Error | undefined)?.message ?? '')}` }));
      slow.push([Date.now() - t0, `${r.method} ${r.url.slice(0, 120)} ${String(r.body ?? '').length}B → ${answer.status}`]);
      const wrong = verdict(r, answer);
      // One example per route and kind of failure is enough to act on.
      const route = `${r.method} ${r.url.split('?')[0]!.split('/').slice(0, 4).join('/')}`;
      if (wrong && !failures.has(`${route} ${wrong.slice(0, 40)}`)) failures.set(`${route} ${wrong.slice(0, 40)}`, `${r.method} ${r.url.slice(0, 300)} ${JSON.stringify(r.headers).slice(0, 200)} body=${String(r.body ?? '').slice(0, 200)} → ${wrong}`);
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
    if (process.env.XCREDIT_FUZZ_SLOW) console.log(slow.sort((a, b) => b[0] - a[0]).slice(0, 15).map(([ms, s]) => `${ms} ms ${s}`).join('\n'));
    console.log(`fuzz on ${engine}: ${requests.length} requests generated in ${((generated - started) / 1000).toFixed(1)} s, answered in ${((Date.now() - generated) / 1000).toFixed(1)} s`);
    expect([...failures.values()]).toEqual([]);
    expect(requests.length).toBeGreaterThanOrEqual(Math.min(RUNS, 5000));
  });
});
