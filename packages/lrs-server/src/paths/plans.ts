import { randomUUID } from 'node:crypto';
import type { ImprovementPlan } from '@xcredit/sdk/contracts';
import type { Selectable } from 'kysely';
import type { AppContext } from '../context.js';
import { learnerStanding } from '../credits/targets.js';
import type { Db } from '../db/index.js';
import type { ImprovementPlanMilestonesTable, ImprovementPlansTable, PlanMail } from '../db/schema.js';
import { HttpError } from '../http-error.js';
import type { Period } from '../period.js';
import { queueReminderIn, settingsOrThrow, unsubscribeUrl } from '../reminders/reminders.js';
import { planMail, type Lang } from '../reminders/templates.js';
import { creditedCourses, lastDayOf, learnerOrThrow, learningPath } from './paths.js';

type PlanRow = Selectable<ImprovementPlansTable>;
type MilestoneRow = Selectable<ImprovementPlanMilestonesTable>;

/** A plan as the API shows it: each milestone done (credited), overdue (its day is past) or due. */
function toPlan(p: PlanRow, milestones: MilestoneRow[], credited: Map<string, Date>, today: string): ImprovementPlan {
  const shown = milestones
    .sort((a, b) => a.position - b.position)
    .map((m) => {
      const at = credited.get(m.course_id);
      return { courseId: m.course_id, title: m.title, kind: m.kind, credits: m.credits_tenths / 10, dueOn: m.due_on, status: at ? ('done' as const) : m.due_on < today ? ('overdue' as const) : ('due' as const), creditedAt: at ? at.toISOString() : null };
    });
  return {
    planId: p.id,
    learnerId: p.learner_id,
    period: p.period,
    note: p.note,
    maxMinutesPerWeek: p.max_minutes_per_week,
    reachable: p.reachable,
    createdBy: p.created_by,
    createdAt: new Date(p.created_at).toISOString(),
    done: shown.filter((m) => m.status === 'done').length,
    overdue: shown.filter((m) => m.status === 'overdue').length,
    milestones: shown,
    mails: p.mails as unknown as PlanMail[],
  };
}

/** A learner's improvement plans, newest first, tracked against their ledger now. */
export async function listPlans(db: Db, tenantId: string, learnerId: string, now: Date): Promise<ImprovementPlan[]> {
  await learnerOrThrow(db, tenantId, learnerId);
  const plans = await db.selectFrom('improvement_plans').selectAll().where('tenant_id', '=', tenantId).where('learner_id', '=', learnerId).orderBy('created_at', 'desc').execute();
  if (!plans.length) return [];
  const milestones = await db
    .selectFrom('improvement_plan_milestones')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where(
      'plan_id',
      'in',
      plans.map((p) => p.id),
    )
    .execute();
  const today = now.toISOString().slice(0, 10);
  const out: ImprovementPlan[] = [];
  for (const p of plans) out.push(toPlan(p, milestones.filter((m) => m.plan_id === p.id), await creditedCourses(db, tenantId, learnerId, p.period), today));
  return out;
}

/**
 * Makes an improvement plan for a learner at risk from their learning path, and mails it to them
 * and their manager through the reminders outbox, all in one transaction. One plan per learner and
 * period: asking again returns the plan made before (`created: false`) and sends nothing.
 */
export async function createPlan(context: AppContext, tenantId: string, learnerId: string, period: Period, input: { maxMinutesPerWeek: number; note?: string | undefined }, actor: string): Promise<{ plan: ImprovementPlan; created: boolean }> {
  const { db, clock } = context;
  const now = clock();
  const learner = await learnerOrThrow(db, tenantId, learnerId);
  const existing = await db.selectFrom('improvement_plans').select('id').where('tenant_id', '=', tenantId).where('learner_id', '=', learnerId).where('period', '=', period.name).executeTakeFirst();
  if (existing) return { plan: (await listPlans(db, tenantId, learnerId, now)).find((p) => p.planId === existing.id)!, created: false };
  const standing = await learnerStanding(db, tenantId, learnerId, period.name, now);
  if (standing.status !== 'at_risk') throw new HttpError(409, 'not_at_risk', `learnerId: "${learnerId}" is ${standing.status.replace('_', ' ')} in ${period.name}; improvement plans are for learners at risk`);
  const settings = await settingsOrThrow(context, tenantId);
  const path = await learningPath(db, tenantId, learnerId, period, now, input.maxMinutesPerWeek);
  if (!path.steps.length) throw new HttpError(409, 'no_courses', `catalog: no course in the catalog can bring "${learnerId}" closer to the ${period.name} target`);

  const manager = learner.manager_id ? await db.selectFrom('learners').selectAll().where('tenant_id', '=', tenantId).where('id', '=', learner.manager_id).executeTakeFirst() : undefined;
  const managerEmail = manager?.email ?? learner.manager_email;
  const planId = randomUUID();
  const facts = (reader: 'learner' | 'manager') => ({
    name: learner.display_name ?? learnerId,
    reader,
    managerName: manager?.display_name ?? learner.manager_id ?? undefined,
    period: period.name,
    earned: path.earned,
    target: path.target?.total ?? 0,
    ends: lastDayOf(period),
    reachable: path.reachable,
    note: input.note ?? null,
    milestones: path.steps.map((s) => ({ title: s.title, credits: s.credits, dueOn: s.dueOn, kind: s.kind })),
  });

  const result = await db.transaction().execute(async (trx) => {
    const mails: PlanMail[] = [];
    const row = await trx
      .insertInto('improvement_plans')
      .values({ tenant_id: tenantId, id: planId, learner_id: learnerId, period: period.name, note: input.note ?? null, max_minutes_per_week: input.maxMinutesPerWeek, reachable: path.reachable, mails: '[]', created_by: actor, created_at: now })
      .onConflict((oc) => oc.columns(['tenant_id', 'learner_id', 'period']).doNothing())
      .returningAll()
      .executeTakeFirst();
    // Another request made the plan first: it sent the mails.
    if (!row) return undefined;
    await trx
      .insertInto('improvement_plan_milestones')
      .values(path.steps.map((s, i) => ({ tenant_id: tenantId, plan_id: planId, position: i + 1, course_id: s.courseId, title: s.title, kind: s.kind, credits_tenths: Math.round(s.credits * 10), due_on: s.dueOn })))
      .execute();
    const send = async (to: 'learner' | 'manager', recipient: string | null, optedOut: boolean, language: Lang) => {
      if (optedOut) return void mails.push({ to, status: 'opted_out', reminderId: null });
      if (!recipient) return void mails.push({ to, status: 'no_email', reminderId: null });
      const mail = to === 'learner' ? planMail(language, facts('learner'), unsubscribeUrl(context, tenantId, learnerId)) : planMail(language, facts('manager'));
      const { reminder } = await queueReminderIn(
        trx,
        { tenantId, kind: 'plan', learnerId: to === 'learner' ? learnerId : null, managerId: to === 'manager' ? (learner.manager_id ?? `of:${learnerId}`) : null, recipient, language, period: period.name, window: `${planId}:${to}`, mail, requestedBy: actor },
        now,
      );
      mails.push({ to, status: 'queued', reminderId: reminder.reminderId });
    };
    await send('learner', learner.email, learner.reminders_opt_out, learner.language ?? settings.language);
    if (learner.manager_id || learner.manager_email) await send('manager', managerEmail, manager?.reminders_opt_out ?? false, manager?.language ?? settings.language);
    else mails.push({ to: 'manager', status: 'no_email', reminderId: null });
    await trx.updateTable('improvement_plans').set({ mails: JSON.stringify(mails) }).where('tenant_id', '=', tenantId).where('id', '=', planId).execute();
    return mails;
  });
  if (!result) return createPlan(context, tenantId, learnerId, period, input, actor);
  if (result.some((m) => m.status === 'queued')) context.kickOutbox();
  const plan = (await listPlans(db, tenantId, learnerId, now)).find((p) => p.planId === planId)!;
  return { plan, created: true };
}
