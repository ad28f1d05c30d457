import { createHash } from 'node:crypto';
import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database, Db } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { CONTEXT_ACTIVITY_KINDS } from './normalize.js';
import { readScope } from './scope.js';

type Obj = Record<string, any>;
export interface Definition {
  activityId: string;
  hash: string;
  definition: Obj;
}

/** Activity definitions a statement carries (object, context activities, sub-statement). */
export function definitionsOf(s: Obj): Definition[] {
  const out: Definition[] = [];
  const add = (a: Obj | undefined) => {
    if (!a?.id || !a.definition || typeof a.definition !== 'object') return;
    out.push({ activityId: a.id, hash: definitionHash(JSON.stringify(a.definition)), definition: a.definition });
  };
  const walk = (st: Obj) => {
    const type = st.object?.objectType ?? 'Activity';
    if (type === 'Activity') add(st.object);
    if (type === 'SubStatement') walk(st.object);
    const ca = st.context?.contextActivities ?? {};
    for (const k of CONTEXT_ACTIVITY_KINDS) for (const a of [ca[k] ?? []].flat()) add(a);
  };
  walk(s);
  return out;
}

// The same few definitions come with every statement about an activity: hash each text once.
const hashes = new Map<string, string>();
function definitionHash(text: string): string {
  let hash = hashes.get(text);
  if (hash === undefined) {
    if (hashes.size >= 10_000) hashes.clear();
    hashes.set(text, (hash = createHash('sha1').update(text).digest('base64url')));
  }
  return hash;
}

/**
 * Definitions a database already holds, so a popular activity's statements add no write beyond
 * their own. One set per statement writer; a key joins it only once the transaction that wrote it commits.
 */
export class KnownDefinitions {
  readonly #keys = new Set<string>();
  has(key: string): boolean {
    return this.#keys.has(key);
  }
  add(keys: Iterable<string>): void {
    if (this.#keys.size > 100_000) this.#keys.clear();
    for (const k of keys) this.#keys.add(k);
  }
}

/**
 * Keeps each distinct definition once. Rows are appended (never updated) and written in key
 * order, so concurrent batches about the same activity neither wait on a shared row nor deadlock.
 * Returns the keys written, for `known.add` after commit.
 */
export async function rememberDefinitions(trx: Kysely<Database>, tenantId: string, definitions: Definition[], known: KnownDefinitions): Promise<string[]> {
  const fresh = new Map<string, Definition>();
  for (const d of definitions) {
    const key = `${tenantId}\u0000${d.activityId}\u0000${d.hash}`;
    if (!known.has(key)) fresh.set(key, d);
  }
  if (!fresh.size) return [];
  const rows = [...fresh.values()].sort((a, b) => (a.activityId === b.activityId ? (a.hash < b.hash ? -1 : 1) : a.activityId < b.activityId ? -1 : 1));
  await trx
    .insertInto('xapi_activity_definitions')
    .values(rows.map((d) => ({ tenant_id: tenantId, activity_id: d.activityId, hash: d.hash, definition: JSON.stringify(d.definition) })))
    .onConflict((oc) => oc.columns(['tenant_id', 'activity_id', 'hash']).doNothing())
    .execute();
  return [...fresh.keys()];
}

/** Merges definitions oldest first: later ones add or replace fields, language maps merge. */
export function mergeDefinitions(definitions: Obj[]): Obj {
  const out: Obj = {};
  for (const d of definitions) {
    for (const [k, v] of Object.entries(d)) {
      if ((k === 'name' || k === 'description') && v && typeof v === 'object' && out[k]) out[k] = { ...out[k], ...v };
      else if (k === 'extensions' && v && typeof v === 'object' && out[k]) out[k] = { ...out[k], ...v };
      else out[k] = v;
    }
  }
  return out;
}

/** Activities resource: GET /activities?activityId= answers the activity with its definition. */
export function activitiesRouter(db: Db): Router {
  const router = Router();
  router.get('/activities', async (req, res) => {
    const tenant = readScope(req, 'activities');
    const extra = Object.keys(req.query).filter((k) => k !== 'activityId');
    if (extra.length) throw new HttpError(400, 'invalid_input', `GET /activities takes only activityId (got ${extra.join(', ')})`);
    const activityId = req.query.activityId;
    if (typeof activityId !== 'string' || !activityId) throw new HttpError(400, 'invalid_input', 'activityId query parameter is required');
    const rows = await db
      .selectFrom('xapi_activity_definitions')
      .select('definition')
      .where('tenant_id', '=', tenant.id)
      .where('activity_id', '=', activityId)
      .orderBy('seq')
      .execute();
    const activity: Obj = { objectType: 'Activity', id: activityId };
    if (rows.length) activity.definition = mergeDefinitions(rows.map((r) => r.definition));
    res.json(activity);
  });
  return router;
}
