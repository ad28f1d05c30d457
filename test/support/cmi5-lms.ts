import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { inflateRawSync } from 'node:zlib';

/**
 * The LMS side of cmi5 (cmi5 "Quartz" specification), written from its numbered requirements
 * as a small real HTTP server, to run an AU the way any cmi5 LMS would and record everything it
 * does: course package import (§13, §14), launch URL (§8.1), a fetch URL that answers once
 * (§8.2), LMS.LaunchData (§10), and an LRS taking the AU's statements (§9) and state documents.
 * It issues the LMS's own statements (launched, abandoned, satisfied) and judges moveOn.
 */
export interface Cmi5Lms {
  url: string;
  /** Everything the AU did, in the order the LMS saw it. */
  log: LmsEvent[];
  /** Imports a cmi5 package (a zip holding cmi5.xml); the course's one AU. */
  importPackage(zip: Buffer): ImportedAu;
  launch(au: ImportedAu, options: LaunchOptions): LmsLaunch;
  /** Statements the LRS holds for a launch's registration, in the order stored (the LMS's own included). */
  statements(launch: LmsLaunch): any[];
  /** The LMS's moveOn judgement of the launch's AU (§9.3.9: satisfied once moveOn is met). */
  satisfied(launch: LmsLaunch): boolean;
  /** The LMS ends a session the AU left without terminated with `abandoned` (§9.3.6); whether it had to. */
  abandonIfOpen(launch: LmsLaunch): boolean;
  close(): Promise<void>;
}

export interface ImportedAu {
  courseId: string;
  /** The LMS's own activity id for the AU, the same in every launch (§8.1 activityId). */
  activityId: string;
  /** The AU's publisher id (cmi5.xml `au/@id`). */
  publisherId: string;
  url: string;
  moveOn: string;
  launchMethod: string;
}

export interface LaunchOptions {
  actor: Record<string, unknown>;
  launchMode?: 'Normal' | 'Browse' | 'Review';
  returnURL?: string;
  /** A registration to continue (a second session); a new one by default. */
  registration?: string;
}

export interface LmsLaunch {
  url: string;
  registration: string;
  /** The LMS's own id for the AU (not the publisher's). */
  activityId: string;
  sessionId: string;
  actor: Record<string, unknown>;
  fetchUrl: string;
  launchMode: string;
}

export type LmsEvent =
  | { kind: 'fetch'; session: string; answered: 'auth-token' | 'error' }
  | { kind: 'state-get'; session: string | null; stateId: string; status: number }
  | { kind: 'state-put'; session: string | null; stateId: string; status: number }
  | { kind: 'statement'; session: string | null; statement: any; status: number };

const LMS_VERBS = new Set(['abandoned', 'waived', 'satisfied'].map((v) => `https://w3id.org/xapi/adl/verbs/${v}`).concat('http://adlnet.gov/expapi/verbs/launched'));

/** The entries of a zip file (deflate or stored), read from its central directory. */
export function unzip(zip: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip file: no end of central directory');
  let at = zip.readUInt32LE(eocd + 16);
  for (let n = zip.readUInt16LE(eocd + 10); n > 0; n--) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('zip central directory is damaged');
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + skip;
  }
  return files;
}

const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
const unxml = (s: string) => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

export async function startCmi5Lms(): Promise<Cmi5Lms> {
  const log: LmsEvent[] = [];
  const launches = new Map<string, LmsLaunch & { au: ImportedAu; fetchId: string; authToken: string; fetched: boolean }>();
  const byToken = new Map<string, string>();
  const state = new Map<string, { type: string; body: string }>();
  const stored: { registration: string; statement: any }[] = [];
  let url = '';
  let auSeq = 0;

  // An agent is the same agent whatever the order of its properties: it is matched by its identifier.
  const ifi = (agent: any) => JSON.stringify(agent?.account ? [agent.account.homePage, agent.account.name] : [agent?.mbox ?? null]);
  const stateKey = (activityId: string, agent: string, registration: string, stateId: string) => JSON.stringify([activityId, ifi(JSON.parse(agent)), registration, stateId]);
  const store = (registration: string, statement: any) => stored.push({ registration, statement: { ...statement, stored: new Date().toISOString() } });
  const lmsStatement = (l: LmsLaunch, verb: string, extra: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    actor: l.actor,
    verb: { id: verb === 'launched' ? 'http://adlnet.gov/expapi/verbs/launched' : `https://w3id.org/xapi/adl/verbs/${verb}`, display: { 'en-US': verb } },
    object: { objectType: 'Activity', id: l.activityId },
    context: { registration: l.registration, contextActivities: { category: [{ id: 'https://w3id.org/xapi/cmi5/context/categories/cmi5' }] }, extensions: { 'https://w3id.org/xapi/cmi5/context/extensions/sessionid': l.sessionId } },
    timestamp: new Date().toISOString(),
    ...extra,
  });

  const server = createServer(async (req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Experience-API-Version');
    res.setHeader('Access-Control-Allow-Methods', 'GET, PUT, POST, OPTIONS');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const u = new URL(req.url ?? '/', url);
    const body = await read(req);
    const fetchMatch = /^\/fetch\/([\w-]+)$/.exec(u.pathname);
    if (fetchMatch) {
      const l = [...launches.values()].find((x) => x.fetchId === fetchMatch[1]);
      // §8.2: the AU POSTs to the fetch URL; it answers with the auth-token once, then an error.
      if (!l || req.method !== 'POST') return json(res, 400, { 'error-code': '3', 'error-text': 'invalid request' });
      if (l.fetched) {
        log.push({ kind: 'fetch', session: l.sessionId, answered: 'error' });
        return json(res, 200, { 'error-code': '1', 'error-text': 'already in use' });
      }
      l.fetched = true;
      log.push({ kind: 'fetch', session: l.sessionId, answered: 'auth-token' });
      return json(res, 200, { 'auth-token': l.authToken });
    }
    if (!u.pathname.startsWith('/xapi/')) return json(res, 404, {});
    const session = byToken.get((req.headers.authorization ?? '').replace(/^Basic /, '')) ?? null;
    if (!session) return json(res, 401, { error: 'not a launch of this LMS' });
    const l = launches.get(session)!;
    const resource = u.pathname.slice('/xapi/'.length);
    if (resource === 'activities/state') {
      const q = u.searchParams;
      const stateId = q.get('stateId') ?? '';
      const key = stateKey(q.get('activityId') ?? '', q.get('agent') ?? 'null', q.get('registration') ?? '', stateId);
      if (req.method === 'GET') {
        const doc = state.get(key);
        log.push({ kind: 'state-get', session, stateId, status: doc ? 200 : 404 });
        if (!doc) return json(res, 404, { error: 'no such document' });
        return void res.writeHead(200, { 'Content-Type': doc.type }).end(doc.body);
      }
      // LMS.LaunchData is the LMS's: an AU may read it, never write it (§10).
      const status = stateId === 'LMS.LaunchData' ? 403 : 204;
      log.push({ kind: 'state-put', session, stateId, status });
      if (status === 204) state.set(key, { type: req.headers['content-type'] ?? 'application/octet-stream', body });
      return void res.writeHead(status).end();
    }
    if (resource === 'statements' && (req.method === 'PUT' || req.method === 'POST')) {
      const parsed = JSON.parse(body);
      const list = Array.isArray(parsed) ? parsed : [parsed];
      if (req.method === 'PUT') list[0].id ??= u.searchParams.get('statementId');
      for (const s of list) {
        log.push({ kind: 'statement', session, statement: s, status: 204 });
        store(l.registration, s);
      }
      return req.method === 'PUT' ? void res.writeHead(204).end() : json(res, 200, list.map((s: any) => s.id));
    }
    json(res, 404, { error: `no resource ${resource}` });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  // The same host name the AU page is on (Chromium treats localhost → 127.0.0.1 as crossing address spaces).
  url = `http://localhost:${port}`;

  const lms: Cmi5Lms = {
    url,
    log,
    importPackage(zip) {
      const files = unzip(zip);
      const xml = files.get('cmi5.xml')?.toString('utf8');
      if (!xml) throw new Error('§14: a cmi5 package holds cmi5.xml at its root');
      const course = /<course\s[^>]*>/.exec(xml)?.[0];
      const aus = [...xml.matchAll(/<au\s[^>]*>[\s\S]*?<\/au>/g)].map((m) => m[0]);
      if (!course || aus.length !== 1) throw new Error('§13: expected one course and one AU');
      const au = aus[0]!;
      const auTag = /<au\s[^>]*>/.exec(au)![0];
      return {
        courseId: unxml(attr(course, 'id') ?? ''),
        activityId: `${url}/activities/au/${++auSeq}`,
        publisherId: unxml(attr(auTag, 'id') ?? ''),
        url: unxml(/<url>([^<]*)<\/url>/.exec(au)?.[1] ?? ''),
        moveOn: attr(auTag, 'moveOn') ?? 'NotApplicable',
        launchMethod: attr(auTag, 'launchMethod') ?? 'AnyWindow',
      };
    },
    launch(au, options) {
      const registration = options.registration ?? randomUUID();
      const activityId = au.activityId;
      const sessionId = randomUUID();
      const fetchId = randomBytes(12).toString('hex');
      const authToken = Buffer.from(`au-${sessionId}:${randomBytes(12).toString('hex')}`).toString('base64');
      const launchMode = options.launchMode ?? 'Normal';
      // §10: contextTemplate carries the session id and, in grouping, the AU's publisher id.
      const launchData = {
        contextTemplate: { contextActivities: { grouping: [{ objectType: 'Activity', id: au.publisherId }] }, extensions: { 'https://w3id.org/xapi/cmi5/context/extensions/sessionid': sessionId } },
        launchMode,
        moveOn: au.moveOn,
        ...(options.returnURL ? { returnURL: options.returnURL } : {}),
      };
      state.set(stateKey(activityId, JSON.stringify(options.actor), registration, 'LMS.LaunchData'), { type: 'application/json', body: JSON.stringify(launchData) });
      const fetchUrl = `${url}/fetch/${fetchId}`;
      // §8.1: the launch URL is the AU's URL with endpoint, fetch, actor, registration, activityId added.
      const params = new URLSearchParams({ endpoint: `${url}/xapi/`, fetch: fetchUrl, actor: JSON.stringify(options.actor), registration, activityId });
      const launchUrl = `${au.url}${au.url.includes('?') ? '&' : '?'}${params}`;
      const l = { url: launchUrl, registration, activityId, sessionId, actor: options.actor, fetchUrl, launchMode, au, fetchId, authToken, fetched: false };
      launches.set(sessionId, l);
      byToken.set(authToken, sessionId);
      store(registration, lmsStatement(l, 'launched'));
      return l;
    },
    statements(l) {
      return stored.filter((s) => s.registration === l.registration).map((s) => s.statement);
    },
    satisfied(l) {
      return lms.statements(l).some((s) => s.verb.id === 'https://w3id.org/xapi/adl/verbs/satisfied');
    },
    abandonIfOpen(l) {
      const ofSession = lms.statements(l).filter((s) => s.context?.extensions?.['https://w3id.org/xapi/cmi5/context/extensions/sessionid'] === l.sessionId);
      if (ofSession.some((s) => s.verb.id.endsWith('/terminated') || s.verb.id.endsWith('/abandoned'))) return false;
      store(l.registration, lmsStatement(l, 'abandoned'));
      return true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  // §9.3.9: the LMS judges moveOn as statements arrive; Completed is met by the AU's completed.
  const judge = () => {
    for (const l of launches.values()) {
      const all = lms.statements(l);
      if (l.au.moveOn === 'Completed' && all.some((s) => s.verb.id === 'http://adlnet.gov/expapi/verbs/completed') && !lms.satisfied(l)) store(l.registration, lmsStatement(l, 'satisfied'));
    }
  };
  server.on('request', (_req, res: ServerResponse) => res.on('finish', judge));
  return lms;
}

/** Verbs only the LMS issues (§9.3.1, §9.3.6, §9.3.7, §9.3.9): an AU never sends them. */
export const lmsOnlyVerb = (statement: any) => LMS_VERBS.has(statement.verb?.id);

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
