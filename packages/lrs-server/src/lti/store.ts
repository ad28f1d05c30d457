import { sql } from 'kysely';
import { DEFAULT_TENANT } from '../auth/clients.js';
import type { Db } from '../db/index.js';
import { decrypt, encrypt } from '../secret-key.js';
import { ltiDb, type LtiDb } from './tables.js';

type Doc = Record<string, unknown>;

/** How long ltijs keeps each kind of record (its MongoDB schema's TTLs; nonces longer, to catch replays). */
const TTL_SECONDS: Record<string, number> = {
  idtoken: 24 * 3600,
  contexttoken: 24 * 3600,
  accesstoken: 3600,
  nonce: 3600,
  state: 600,
};

/**
 * ltijs's database plugin on xcredit's storage: every ltijs collection is rows of JSON documents
 * in `lti_documents`, matched by containment (`doc @> query`), so ltijs runs on PGlite and
 * PostgreSQL alike and never opens MongoDB. Rows carry the tenant of the platform they concern.
 *
 * @example
 * provider.setup(key, { plugin: new LtiStore(db), url: 'unused' }, options);
 */
export class LtiStore {
  private readonly db: LtiDb;
  private deployed = false;
  private lastSweep = 0;

  constructor(db: Db) {
    this.db = ltiDb(db);
  }

  /** Checks the LTI tables exist; ltijs calls it from deploy(). */
  async setup(): Promise<true> {
    for (const table of ['lti_documents', 'lti_platforms', 'lti_links', 'lti_logins', 'lti_grade_targets', 'lti_roster'] as const) {
      try {
        await this.db.selectFrom(table).select(sql<number>`1`.as('one')).limit(1).execute();
      } catch (err) {
        throw new Error(`the LTI table ${table} is missing or unreadable (run \`xcredit migrate\`): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    }
    this.deployed = true;
    return true;
  }

  async Close(): Promise<true> {
    this.deployed = false;
    return true;
  }

  async Get(key: string | false, collection: string, query?: Doc): Promise<Doc[] | false> {
    this.assertDeployed(collection);
    let q = this.db.selectFrom('lti_documents').select(['doc', 'created_at']).where('collection', '=', collection);
    if (query && Object.keys(query).length) q = q.where(sql<boolean>`doc @> ${JSON.stringify(query)}::jsonb`);
    const ttl = TTL_SECONDS[collection];
    if (ttl) q = q.where('created_at', '>', new Date(Date.now() - ttl * 1000));
    const rows = await q.orderBy('id').execute();
    if (rows.length === 0) return false;
    return rows.map((row) => {
      const doc = row.doc as Doc;
      const createdAt = new Date(row.created_at).getTime();
      if (!key) return { ...doc, createdAt };
      return { ...(JSON.parse(decrypt(String(doc.data), String(doc.iv), key)) as Doc), createdAt };
    });
  }

  async Insert(key: string | false, collection: string, item: Doc, index?: Doc): Promise<true> {
    this.assertDeployed(collection);
    if (!collection || !item || (key && !index)) throw new Error('MISSING_PARAMS');
    const doc = key ? { ...index, ...encrypt(JSON.stringify(item), key) } : item;
    await this.db.insertInto('lti_documents').values({ tenant_id: await this.tenantOf(doc), collection, doc: JSON.stringify(doc) }).execute();
    await this.sweep();
    return true;
  }

  async Replace(key: string | false, collection: string, query: Doc, item: Doc, index?: Doc): Promise<true> {
    this.assertDeployed(collection);
    if (!collection || !item || (key && !index)) throw new Error('MISSING_PARAMS');
    const doc = key ? { ...index, ...encrypt(JSON.stringify(item), key) } : { ...query, ...item };
    const tenantId = await this.tenantOf(doc);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('lti_documents').where('collection', '=', collection).where(sql<boolean>`doc @> ${JSON.stringify(query)}::jsonb`).execute();
      await trx.insertInto('lti_documents').values({ tenant_id: tenantId, collection, doc: JSON.stringify(doc) }).execute();
    });
    return true;
  }

  async Modify(key: string | false, collection: string, query: Doc, modification: Doc): Promise<true> {
    this.assertDeployed(collection);
    if (!collection || !query || !modification) throw new Error('MISSING_PARAMS');
    await this.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('lti_documents').select(['id', 'doc']).where('collection', '=', collection).where(sql<boolean>`doc @> ${JSON.stringify(query)}::jsonb`).execute();
      for (const row of rows) {
        const old = row.doc as Doc;
        let next: Doc;
        if (key) {
          const plain = JSON.parse(decrypt(String(old.data), String(old.iv), key)) as Doc;
          next = { ...old, ...encrypt(JSON.stringify({ ...plain, ...modification }), key) };
        } else next = { ...old, ...modification };
        await trx.updateTable('lti_documents').set({ doc: JSON.stringify(next) }).where('id', '=', row.id).execute();
      }
    });
    return true;
  }

  async Delete(collection: string, query: Doc): Promise<true> {
    this.assertDeployed(collection);
    if (!collection || !query) throw new Error('MISSING_PARAMS');
    await this.db.deleteFrom('lti_documents').where('collection', '=', collection).where(sql<boolean>`doc @> ${JSON.stringify(query)}::jsonb`).execute();
    return true;
  }

  async Encrypt(data: string, secret: string) {
    return encrypt(data, secret);
  }

  async Decrypt(data: string, iv: string, secret: string) {
    return decrypt(data, iv, secret);
  }

  private assertDeployed(collection: string) {
    if (!this.deployed) throw new Error('PROVIDER_NOT_DEPLOYED');
    if (!collection) throw new Error('MISSING_COLLECTION');
  }

  /** The tenant whose platform a record concerns; protocol scratch (states, nonces) goes to the default tenant. */
  private async tenantOf(doc: Doc): Promise<string> {
    const issuer = doc.platformUrl ?? doc.iss;
    if (typeof issuer !== 'string' || typeof doc.clientId !== 'string') return DEFAULT_TENANT.id;
    const row = await this.db.selectFrom('lti_platforms').select('tenant_id').where('issuer', '=', issuer).where('client_id', '=', doc.clientId).executeTakeFirst();
    return row?.tenant_id ?? DEFAULT_TENANT.id;
  }

  /** Drops expired records now and then, as MongoDB's TTL indexes would. */
  private async sweep() {
    if (Date.now() - this.lastSweep < 60_000) return;
    this.lastSweep = Date.now();
    for (const [collection, ttl] of Object.entries(TTL_SECONDS)) {
      await this.db.deleteFrom('lti_documents').where('collection', '=', collection).where('created_at', '<', new Date(Date.now() - ttl * 1000)).execute();
    }
    await this.db.deleteFrom('lti_logins').where('created_at', '<', new Date(Date.now() - 3600 * 1000)).execute();
  }
}
