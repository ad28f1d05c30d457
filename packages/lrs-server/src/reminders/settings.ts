import type { mailSettingsInput, MailSettings } from '@xcredit/sdk/contracts';
import type { z } from 'zod';
import type { Db } from '../db/index.js';
import type { MailSettingsTable } from '../db/schema.js';
import { HttpError } from '../http-error.js';
import { decrypt, encrypt } from '../secret-key.js';
import type { Selectable } from 'kysely';

type Row = Selectable<MailSettingsTable>;

const toSettings = (r: Row): MailSettings => ({
  enabled: r.enabled,
  host: r.host,
  port: r.port,
  secure: r.secure,
  user: r.username,
  hasPassword: r.password !== null,
  from: r.from_address,
  language: r.language,
  deadlineDays: r.deadline_days,
});

/** The tenant's mail settings; 404 until they are set. */
export async function getMailSettings(db: Db, tenantId: string): Promise<MailSettings> {
  const row = await db.selectFrom('mail_settings').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!row) throw new HttpError(404, 'mail_not_configured', 'no mail server is set for this tenant: PUT /reminders/settings first');
  return toSettings(row);
}

/** Sets the tenant's mail settings; the password is stored encrypted with the server's secret key (left out: kept). */
export async function putMailSettings(db: Db, tenantId: string, secretKey: string, input: z.infer<typeof mailSettingsInput>): Promise<MailSettings> {
  const values = {
    enabled: input.enabled,
    host: input.host,
    port: input.port,
    secure: input.secure,
    username: input.user ?? null,
    from_address: input.from,
    language: input.language,
    deadline_days: input.deadlineDays,
    updated_at: new Date(),
    ...(input.password === undefined ? {} : { password: input.password === null ? null : JSON.stringify(encrypt(input.password, secretKey)) }),
  };
  const row = await db
    .insertInto('mail_settings')
    .values({ tenant_id: tenantId, password: null, ...values })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
  return toSettings(row);
}

/** What the mailer needs to connect, the password decrypted; undefined when mail is off or not set. */
export async function transportSettings(db: Db, tenantId: string, secretKey: string): Promise<(MailSettings & { password: string | null }) | undefined> {
  const row = await db.selectFrom('mail_settings').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!row?.enabled) return undefined;
  return { ...toSettings(row), password: row.password ? decrypt(row.password.data, row.password.iv, secretKey) : null };
}

/**
 * Re-encrypts every tenant's stored mail password from `oldKey` to `newKey` on `trx` (part of
 * `xcredit rotate-secret-key`); a password that opens with neither key stops it. Returns how many.
 */
export async function reencryptMailPasswords(trx: Db, oldKey: string, newKey: string): Promise<number> {
  const rows = await trx.selectFrom('mail_settings').select(['tenant_id', 'password']).where('password', 'is not', null).orderBy('tenant_id').execute();
  let count = 0;
  for (const row of rows) {
    const plain = opened(row.password!, oldKey);
    if (plain === undefined && opened(row.password!, newKey) !== undefined) continue; // already under the new key
    if (plain === undefined) throw new Error(`the mail server password of tenant ${row.tenant_id} does not decrypt with the current secret key; nothing was changed`);
    await trx.updateTable('mail_settings').set({ password: JSON.stringify(encrypt(plain, newKey)) }).where('tenant_id', '=', row.tenant_id).execute();
    count++;
  }
  return count;
}

/** The password when `key` opens it: a wrong key fails the padding or, rarely, yields bytes that are not UTF-8. */
function opened(stored: { iv: string; data: string }, key: string): string | undefined {
  try {
    const plain = decrypt(stored.data, stored.iv, key);
    return plain.includes('\uFFFD') ? undefined : plain;
  } catch {
    return undefined;
  }
}
