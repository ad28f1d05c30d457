import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { reencryptMailPasswords } from '../reminders/settings.js';
import { decrypt, encrypt } from '../secret-key.js';
import { ltiDb } from './tables.js';

/** Where releases before XCREDIT_SECRET_KEY kept the key, beside what it encrypts. */
const LEGACY_COLLECTION = 'xcredit:secret';

/** Thrown when the records in the database do not decrypt with the key given. */
export class SecretKeyMismatch extends Error {}

const encryptedRows = (db: Db) =>
  ltiDb(db)
    .selectFrom('lti_documents')
    .select(['id', 'doc'])
    .where(sql<boolean>`doc->>'iv' is not null and doc->>'data' is not null`)
    .orderBy('id');

/**
 * Makes `key` the one the stored LTI records are encrypted with: a key kept in the database by an
 * older release is used once to re-encrypt them, then deleted. Refuses a key that does not
 * decrypt what is stored (XCREDIT_SECRET_KEY changed without `xcredit rotate-secret-key`).
 */
export async function adoptSecretKey(db: Db, key: string): Promise<void> {
  const l = ltiDb(db);
  const legacy = await l
    .selectFrom('lti_documents')
    .select(['id', 'doc'])
    .where('collection', '=', LEGACY_COLLECTION)
    .orderBy('id')
    .executeTakeFirst()
    .catch((err: Error) => {
      throw new Error(`the LTI tables are missing (run \`xcredit migrate\`): ${err.message}`, { cause: err });
    });
  if (legacy) {
    await rotateSecretKey(db, String((legacy.doc as { key: string }).key), key);
    return;
  }
  const sample = await encryptedRows(db).limit(1).executeTakeFirst();
  if (sample && decrypted(sample.doc as Record<string, unknown>, key) === undefined) {
    throw new SecretKeyMismatch('the LTI keys stored in the database do not decrypt with XCREDIT_SECRET_KEY (or the key file in the data folder): it changed without `xcredit rotate-secret-key` (see docs/security.md)');
  }
}

/**
 * Re-encrypts every secret stored encrypted (the LTI records, each tenant's mail server password)
 * from `oldKey` to `newKey` in one transaction: all or none (and drops a key an older release
 * kept in the database). Returns how many of each it re-encrypted.
 *
 * @example
 * await rotateSecretKey(db, process.env.XCREDIT_SECRET_KEY, process.env.XCREDIT_NEW_SECRET_KEY);
 */
export async function rotateSecretKey(db: Db, oldKey: string, newKey: string): Promise<{ lti: number; mail: number }> {
  return db.transaction().execute(async (tx) => {
    const trx = ltiDb(tx);
    const rows = await trx
      .selectFrom('lti_documents')
      .select(['id', 'doc'])
      .where(sql<boolean>`doc->>'iv' is not null and doc->>'data' is not null`)
      .orderBy('id')
      .execute();
    for (const row of rows) {
      const doc = row.doc as Record<string, unknown>;
      const plain = decrypted(doc, oldKey);
      if (plain === undefined) throw new SecretKeyMismatch('the LTI keys stored in the database do not decrypt with the current secret key; nothing was changed');
      await trx
        .updateTable('lti_documents')
        .set({ doc: JSON.stringify({ ...doc, ...encrypt(plain, newKey) }) })
        .where('id', '=', row.id)
        .execute();
    }
    const mail = await reencryptMailPasswords(tx, oldKey, newKey);
    await trx.deleteFrom('lti_documents').where('collection', '=', LEGACY_COLLECTION).execute();
    return { lti: rows.length, mail };
  });
}

/** The plain text when `key` decrypts the record to JSON (ltijs encrypts JSON only), else undefined. */
function decrypted(doc: Record<string, unknown>, key: string): string | undefined {
  try {
    const plain = decrypt(String(doc.data), String(doc.iv), key);
    JSON.parse(plain);
    return plain;
  } catch {
    return undefined;
  }
}
