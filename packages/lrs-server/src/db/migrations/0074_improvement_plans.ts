import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * Improvement plans for learners at risk: one per learner and period, made from their learning
 * path, with its milestones (a course and the day to finish it by) and the mails it sent; the
 * reminders log accepts plan mails.
 */
export const improvementPlans: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `create table improvement_plans (
        tenant_id text not null references tenants(id), id uuid not null, learner_id text not null, period text not null,
        note text, max_minutes_per_week integer not null check (max_minutes_per_week between 15 and 3000), reachable boolean not null,
        mails jsonb not null default '[]', created_by text not null, created_at timestamptz not null default now(),
        primary key (tenant_id, id))`,
      `create unique index improvement_plans_once on improvement_plans (tenant_id, learner_id, period)`,
      `create table improvement_plan_milestones (
        tenant_id text not null, plan_id uuid not null, position integer not null, course_id text not null, title text not null,
        kind text not null check (kind in ('required', 'elective')), credits_tenths integer not null,
        due_on text not null check (due_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
        primary key (tenant_id, plan_id, position),
        foreign key (tenant_id, plan_id) references improvement_plans (tenant_id, id))`,
      `alter table reminders drop constraint reminders_kind_check`,
      `alter table reminders add constraint reminders_kind_check check (kind in ('deadline', 'at_risk', 'manual', 'digest', 'plan'))`,
    ]);
  },
};
