/**
 * The three shapes GET /statements returns (`format=exact|ids|canonical`). Pure functions over
 * stored statement JSON.
 */
export type Format = 'exact' | 'ids' | 'canonical';
export const FORMATS: readonly Format[] = ['exact', 'ids', 'canonical'];

type Obj = Record<string, any>;
const IFIS = ['mbox', 'mbox_sha1sum', 'openid', 'account'] as const;

/** Returns the statement in `format`; `languages` are the Accept-Language preferences for canonical. */
export function formatStatement(statement: Obj, format: Format, languages: string[] = []): Obj {
  if (format === 'exact') return statement;
  const s = structuredClone(statement);
  if (format === 'ids') idsStatement(s);
  else canonicalize(s, languages);
  return s;
}

function idsAgent(a: Obj | undefined): Obj | undefined {
  if (!a || typeof a !== 'object') return a;
  const out: Obj = {};
  if (a.objectType) out.objectType = a.objectType;
  for (const k of IFIS) if (a[k] !== undefined) out[k] = a[k];
  const identified = IFIS.some((k) => a[k] !== undefined);
  if (a.objectType === 'Group' && !identified && Array.isArray(a.member)) out.member = a.member.map(idsAgent);
  return out;
}

const idsActivity = (a: Obj) => ({ id: a.id });

function idsObject(o: Obj | undefined): Obj | undefined {
  if (!o) return o;
  const type = o.objectType ?? 'Activity';
  if (type === 'Activity') return idsActivity(o);
  if (type === 'Agent' || type === 'Group') return idsAgent(o);
  if (type === 'SubStatement') {
    idsStatement(o);
    return o;
  }
  return o;
}

function idsStatement(s: Obj) {
  s.actor = idsAgent(s.actor);
  if (s.verb) s.verb = { id: s.verb.id };
  s.object = idsObject(s.object);
  if (s.authority) s.authority = idsAgent(s.authority);
  const c = s.context;
  if (c) {
    if (c.instructor) c.instructor = idsAgent(c.instructor);
    if (c.team) c.team = idsAgent(c.team);
    const ca = c.contextActivities;
    if (ca) for (const k of Object.keys(ca)) if (Array.isArray(ca[k])) ca[k] = ca[k].map(idsActivity);
    if (Array.isArray(c.contextAgents)) for (const x of c.contextAgents) x.agent = idsAgent(x.agent);
    if (Array.isArray(c.contextGroups)) for (const x of c.contextGroups) x.group = idsAgent(x.group);
  }
}

/** Picks the one entry of a language map the caller prefers. */
export function pickLanguage(map: Obj, languages: string[]): Obj {
  const keys = Object.keys(map);
  if (keys.length <= 1) return map;
  for (const wanted of languages) {
    const w = wanted.toLowerCase();
    const exact = keys.find((k) => k.toLowerCase() === w);
    if (exact) return { [exact]: map[exact] };
    const prefix = keys.find((k) => k.toLowerCase().split('-')[0] === w.split('-')[0]);
    if (prefix) return { [prefix]: map[prefix] };
  }
  const en = keys.find((k) => k.toLowerCase().startsWith('en'));
  const key = en ?? keys[0]!;
  return { [key]: map[key] };
}

function canonicalDefinition(d: Obj | undefined, languages: string[]) {
  if (!d || typeof d !== 'object') return;
  for (const k of ['name', 'description']) if (d[k] && typeof d[k] === 'object') d[k] = pickLanguage(d[k], languages);
  for (const list of ['choices', 'scale', 'source', 'target', 'steps']) {
    if (Array.isArray(d[list])) for (const c of d[list]) if (c?.description) c.description = pickLanguage(c.description, languages);
  }
}

function canonicalize(s: Obj, languages: string[]) {
  if (s.verb?.display) s.verb.display = pickLanguage(s.verb.display, languages);
  const activity = (a: Obj | undefined) => a && canonicalDefinition(a.definition, languages);
  if ((s.object?.objectType ?? 'Activity') === 'Activity') activity(s.object);
  if (s.object?.objectType === 'SubStatement') canonicalize(s.object, languages);
  const ca = s.context?.contextActivities;
  if (ca) for (const k of Object.keys(ca)) if (Array.isArray(ca[k])) ca[k].forEach(activity);
  if (Array.isArray(s.attachments)) {
    for (const a of s.attachments) {
      if (a.display) a.display = pickLanguage(a.display, languages);
      if (a.description) a.description = pickLanguage(a.description, languages);
    }
  }
}

/** Accept-Language as an ordered list of tags. */
export function acceptLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag!.trim(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((l) => l.tag && l.tag !== '*' && l.q > 0)
    .sort((a, b) => b.q - a.q)
    .map((l) => l.tag);
}
