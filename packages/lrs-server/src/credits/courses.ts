import { iri } from '@xcredit/sdk/xapi';
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { effectivePolicy, policyInput } from './policy.js';

export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
export const idText = z.string().regex(ID_RE, 'must be 1–128 letters, digits or . _ : @ - (starting with a letter or digit)');

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
  updatedAt: string;
}

type CourseRow = {
  id: string;
  title: string;
  activity_id: string;
  credits: number;
  kind: 'required' | 'elective';
  length_seconds: number;
  video_url: string | null;
  policy: Record<string, unknown>;
  updated_at: Date;
};

export function toCourse(row: CourseRow): Course {
  return {
    courseId: row.id,
    title: row.title,
    activityId: row.activity_id,
    credits: Number(row.credits),
    kind: row.kind,
    lengthSeconds: Number(row.length_seconds),
    videoUrl: row.video_url,
    policy: effectivePolicy(row.policy),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** Creates or replaces a course; its activity id must not belong to another course. */
export async function upsertCourse(db: Db, tenantId: string, courseId: string, input: CourseInput): Promise<{ course: Course; created: boolean }> {
  return db.transaction().execute(async (trx) => {
    const clash = await trx
      .selectFrom('courses')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('activity_id', '=', input.activityId)
      .where('id', '!=', courseId)
      .executeTakeFirst();
    if (clash) throw new HttpError(409, 'conflict', `activityId ${input.activityId} already belongs to course "${clash.id}"`);
    const existed = await trx.selectFrom('courses').select('id').where('tenant_id', '=', tenantId).where('id', '=', courseId).executeTakeFirst();
    const values = {
      title: input.title,
      activity_id: input.activityId,
      credits: input.credits,
      kind: input.kind,
      length_seconds: input.lengthSeconds,
      video_url: input.videoUrl ?? null,
      policy: JSON.stringify(input.policy ?? {}),
    };
    const row = await trx
      .insertInto('courses')
      .values({ tenant_id: tenantId, id: courseId, ...values })
      .onConflict((oc) => oc.columns(['tenant_id', 'id']).doUpdateSet({ ...values, updated_at: new Date() }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return { course: toCourse(row), created: !existed };
  });
}

export async function getCourse(db: Db, tenantId: string, courseId: string): Promise<Course> {
  const row = await db.selectFrom('courses').selectAll().where('tenant_id', '=', tenantId).where('id', '=', courseId).executeTakeFirst();
  if (!row) throw new HttpError(404, 'course_not_found', `no course "${courseId}" in this tenant`);
  return toCourse(row);
}
