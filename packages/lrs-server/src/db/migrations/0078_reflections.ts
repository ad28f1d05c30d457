import type { Kysely, Migration } from 'kysely';
import { runAll } from './run-all.js';

/**
 * Reflections: a course may require a written reflection after viewing (`courses.reflection`:
 * minimum length and prompt); one reflection per learner and course, reviewed by a manager or HR,
 * and its history (submitted, returned, approved) kept append-only.
 */
export const reflections: Migration = {
  async up(db: Kysely<any>) {
    await runAll(db, [
      `alter table courses add column reflection jsonb`,
      `create table reflections (
        tenant_id text not null, learner_id text not null, course_id text not null, text text not null,
        status text not null check (status in ('submitted', 'approved', 'returned')),
        submitted_at timestamptz not null, reviewed_at timestamptz, reviewer text, note text,
        primary key (tenant_id, learner_id, course_id),
        foreign key (tenant_id, learner_id) references learners (tenant_id, id),
        foreign key (tenant_id, course_id) references courses (tenant_id, id))`,
      `create index reflections_status on reflections (tenant_id, status, submitted_at)`,
      `create table reflection_events (
        tenant_id text not null, id bigserial not null, learner_id text not null, course_id text not null,
        action text not null check (action in ('submitted', 'approved', 'returned')), actor text not null,
        text text, note text, at timestamptz not null default now(),
        primary key (tenant_id, id))`,
      `create index reflection_events_of on reflection_events (tenant_id, learner_id, course_id, id)`,
    ]);
  },
};
