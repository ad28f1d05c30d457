import { randomUUID } from 'node:crypto';
import type { EvidenceFile, GrowthCategory, growthCategoryInput } from '@xcredit/sdk/contracts';
import type { Kysely, Transaction } from 'kysely';
import type { z } from 'zod';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema.js';
import { HttpError } from '../http-error.js';

/** Evidence files: at most this large, of these types. */
export const EVIDENCE_MAX_BYTES = 5 * 1024 * 1024;
export const EVIDENCE_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'text/plain'] as const;

type Q = Kysely<Database> | Transaction<Database>;

export async function putGrowthCategory(db: Db, tenantId: string, categoryId: string, input: z.infer<typeof growthCategoryInput>): Promise<GrowthCategory> {
  const values = { name: input.name, yearly_cap_tenths: input.yearlyCap == null ? null : Math.round(input.yearlyCap * 10), updated_at: new Date() };
  await db
    .insertInto('growth_categories')
    .values({ tenant_id: tenantId, id: categoryId, ...values })
    .onConflict((oc) => oc.columns(['tenant_id', 'id']).doUpdateSet(values))
    .execute();
  return { categoryId, name: input.name, yearlyCap: input.yearlyCap ?? null };
}

export async function listGrowthCategories(db: Q, tenantId: string): Promise<GrowthCategory[]> {
  const rows = await db.selectFrom('growth_categories').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
  return rows.map((r) => ({ categoryId: r.id, name: r.name, yearlyCap: r.yearly_cap_tenths === null ? null : r.yearly_cap_tenths / 10 }));
}

/**
 * A growth award's category must be one of the tenant's when the tenant keeps a list; a tenant
 * with no list takes any category (as before categories existed).
 */
export async function checkGrowthCategory(db: Q, tenantId: string, category: string | undefined): Promise<void> {
  const list = await listGrowthCategories(db, tenantId);
  if (list.length === 0) return;
  const names = list.map((c) => c.categoryId).join(', ');
  if (!category) throw new HttpError(400, 'invalid_input', `category: growth credits need a category, one of ${names}`);
  if (!list.some((c) => c.categoryId === category)) throw new HttpError(400, 'invalid_input', `category: "${category}" is not one of this tenant's growth categories (${names})`);
}

/**
 * The yearly cap rule: a growth award in a capped category credits at most what the cap leaves
 * for that learner, category and period after what was already credited; the note says why.
 */
export async function capGrowthCredit(db: Q, tenantId: string, award: { learner_id: string; period: string; category: string | null; amount_tenths: number }): Promise<{ tenths: number; note: string | null }> {
  if (!award.category) return { tenths: award.amount_tenths, note: null };
  const cat = await db.selectFrom('growth_categories').selectAll().where('tenant_id', '=', tenantId).where('id', '=', award.category).executeTakeFirst();
  if (!cat || cat.yearly_cap_tenths === null) return { tenths: award.amount_tenths, note: null };
  const sum = await db
    .selectFrom('ledger')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string | number>('amount_tenths'), eb.lit(0)).as('tenths'))
    .where('tenant_id', '=', tenantId)
    .where('learner_id', '=', award.learner_id)
    .where('period', '=', award.period)
    .where('source', '=', 'growth')
    .where('category', '=', award.category)
    .executeTakeFirstOrThrow();
  const already = Number(sum.tenths);
  const room = Math.max(0, cat.yearly_cap_tenths - already);
  if (award.amount_tenths <= room) return { tenths: award.amount_tenths, note: null };
  return {
    tenths: room,
    note: `capped: "${cat.name}" counts at most ${cat.yearly_cap_tenths / 10} credits a year; ${already / 10} already credited in ${award.period}, so ${room / 10} of ${award.amount_tenths / 10} credited`,
  };
}

/** Stores an evidence file with an award: a type from EVIDENCE_TYPES, at most EVIDENCE_MAX_BYTES. */
export async function addEvidenceFile(db: Db, tenantId: string, awardId: string, file: { name: string; contentType: string; data: Buffer }, actor: string): Promise<EvidenceFile> {
  const type = file.contentType.split(';')[0]!.trim().toLowerCase();
  if (!(EVIDENCE_TYPES as readonly string[]).includes(type)) throw new HttpError(415, 'unsupported_type', `Content-Type: evidence must be one of ${EVIDENCE_TYPES.join(', ')} (got ${type || 'none'})`);
  if (file.data.length === 0) throw new HttpError(400, 'invalid_input', 'body: the evidence file is empty');
  if (file.data.length > EVIDENCE_MAX_BYTES) throw new HttpError(413, 'too_large', `body: evidence files are at most ${EVIDENCE_MAX_BYTES / 1024 / 1024} MB`);
  if (!/^[^\\/\u0000-\u001f]{1,200}$/.test(file.name)) throw new HttpError(400, 'invalid_input', 'filename: must be 1–200 characters, without slashes or control characters');
  const award = await db.selectFrom('awards').select('id').where('tenant_id', '=', tenantId).where('id', '=', awardId).executeTakeFirst();
  if (!award) throw new HttpError(404, 'award_not_found', `no award ${awardId} in this tenant`);
  const id = randomUUID();
  await db.insertInto('award_files').values({ tenant_id: tenantId, id, award_id: awardId, file_name: file.name, content_type: type, size: file.data.length, data: file.data, uploaded_by: actor }).execute();
  return { fileId: id, fileName: file.name, contentType: type, size: file.data.length };
}

export async function evidenceFiles(db: Q, tenantId: string, awardId: string): Promise<EvidenceFile[]> {
  const rows = await db.selectFrom('award_files').select(['id', 'file_name', 'content_type', 'size']).where('tenant_id', '=', tenantId).where('award_id', '=', awardId).orderBy('created_at').execute();
  return rows.map((r) => ({ fileId: r.id, fileName: r.file_name, contentType: r.content_type, size: r.size }));
}

export async function evidenceFile(db: Db, tenantId: string, awardId: string, fileId: string): Promise<{ fileName: string; contentType: string; data: Buffer }> {
  const r = await db.selectFrom('award_files').select(['file_name', 'content_type', 'data']).where('tenant_id', '=', tenantId).where('award_id', '=', awardId).where('id', '=', fileId).executeTakeFirst();
  if (!r) throw new HttpError(404, 'not_found', `no evidence file ${fileId} on award ${awardId}`);
  return { fileName: r.file_name, contentType: r.content_type, data: Buffer.from(r.data) };
}
