import { iri } from '@xcredit/sdk/xapi';
import { z } from 'zod';
import type { Question } from '@xcredit/sdk/engagement';
import type { Db } from '../db/index.js';
import type { CoursesTable, Database } from '../db/schema.js';
import type { Kysely, Selectable } from 'kysely';
import { HttpError } from '../http-error.js';
import { effectivePolicy, policyInput } from './policy.js';

export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
export const idText = z.string().regex(ID_RE, 'must be 1–128 letters, digits or . _ : @ - (starting with a letter or digit)');

const text = z.record(z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag like en or zh-CN'), z.string().trim().min(1).max(2000));

export const questionInput = z
  .strictObject({
    id: idTextLoose(),
    at: z.number().min(0, 'must not be negative'),
    type: z.enum(['single-choice', 'multiple-choice', 'true-false', 'fill-in']),
    prompt: text.refine((t) => Object.keys(t).length > 0, 'needs at least one language'),
    choices: z.array(z.strictObject({ id: idTextLoose(), text })).min(2).max(12).optional(),
    correct: z.array(z.string().trim().min(1).max(500)).min(1, 'needs at least one correct answer'),
    answerToContinue: z.boolean().default(false),
    revealAnswer: z.boolean().default(false),
  })
  .superRefine((q, ctx) => {
    const choice = q.type === 'single-choice' || q.type === 'multiple-choice';
    if (choice && !q.choices) ctx.addIssue({ code: 'custom', path: ['choices'], message: `a ${q.type} question needs choices` });
    if (!choice && q.choices) ctx.addIssue({ code: 'custom', path: ['choices'], message: `a ${q.type} question has no choices` });
    if (choice && q.choices) {
      const ids = new Set(q.choices.map((c) => c.id));
      if (ids.size !== q.choices.length) ctx.addIssue({ code: 'custom', path: ['choices'], message: 'choice ids must be unique' });
      for (const c of q.correct) if (!ids.has(c)) ctx.addIssue({ code: 'custom', path: ['correct'], message: `"${c}" is not one of the choice ids` });
    }
    if (q.type === 'single-choice' && q.correct.length !== 1) ctx.addIssue({ code: 'custom', path: ['correct'], message: 'a single-choice question has exactly one correct choice' });
    if (q.type === 'true-false' && (q.correct.length !== 1 || !['true', 'false'].includes(q.correct[0]!))) {
      ctx.addIssue({ code: 'custom', path: ['correct'], message: 'a true-false question is correct with ["true"] or ["false"]' });
    }
  });

function idTextLoose() {
  return z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1–64 letters, digits or . _ -');
}

export const courseInput = z.strictObject({
  title: z.string().trim().min(1, 'must not be empty').max(300),
  activityId: iri,
  credits: z.number().min(0, 'must not be negative').max(1000),
  kind: z.enum(['required', 'elective']),
  lengthSeconds: z.number().positive('must be greater than 0').max(24 * 3600),
  videoUrl: z
    .string()
    .max(2000)
    .refine((s) => s.startsWith('/') || /^https?:\/\//.test(s), 'must be an http(s) URL or a path starting with /')
    .optional(),
  policy: policyInput.optional(),
  category: z.string().trim().min(1).max(100).optional(),
  captionsUrl: z
    .string()
    .max(2000)
    .refine((s) => s.startsWith('/') || /^https?:\/\//.test(s), 'must be an http(s) URL or a path starting with /')
    .optional(),
  /** The offline requirement this course can make up for; it fulfils it once, never twice. */
  makeUpFor: idText.optional(),
  questions: z
    .array(questionInput)
    .max(100)
    .refine((qs) => new Set(qs.map((q) => q.id)).size === qs.length, 'question ids must be unique')
    .optional(),
});
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
  /** With their correct answers: for admins and the server only. */
  questions: Question[];
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
    questions: (row.questions ?? []) as Question[],
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
      questions: JSON.stringify(input.questions ?? []),
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
