import { randomBytes } from 'node:crypto';
import type { certificateInput } from '@xcredit/sdk/contracts';
import type { z } from 'zod';
import { learnerStanding } from '../credits/targets.js';
import type { Db } from '../db/index.js';
import { HttpError } from '../http-error.js';

export type CertificateInput = z.infer<typeof certificateInput>;

export interface Certificate {
  certificateId: string;
  kind: 'course' | 'target';
  learnerId: string;
  learnerName: string;
  courseId: string | null;
  period: string;
  title: string;
  credits: number;
  issuedAt: string;
  issuedBy: string;
  issuer: string;
  pdfUrl: string;
  verifyUrl: string;
}

/** Whether what a certificate attests still holds: credits can be adjusted after it was issued. */
export interface Validity {
  valid: boolean;
  reason: string;
}

/** Unguessable: 144 random bits. */
export const CERTIFICATE_ID = /^[A-Za-z0-9_-]{24}$/;

type Row = { id: string; tenant_id: string; kind: 'course' | 'target'; learner_id: string; learner_name: string; course_id: string | null; period: string; title: string; credits_tenths: number; issued_at: Date; issued_by: string };

function toCertificate(r: Row, issuer: string, publicUrl: string): Certificate {
  return {
    certificateId: r.id,
    kind: r.kind,
    learnerId: r.learner_id,
    learnerName: r.learner_name,
    courseId: r.course_id,
    period: r.period,
    title: r.title,
    credits: r.credits_tenths / 10,
    issuedAt: new Date(r.issued_at).toISOString(),
    issuedBy: r.issued_by,
    issuer,
    pdfUrl: `${publicUrl}/certificates/${r.id}.pdf`,
    verifyUrl: `${publicUrl}/certificates/${r.id}`,
  };
}

/** What the learner has achieved now: the course's credits and gates, or their standing against the target. */
async function achievement(db: Db, tenantId: string, learnerId: string, courseId: string | null, period: string, at: Date): Promise<{ ok: boolean; reason: string; title: string; tenths: number }> {
  if (courseId) {
    const course = await db.selectFrom('courses').select(['title']).where('tenant_id', '=', tenantId).where('id', '=', courseId).executeTakeFirst();
    if (!course) throw new HttpError(404, 'course_not_found', `courseId: no course "${courseId}" in this tenant`);
    const sum = await db
      .selectFrom('ledger')
      .select((eb) => eb.fn.sum<string | number>('amount_tenths').as('tenths'))
      .where('tenant_id', '=', tenantId)
      .where('learner_id', '=', learnerId)
      .where('course_id', '=', courseId)
      .where('period', '=', period)
      .executeTakeFirst();
    const tenths = Number(sum?.tenths ?? 0);
    const eng = await db.selectFrom('engagement').select('gates').where('tenant_id', '=', tenantId).where('learner_id', '=', learnerId).where('course_id', '=', courseId).where('period', '=', period).executeTakeFirst();
    const failed = ((eng?.gates ?? []) as { passed: boolean; reason: string }[]).filter((g) => !g.passed);
    if (tenths <= 0) return { ok: false, reason: `no credits earned for "${course.title}" in ${period}${failed.length ? `: ${failed.map((g) => g.reason).join('; ')}` : ''}`, title: course.title, tenths };
    if (failed.length) return { ok: false, reason: `"${course.title}" has a failed gate: ${failed.map((g) => g.reason).join('; ')}`, title: course.title, tenths };
    return { ok: true, reason: `${tenths / 10} credits earned for "${course.title}" in ${period}, every gate passed`, title: course.title, tenths };
  }
  const s = await learnerStanding(db, tenantId, learnerId, period, at);
  const target = s.target;
  const title = target ? `the ${period} learning target of ${target.total} credits` : `the ${period} learning target`;
  const tenths = Math.round(s.earned * 10);
  if (!target) return { ok: false, reason: `no target applies to this learner in ${period}`, title, tenths };
  if (s.status !== 'met') return { ok: false, reason: `target not met: ${s.earned} of ${target.total} credits (${s.requiredRemaining} required credits missing)`, title, tenths };
  return { ok: true, reason: `${s.earned} credits earned in ${period}; the target is ${target.total} (${target.required} required)`, title, tenths };
}

/**
 * Issues a certificate for a completed course (credits earned, every gate passed) or a met yearly
 * target. Asking again for the same achievement returns the certificate already issued.
 */
export async function issueCertificate(db: Db, tenantId: string, actor: string, input: CertificateInput, publicUrl: string, at: Date): Promise<{ certificate: Certificate; created: boolean }> {
  const learner = await db.selectFrom('learners').select(['id', 'display_name']).where('tenant_id', '=', tenantId).where('id', '=', input.learnerId).executeTakeFirst();
  if (!learner) throw new HttpError(404, 'learner_not_found', `learnerId: no learner "${input.learnerId}" in this tenant`);
  const tenant = await db.selectFrom('tenants').select('name').where('id', '=', tenantId).executeTakeFirstOrThrow();
  const got = await achievement(db, tenantId, input.learnerId, input.courseId ?? null, input.period, at);
  if (!got.ok) throw new HttpError(409, 'not_earned', `${input.courseId ? 'courseId' : 'period'}: ${got.reason}`);
  const existing = async () => {
    let q = db.selectFrom('certificates').selectAll().where('tenant_id', '=', tenantId).where('learner_id', '=', input.learnerId).where('period', '=', input.period);
    q = input.courseId ? q.where('course_id', '=', input.courseId) : q.where('kind', '=', 'target');
    return q.executeTakeFirst();
  };
  const found = await existing();
  if (found) return { certificate: toCertificate(found, tenant.name, publicUrl), created: false };
  // A unique index keeps one certificate per achievement; a request that lost a race returns the winner's.
  const row = await db
    .insertInto('certificates')
    .values({
      tenant_id: tenantId,
      id: randomBytes(18).toString('base64url'),
      learner_id: input.learnerId,
      course_id: input.courseId ?? null,
      period: input.period,
      kind: input.courseId ? 'course' : 'target',
      learner_name: learner.display_name ?? learner.id,
      title: got.title,
      credits_tenths: got.tenths,
      issued_at: at,
      issued_by: actor,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) return { certificate: toCertificate((await existing())!, tenant.name, publicUrl), created: false };
  return { certificate: toCertificate(row, tenant.name, publicUrl), created: true };
}

/** A certificate by its id, with whether it still holds; null when there is none. */
export async function findCertificate(db: Db, id: string, publicUrl: string, at: Date): Promise<{ certificate: Certificate; validity: Validity } | null> {
  if (!CERTIFICATE_ID.test(id)) return null;
  const row = await db.selectFrom('certificates').innerJoin('tenants', 'tenants.id', 'certificates.tenant_id').selectAll('certificates').select('tenants.name as issuer').where('certificates.id', '=', id).executeTakeFirst();
  if (!row) return null;
  const now = await achievement(db, row.tenant_id, row.learner_id, row.course_id, row.period, at).catch((err: unknown) => {
    if (err instanceof HttpError && err.status === 404) return { ok: false, reason: 'the course no longer exists', title: row.title, tenths: 0 };
    throw err;
  });
  return { certificate: toCertificate(row, row.issuer, publicUrl), validity: { valid: now.ok, reason: now.ok ? now.reason : `no longer valid: ${now.reason}` } };
}
