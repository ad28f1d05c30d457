import { courseInput, type PolicyInput } from '@xcredit/sdk/contracts';
import type { z } from 'zod';
import type { Question, ReflectionRequirement } from '@xcredit/sdk/engagement';
import type { Db } from '../db/index.js';
import type { CoursesTable, Database } from '../db/schema.js';
import type { Kysely, Selectable } from 'kysely';
import { HttpError } from '../http-error.js';
import { effectivePolicy } from './policy.js';

export type CourseInput = z.infer<typeof courseInput>;

export interface Course {
  courseId: string;
  title: string;
  activityId: string;
  credits: number;
  kind: 'required' | 'elective';
  lengthSeconds: number;
  videoUrl: string | null;
  policy: ReturnType<typeof effectivePolicy>;
  category: string | null;
  captionsUrl: string | null;
  makeUpFor: string | null;
  /** How long its credits stay valid; null: the credit year (`credits/validity.ts`). */
  validity: { months: number } | null;
  /** With their correct answers: for admins and the server only. */
  questions: Question[];
  /** A reflection the learner writes after viewing; the course credits once a reviewer approves it. */
  reflection: ReflectionRequirement | null;
  updatedAt: string;
}

type CourseRow = Selectable<CoursesTable>;

/** A course row as the API shows it; `tenantPolicy` holds the tenant's defaults. */
export function toCourse(row: CourseRow, tenantPolicy?: Record<string, unknown>): Course {
  return {
    courseId: row.id,
    title: row.title,
    activityId: row.activity_id,
    credits: Number(row.credits),
    kind: row.kind,
    lengthSeconds: Number(row.length_seconds),
    videoUrl: row.video_url,
    policy: effectivePolicy(row.policy, tenantPolicy),
    category: row.category,
    captionsUrl: row.captions_url,
    makeUpFor: row.make_up_for,
    validity: row.validity_months === null || row.validity_months === undefined ? null : { months: Number(row.validity_months) },
    questions: (row.questions ?? []) as Question[],
    reflection: row.reflection ? { minLength: row.reflection.minLength, prompt: row.reflection.prompt ?? null } : null,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** Creates or replaces a course; its activity id must not belong to another course. */
export async function upsertCourse(
  db: Db,
  tenantId: string,
  courseId: string,
  input: CourseInput,
  afterWrite?: (trx: Kysely<Database>, before: Course | undefined, after: Course) => Promise<void>,
): Promise<{ course: Course; created: boolean }> {
  return db.transaction().execute(async (trx) => {
    const clash = await trx
      .selectFrom('courses')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('activity_id', '=', input.activityId)
      .where('id', '!=', courseId)
      .executeTakeFirst();
    if (clash) throw new HttpError(409, 'conflict', `activityId ${input.activityId} already belongs to course "${clash.id}"`);
    const existed = await trx.selectFrom('courses').selectAll().where('tenant_id', '=', tenantId).where('id', '=', courseId).executeTakeFirst();
    const policyOfTenant = await tenantPolicy(trx, tenantId);
    const merged = effectivePolicy(input.policy, policyOfTenant);
    const weightSum = merged.weights.coverage + merged.weights.attention + merged.weights.mastery;
    if (Math.abs(weightSum - 1) > 1e-6) {
      throw new HttpError(400, 'invalid_input', `policy.weights: coverage, attention and mastery must add up to 1 (they add up to ${+weightSum.toFixed(4)})`);
    }
    const values = {
      title: input.title,
      activity_id: input.activityId,
      credits: input.credits,
      kind: input.kind,
      length_seconds: input.lengthSeconds,
      video_url: input.videoUrl ?? null,
      policy: JSON.stringify(input.policy ?? {}),
      category: input.category ?? null,
      captions_url: input.captionsUrl ?? null,
      make_up_for: input.makeUpFor ?? null,
      validity_months: input.validity?.months ?? null,
      questions: JSON.stringify(input.questions ?? []),
      reflection: input.reflection ? JSON.stringify(input.reflection) : null,
    };
    const row = await trx
      .insertInto('courses')
      .values({ tenant_id: tenantId, id: courseId, ...values })
      .onConflict((oc) => oc.columns(['tenant_id', 'id']).doUpdateSet({ ...values, updated_at: new Date() }))
      .returningAll()
      .executeTakeFirstOrThrow();
    const course = toCourse(row, policyOfTenant);
    await afterWrite?.(trx, existed ? toCourse(existed, policyOfTenant) : undefined, course);
    return { course, created: !existed };
  });
}

export async function getCourse(db: Db, tenantId: string, courseId: string): Promise<Course> {
  // One round trip: it runs inside every statement batch's transaction.
  const row = await db
    .selectFrom('courses')
    .innerJoin('tenants', 'tenants.id', 'courses.tenant_id')
    .selectAll('courses')
    .select('tenants.policy as tenant_policy')
    .where('courses.tenant_id', '=', tenantId)
    .where('courses.id', '=', courseId)
    .executeTakeFirst();
  if (!row) throw new HttpError(404, 'course_not_found', `no course "${courseId}" in this tenant`);
  const { tenant_policy, ...course } = row;
  return toCourse(course, tenant_policy ?? {});
}

/** The tenant's policy overrides (defaults for all its courses). */
export async function tenantPolicy(db: Kysely<Database>, tenantId: string): Promise<Record<string, unknown>> {
  const row = await db.selectFrom('tenants').select('policy').where('id', '=', tenantId).executeTakeFirst();
  return row?.policy ?? {};
}

/** Replaces the tenant's policy overrides. */
export async function setTenantPolicy(db: Db, tenantId: string, policy: PolicyInput): Promise<void> {
  await db.updateTable('tenants').set({ policy: JSON.stringify(policy) }).where('id', '=', tenantId).execute();
}
