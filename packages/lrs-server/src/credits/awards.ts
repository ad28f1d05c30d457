import { randomUUID } from 'node:crypto';
import type { awardInput } from '@xcredit/sdk/contracts';
import type { z } from 'zod';
import type { Db } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { parsePeriod } from '../period.js';
import { capGrowthCredit, checkGrowthCategory, evidenceFiles } from './growth.js';
import { appendEntry, isClosed, lockLearner, reconcileRequirement, type CreditEvents } from './ledger.js';

export type AwardInput = z.infer<typeof awardInput>;

export interface Award {
  awardId: string;
  learnerId: string;
  source: 'offline' | 'growth';
  title: string;
  credits: number;
  period: string;
  kind: 'required' | 'elective';
  category: string | null;
  requirementId: string | null;
  externalId: string | null;
  evidence: Record<string, unknown>;
  status: 'pending' | 'approved' | 'rejected';
  decisionReason: string | null;
  requestedBy: string;
  decidedBy: string | null;
  decidedAt: string | null;
  createdAt: string;
  history?: { action: string; actor: string; reason: string | null; at: string }[];
  creditedCredits: number | null;
  capNote: string | null;
  files?: { fileId: string; fileName: string; contentType: string; size: number }[];
}

type AwardRow = {
  id: string;
  learner_id: string;
  source: 'offline' | 'growth';
  title: string;
  amount_tenths: number;
  period: string;
  kind: 'required' | 'elective';
  category: string | null;
  requirement_id: string | null;
  external_id: string | null;
  evidence: Record<string, unknown>;
  status: 'pending' | 'approved' | 'rejected';
  decision_reason: string | null;
  requested_by: string;
  decided_by: string | null;
  decided_at: Date | null;
  created_at: Date;
  credited_tenths: number | null;
  cap_note: string | null;
};

const toAward = (r: AwardRow): Award => ({
  awardId: r.id,
  learnerId: r.learner_id,
  source: r.source,
  title: r.title,
  credits: r.amount_tenths / 10,
  period: r.period,
  kind: r.kind,
  category: r.category,
  requirementId: r.requirement_id,
  externalId: r.external_id,
  evidence: r.evidence,
  status: r.status,
  decisionReason: r.decision_reason,
  requestedBy: r.requested_by,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at ? new Date(r.decided_at).toISOString() : null,
  createdAt: new Date(r.created_at).toISOString(),
  creditedCredits: r.credited_tenths === null ? null : r.credited_tenths / 10,
  capNote: r.cap_note,
});

/** Records an award. Offline attendance is approved at once; growth credits wait for approval. */
export async function createAward(db: Db, events: CreditEvents, tenantId: string, actor: string, input: AwardInput, now: Date): Promise<{ award: Award; created: boolean }> {
  parsePeriod(input.period);
  return db.transaction().execute((trx) => recordAward(trx, events, tenantId, actor, input, now));
}

/**
 * `createAward` inside a transaction the caller holds (closing a training session credits all of
 * its attendance in one). `note` explains the credit in the ledger entry, e.g. the minutes attended.
 */
export async function recordAward(trx: Db, events: CreditEvents, tenantId: string, actor: string, input: AwardInput, now: Date, note: string | null = null): Promise<{ award: Award; created: boolean }> {
  const learner = await trx.selectFrom('learners').select('id').where('tenant_id', '=', tenantId).where('id', '=', input.learnerId).executeTakeFirst();
  if (!learner) throw new HttpError(404, 'learner_not_found', `learnerId: no learner "${input.learnerId}" in this tenant`);
  if (await isClosed(trx, tenantId, input.period)) throw new HttpError(409, 'period_closed', `period: ${input.period} is closed; no awards can be added to it`);
  if (input.source === 'growth') await checkGrowthCategory(trx, tenantId, input.category);
  const link = input.evidence?.url;
  if (link !== undefined && (typeof link !== 'string' || !/^https?:\/\/[^\s]{1,2000}$/i.test(link))) throw new HttpError(400, 'invalid_input', 'evidence.url: must be an http(s) link');
  await lockLearner(trx, tenantId, input.learnerId);
  if (input.externalId) {
    const existing = await trx.selectFrom('awards').selectAll().where('tenant_id', '=', tenantId).where('external_id', '=', input.externalId).executeTakeFirst();
    if (existing) {
      const same = existing.learner_id === input.learnerId && existing.amount_tenths === Math.round(input.credits * 10) && existing.source === input.source;
      if (!same) throw new HttpError(409, 'conflict', `externalId: "${input.externalId}" was already used for a different award`);
      return { award: toAward(existing), created: false };
    }
  }
  const approved = input.source === 'offline';
  const row = await trx
    .insertInto('awards')
    .values({
      tenant_id: tenantId,
      id: randomUUID(),
      learner_id: input.learnerId,
      period: input.period,
      source: input.source,
      title: input.title,
      amount_tenths: Math.round(input.credits * 10),
      category: input.category ?? null,
      kind: input.kind,
      requirement_id: input.requirementId ?? null,
      external_id: input.externalId ?? null,
      evidence: JSON.stringify(input.evidence ?? {}),
      status: approved ? 'approved' : 'pending',
      requested_by: actor,
      decided_by: approved ? actor : null,
      decided_at: approved ? now : null,
      credited_tenths: approved ? Math.round(input.credits * 10) : null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await trx.insertInto('award_events').values({ tenant_id: tenantId, award_id: row.id, action: 'requested', actor, reason: null }).execute();
  if (approved) {
    await trx.insertInto('award_events').values({ tenant_id: tenantId, award_id: row.id, action: 'approved', actor, reason: note ?? 'attendance check-in' }).execute();
    await credit(trx, events, tenantId, row, actor, note);
    await events.publish(trx, { type: 'award.decided', tenantId, data: { award: toAward(row) } });
  } else {
    await events.publish(trx, { type: 'award.pending', tenantId, data: { award: toAward(row) } });
  }
  return { award: toAward(row), created: true };
}

/** Approves or rejects a pending award; a decision is final (a correction is a new award or an adjustment). */
export async function decideAward(db: Db, events: CreditEvents, tenantId: string, awardId: string, actor: string, decision: 'approved' | 'rejected', reason: string | undefined, now: Date): Promise<Award> {
  if (decision === 'rejected' && !reason) throw new HttpError(400, 'invalid_input', 'reason: a rejection needs a reason the learner can read');
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('awards').selectAll().where('tenant_id', '=', tenantId).where('id', '=', awardId).forUpdate().executeTakeFirst();
    if (!row) throw new HttpError(404, 'award_not_found', `no award ${awardId} in this tenant`);
    if (row.status !== 'pending') throw new HttpError(409, 'already_decided', `award ${awardId} was already ${row.status}`);
    if (await isClosed(trx, tenantId, row.period)) throw new HttpError(409, 'period_closed', `period ${row.period} is closed`);
    await lockLearner(trx, tenantId, row.learner_id);
    const updated = await trx
      .updateTable('awards')
      .set({ status: decision, decided_by: actor, decided_at: now, decision_reason: reason ?? null })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', awardId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx.insertInto('award_events').values({ tenant_id: tenantId, award_id: awardId, action: decision, actor, reason: reason ?? null }).execute();
    let decided = updated;
    if (decision === 'approved') {
      const capped = updated.source === 'growth' ? await capGrowthCredit(trx, tenantId, updated) : { tenths: updated.amount_tenths, note: null };
      decided = await trx.updateTable('awards').set({ credited_tenths: capped.tenths, cap_note: capped.note }).where('tenant_id', '=', tenantId).where('id', '=', awardId).returningAll().executeTakeFirstOrThrow();
      if (capped.note) await trx.insertInto('award_events').values({ tenant_id: tenantId, award_id: awardId, action: 'capped', actor, reason: capped.note }).execute();
      if (capped.tenths > 0) await credit(trx, events, tenantId, { ...decided, amount_tenths: capped.tenths }, actor, capped.note);
    }
    await events.publish(trx, { type: 'award.decided', tenantId, data: { award: toAward(decided) } });
    return toAward(decided);
  });
}

async function credit(db: Db, events: CreditEvents, tenantId: string, row: AwardRow, actor: string, note: string | null = null) {
  if (row.requirement_id) return reconcileRequirement(db, tenantId, row.learner_id, row.requirement_id, row.period, { actor, events });
  await appendEntry(db, events, {
    tenantId,
    learnerId: row.learner_id,
    period: row.period,
    source: row.source,
    amountTenths: row.amount_tenths,
    awardId: row.id,
    category: row.category,
    kind: row.kind,
    reason: note ? `"${row.title}" (${note})` : `"${row.title}"`,
    evidence: row.evidence,
    createdBy: row.requested_by,
    approvedBy: actor,
  });
}

export async function getAward(db: Db, tenantId: string, awardId: string): Promise<Award> {
  const row = await db.selectFrom('awards').selectAll().where('tenant_id', '=', tenantId).where('id', '=', awardId).executeTakeFirst();
  if (!row) throw new HttpError(404, 'award_not_found', `no award ${awardId} in this tenant`);
  const history = await db.selectFrom('award_events').select(['action', 'actor', 'reason', 'at']).where('tenant_id', '=', tenantId).where('award_id', '=', awardId).orderBy('id').execute();
  return { ...toAward(row), history: history.map((h) => ({ ...h, at: new Date(h.at).toISOString() })), files: await evidenceFiles(db, tenantId, awardId) };
}

export async function listAwards(db: Db, tenantId: string, filter: { status?: string; learnerId?: string; period?: string }): Promise<Award[]> {
  let q = db.selectFrom('awards').selectAll().where('tenant_id', '=', tenantId);
  if (filter.status) {
    if (!['pending', 'approved', 'rejected'].includes(filter.status)) throw new HttpError(400, 'invalid_input', 'status must be pending, approved or rejected');
    q = q.where('status', '=', filter.status as 'pending');
  }
  if (filter.learnerId) q = q.where('learner_id', '=', filter.learnerId);
  if (filter.period) q = q.where('period', '=', filter.period);
  return (await q.orderBy('created_at').limit(1000).execute()).map(toAward);
}
