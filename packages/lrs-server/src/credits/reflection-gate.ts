import type { ReflectionState } from '@xcredit/sdk/engagement';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Course } from '../catalog/courses.js';

type Q = Kysely<Database>;

/**
 * Where one learner's reflection on a course stands, as the reflection gate reads it; `null` when
 * none was written or the course requires none (then no query is made).
 */
export async function reflectionState(db: Q, tenantId: string, learnerId: string, course: Course): Promise<ReflectionState | null> {
  if (!course.reflection) return null;
  const row = await db
    .selectFrom('reflections')
    .select(['status', 'note'])
    .where('tenant_id', '=', tenantId)
    .where('learner_id', '=', learnerId)
    .where('course_id', '=', course.courseId)
    .executeTakeFirst();
  return row ?? null;
}

/** Every reflection of many learners at once, by `tenant|learner|course` (for recompute). */
export async function reflectionStates(db: Q, learners: readonly { tenant_id: string; learner_id: string }[]): Promise<Map<string, ReflectionState>> {
  if (!learners.length) return new Map();
  const rows = await db
    .selectFrom('reflections')
    .select(['tenant_id', 'learner_id', 'course_id', 'status', 'note'])
    .where(sql<boolean>`(tenant_id, learner_id) in (select * from unnest(${learners.map((l) => l.tenant_id)}::text[], ${learners.map((l) => l.learner_id)}::text[]))`)
    .execute();
  return new Map(rows.map((r) => [`${r.tenant_id}|${r.learner_id}|${r.course_id}`, { status: r.status, note: r.note }]));
}
