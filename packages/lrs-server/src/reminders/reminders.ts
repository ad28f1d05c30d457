import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { REMINDER_KINDS, type Reminder, type RemindBatch } from '@xcredit/sdk/contracts';
import { sql, type Selectable, type Transaction } from 'kysely';
import type { AppContext } from '../context.js';
import type { Db } from '../db/index.js';
import type { Database, RemindersTable } from '../db/schema.js';
import { learnerStanding, standing, standingsCte } from '../credits/targets.js';
import { HttpError } from '../http-error.js';
import { enqueue } from '../jobs/outbox.js';
import { periodAt, periodProgress, type Period } from '../period.js';
import { transportSettings } from './settings.js';
import { heldSql } from '../credits/validity.js';
import { digestMail, expiringMail, learnerMail, type Lang, type LearnerFacts, type Mail, type ReminderKind } from './templates.js';

/** The outbox job that sends one reminder. */
export const MAIL_JOB = 'mail.send';

type Row = Selectable<RemindersTable>;

export const toReminder = (r: Row): Reminder => ({
  reminderId: r.id,
  kind: r.kind,
  learnerId: r.learner_id,
  managerId: r.manager_id,
  recipient: r.recipient,
  language: r.language,
  period: r.period,
  window: r.time_window,
  subject: r.subject,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  requestedBy: r.requested_by,
  createdAt: new Date(r.created_at).toISOString(),
  sentAt: r.sent_at ? new Date(r.sent_at).toISOString() : null,
});

/**
 * The window a reminder is sent once in: a deadline reminder once per period and threshold, an
 * at-risk reminder once a month, a manual one once a day, a digest once an ISO week. (An expiring
 * certification is reminded once per course and expiry: `expiringRows`.)
 */
export function reminderWindow(kind: Exclude<ReminderKind, 'plan' | 'expiring'>, now: Date, deadlineDays: number): string {
  const day = now.toISOString().slice(0, 10);
  if (kind === 'deadline') return `d${deadlineDays}`;
  if (kind === 'at_risk') return day.slice(0, 7);
  if (kind === 'manual') return day;
  return isoWeek(now);
}

/** `2026-W05`: the ISO 8601 week an instant falls in (UTC). */
export function isoWeek(now: Date): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const weekday = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - weekday);
  const week = Math.ceil(((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** The signed part of a learner's unsubscribe link: HMAC-SHA256 with the server's secret key. */
export function unsubscribeToken(secretKey: string, tenantId: string, learnerId: string): string {
  return createHmac('sha256', secretKey).update(`unsubscribe\n${tenantId}\n${learnerId}`).digest('base64url');
}

export function checkUnsubscribeToken(secretKey: string, tenantId: string, learnerId: string, token: string): boolean {
  const want = Buffer.from(unsubscribeToken(secretKey, tenantId, learnerId));
  const got = Buffer.from(token);
  return want.length === got.length && timingSafeEqual(want, got);
}

export function unsubscribeUrl(context: Pick<AppContext, 'config' | 'secretKey'>, tenantId: string, learnerId: string): string {
  const q = new URLSearchParams({ tenant: tenantId, learner: learnerId, token: unsubscribeToken(context.secretKey, tenantId, learnerId) });
  return `${context.config.publicUrl}/reminders/unsubscribe?${q}`;
}

export interface Queued {
  tenantId: string;
  kind: ReminderKind;
  learnerId: string | null;
  managerId: string | null;
  recipient: string;
  language: Lang;
  period: string;
  window: string;
  mail: Mail;
  requestedBy: string;
}

/**
 * Records a reminder and owes its sending to the outbox, in one transaction: once per idempotency
 * key (learner or manager × kind × period × window), so two sweeps in two processes, or two clicks,
 * send it once. `created` is false when the key was already used.
 */
async function queueReminder(db: Db, q: Queued, now: Date): Promise<{ reminder: Reminder; created: boolean }> {
  return db.transaction().execute((trx) => queueReminderIn(trx, q, now));
}

/** `queueReminder` inside the caller's transaction: a plan and its mails are written together or not at all. */
export async function queueReminderIn(trx: Transaction<Database>, q: Queued, now: Date): Promise<{ reminder: Reminder; created: boolean }> {
  const key = `${q.learnerId ?? `manager:${q.managerId}`}|${q.kind}|${q.period}|${q.window}`;
  const inserted = await trx
    .insertInto('reminders')
    .values({
      tenant_id: q.tenantId,
      id: randomUUID(),
      idempotency_key: key,
      kind: q.kind,
      learner_id: q.learnerId,
      manager_id: q.managerId,
      recipient: q.recipient,
      language: q.language,
      period: q.period,
      time_window: q.window,
      subject: q.mail.subject,
      body: q.mail.body,
      status: 'queued',
      last_error: null,
      message_id: null,
      requested_by: q.requestedBy,
      created_at: now,
      sent_at: null,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!inserted) {
    const existing = await trx.selectFrom('reminders').selectAll().where('tenant_id', '=', q.tenantId).where('idempotency_key', '=', key).executeTakeFirstOrThrow();
    return { reminder: toReminder(existing), created: false };
  }
  await enqueue(trx, { tenantId: q.tenantId, kind: MAIL_JOB, payload: { reminderId: inserted.id }, dedupeKey: inserted.id });
  return { reminder: toReminder(inserted), created: true };
}

const endsOn = (p: Period) => new Date(p.to.getTime() - 1).toISOString().slice(0, 10);

/** One learner's standing row with what their reminders need. */
interface StandingRow {
  id: string;
  display_name: string | null;
  department: string | null;
  manager_id: string | null;
  req: number;
  ele: number;
  carried: number;
  target_total: number | null;
  target_required: number | null;
  status: 'met' | 'on_track' | 'at_risk' | 'no_target';
  email: string | null;
  language: Lang | null;
  reminders_opt_out: boolean;
  manager_email: string | null;
  manager_name: string | null;
  manager_language: Lang | null;
  manager_opt_out: boolean | null;
}

async function standingRows(db: Db, tenantId: string, period: Period, now: Date, filter: { statuses: string[]; department?: string | undefined }): Promise<StandingRow[]> {
  const { elapsed } = periodProgress(period, now);
  const { rows } = await sql<StandingRow>`${standingsCte(tenantId, period.name, elapsed)}
    select c.id, c.display_name, c.department, c.manager_id, c.req, c.ele, c.carried, c.target_total, c.target_required, c.status,
      l.email, l.language, l.reminders_opt_out, coalesce(m.email, l.manager_email) as manager_email, m.display_name as manager_name,
      m.language as manager_language, m.reminders_opt_out as manager_opt_out
    from classified c
    join learners l on l.tenant_id = ${tenantId} and l.id = c.id
    left join learners m on m.tenant_id = ${tenantId} and m.id = c.manager_id
    where c.status in (${sql.join(filter.statuses)}) ${filter.department === undefined ? sql`` : sql`and c.department = ${filter.department}`}
    order by c.id`.execute(db);
  return rows;
}

/**
 * Learners (with an address, not opted out) whose latest certification of a required course
 * expires within `days` from now: one retaken since holds a later expiry and is not listed.
 */
async function expiringRows(db: Db, tenantId: string, period: Period, now: Date, days: number) {
  const { rows } = await sql<{ learner_id: string; course_id: string; title: string; valid_until: Date | string; display_name: string | null; email: string; language: Lang | null }>`
    select h.learner_id, h.course_id, c.title, h.valid_until, l.display_name, l.email, l.language
    from (${heldSql(tenantId, period.name)}) h
    join courses c on c.tenant_id = ${tenantId} and c.id = h.course_id
    join learners l on l.tenant_id = ${tenantId} and l.id = h.learner_id
    where h.kind = 'required' and h.valid_until > ${now}::timestamptz and h.valid_until <= ${now}::timestamptz + make_interval(days => ${days}::int)
      and l.email is not null and not l.reminders_opt_out
    order by h.learner_id, h.course_id`.execute(db);
  return rows;
}

function factsOf(r: StandingRow, period: Period, now: Date): LearnerFacts {
  const target = { period: period.name, groupType: 'all' as const, groupValue: '', total: Number(r.target_total ?? 0) / 10, required: Number(r.target_required ?? 0) / 10 };
  const s = standing(target, { required: Number(r.req) / 10, elective: Number(r.ele) / 10, carried: Number(r.carried) / 10 }, period.name, now);
  return { name: r.display_name ?? r.id, period: period.name, earned: s.earned, target: target.total, required: target.required, requiredRemaining: s.requiredRemaining, remaining: s.remaining, projected: s.projected, daysLeft: s.daysLeft, ends: endsOn(period) };
}

export async function settingsOrThrow(context: AppContext, tenantId: string) {
  const settings = await transportSettings(context.db, tenantId, context.secretKey);
  if (!settings) throw new HttpError(409, 'mail_disabled', 'reminders are off for this tenant: set a mail server with enabled: true (PUT /reminders/settings)');
  return settings;
}

/** Reminds one learner now (the dashboard's Remind button): once a day at most. */
export async function remindLearner(context: AppContext, tenantId: string, learnerId: string, period: Period, actor: string): Promise<{ reminder: Reminder; created: boolean }> {
  const { db, clock } = context;
  const learner = await db.selectFrom('learners').selectAll().where('tenant_id', '=', tenantId).where('id', '=', learnerId).executeTakeFirst();
  if (!learner) throw new HttpError(404, 'learner_not_found', `learnerId: no learner "${learnerId}" in this tenant`);
  const settings = await settingsOrThrow(context, tenantId);
  if (learner.reminders_opt_out) throw new HttpError(409, 'opted_out', `learnerId: "${learnerId}" asked for no reminders`);
  if (!learner.email) throw new HttpError(422, 'no_email', `email: learner "${learnerId}" has no email address; set one with PUT /learners/${learnerId} or the HR import`);
  const now = clock();
  const s = await learnerStanding(db, tenantId, learnerId, period.name, now);
  if (!s.target) throw new HttpError(409, 'no_target', `period: no target applies to "${learnerId}" in ${period.name}; set one with PUT /targets/${period.name}`);
  const language = learner.language ?? settings.language;
  const facts: LearnerFacts = { name: learner.display_name ?? learnerId, period: period.name, earned: s.earned, target: s.target.total, required: s.target.required, requiredRemaining: s.requiredRemaining, remaining: s.remaining, projected: s.projected, daysLeft: s.daysLeft, ends: endsOn(period) };
  const mail = learnerMail('manual', language, facts, unsubscribeUrl(context, tenantId, learnerId));
  const result = await queueReminder(db, { tenantId, kind: 'manual', learnerId, managerId: null, recipient: learner.email, language, period: period.name, window: reminderWindow('manual', now, settings.deadlineDays), mail, requestedBy: actor }, now);
  if (result.created) context.kickOutbox();
  return result;
}

/** Reminds everyone at risk (in a department, when named), each once a day at most. */
export async function remindAtRisk(context: AppContext, tenantId: string, period: Period, department: string | undefined, actor: string): Promise<RemindBatch> {
  const { db, clock } = context;
  const settings = await settingsOrThrow(context, tenantId);
  const now = clock();
  const rows = await standingRows(db, tenantId, period, now, { statuses: ['at_risk'], department });
  const out: RemindBatch = { period: period.name, department: department ?? null, queued: [], already: [], skipped: [] };
  for (const r of rows) {
    if (r.reminders_opt_out) out.skipped.push({ learnerId: r.id, reason: 'opted_out' });
    else if (!r.email) out.skipped.push({ learnerId: r.id, reason: 'no_email' });
    else {
      const language = r.language ?? settings.language;
      const mail = learnerMail('manual', language, factsOf(r, period, now), unsubscribeUrl(context, tenantId, r.id));
      const { created } = await queueReminder(db, { tenantId, kind: 'manual', learnerId: r.id, managerId: null, recipient: r.email, language, period: period.name, window: reminderWindow('manual', now, settings.deadlineDays), mail, requestedBy: actor }, now);
      (created ? out.queued : out.already).push(r.id);
    }
  }
  if (out.queued.length) context.kickOutbox();
  return out;
}

/**
 * The reminders owed now, in every tenant whose mail is on: a deadline reminder to each learner who
 * has not met their target once the period has `deadlineDays` or fewer left, an at-risk reminder
 * (once a month) before that, a reminder to renew a required certification expiring within
 * `deadlineDays` (once per course and expiry), and each manager's weekly digest of their people at risk. Safe to run
 * in several processes at once: each reminder is queued once by its key, sent once by the outbox.
 */
export async function sweepReminders(context: AppContext): Promise<number> {
  const { db, clock } = context;
  const now = clock();
  const period = periodAt(now);
  const { daysLeft } = periodProgress(period, now);
  const tenants = await db.selectFrom('mail_settings').select('tenant_id').where('enabled', '=', true).execute();
  let queued = 0;
  for (const { tenant_id: tenantId } of tenants) {
    const settings = await transportSettings(db, tenantId, context.secretKey);
    if (!settings) continue;
    const rows = await standingRows(db, tenantId, period, now, { statuses: ['at_risk', 'on_track'] });
    const nearDeadline = daysLeft <= settings.deadlineDays;
    for (const r of rows) {
      const kind: ReminderKind | undefined = nearDeadline ? 'deadline' : r.status === 'at_risk' ? 'at_risk' : undefined;
      if (!kind || r.reminders_opt_out || !r.email) continue;
      const language = r.language ?? settings.language;
      const mail = learnerMail(kind, language, factsOf(r, period, now), unsubscribeUrl(context, tenantId, r.id));
      const { created } = await queueReminder(db, { tenantId, kind, learnerId: r.id, managerId: null, recipient: r.email, language, period: period.name, window: reminderWindow(kind, now, settings.deadlineDays), mail, requestedBy: 'system/reminders' }, now);
      if (created) queued++;
    }
    for (const r of await expiringRows(db, tenantId, period, now, settings.deadlineDays)) {
      const language = r.language ?? settings.language;
      const until = new Date(r.valid_until);
      const facts = { name: r.display_name ?? r.learner_id, course: r.title, lastDay: new Date(until.getTime() - 1).toISOString().slice(0, 10), daysLeft: Math.max(0, Math.ceil((until.getTime() - now.getTime()) / 86_400_000)) };
      const mail = expiringMail(language, facts, unsubscribeUrl(context, tenantId, r.learner_id));
      const window = `${r.course_id}@${until.toISOString().slice(0, 10)}`;
      const { created } = await queueReminder(db, { tenantId, kind: 'expiring', learnerId: r.learner_id, managerId: null, recipient: r.email, language, period: period.name, window, mail, requestedBy: 'system/reminders' }, now);
      if (created) queued++;
    }
    const byManager = new Map<string, StandingRow[]>();
    for (const r of rows) if (r.status === 'at_risk' && r.manager_id && r.manager_email && !r.manager_opt_out) byManager.set(r.manager_id, [...(byManager.get(r.manager_id) ?? []), r]);
    for (const [managerId, people] of byManager) {
      const first = people[0]!;
      const language = first.manager_language ?? settings.language;
      const mail = digestMail(language, {
        managerName: first.manager_name ?? managerId,
        period: period.name,
        daysLeft,
        people: people.map((p) => {
          const f = factsOf(p, period, now);
          return { learnerId: p.id, name: f.name, earned: f.earned, target: f.target, projected: f.projected, requiredRemaining: f.requiredRemaining };
        }),
      });
      const { created } = await queueReminder(db, { tenantId, kind: 'digest', learnerId: null, managerId, recipient: first.manager_email!, language, period: period.name, window: reminderWindow('digest', now, settings.deadlineDays), mail, requestedBy: 'system/reminders' }, now);
      if (created) queued++;
    }
  }
  if (queued) context.kickOutbox();
  return queued;
}

/** Reminders sent, newest first. */
export async function listReminders(db: Db, tenantId: string, filter: { learnerId?: string | undefined; status?: string | undefined; kind?: string | undefined }): Promise<Reminder[]> {
  let q = db.selectFrom('reminders').selectAll().where('tenant_id', '=', tenantId);
  if (filter.status !== undefined) {
    if (!['queued', 'delivered', 'failed'].includes(filter.status)) throw new HttpError(400, 'invalid_input', `status "${filter.status}" must be queued, delivered or failed`);
    q = q.where('status', '=', filter.status as Row['status']);
  }
  if (filter.kind !== undefined) {
    if (!(REMINDER_KINDS as readonly string[]).includes(filter.kind)) throw new HttpError(400, 'invalid_input', `kind "${filter.kind}" must be ${REMINDER_KINDS.slice(0, -1).join(', ')} or ${REMINDER_KINDS.at(-1)}`);
    q = q.where('kind', '=', filter.kind as Row['kind']);
  }
  if (filter.learnerId !== undefined) q = q.where('learner_id', '=', filter.learnerId);
  return (await q.orderBy('created_at', 'desc').orderBy('id').limit(500).execute()).map(toReminder);
}

/** Records a learner's opt-out (from their unsubscribe link). */
export async function optOut(db: Db, tenantId: string, learnerId: string): Promise<boolean> {
  const r = await db.updateTable('learners').set({ reminders_opt_out: true }).where('tenant_id', '=', tenantId).where('id', '=', learnerId).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
