import { createHmac, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import JSZip from 'jszip';
import { z } from 'zod';
import { idText } from '@xcredit/sdk/contracts';
import { requireScope } from '../auth/principal.js';
import { getCourse, type Course } from '../catalog/courses.js';
import type { AppContext } from '../context.js';
import { pathParam, queryInput } from '../http-input.js';
import { HttpError } from '../http-error.js';

/** What a course token vouches for: a tenant's course, and (when pinned) the one LMS it may run under. */
export interface CourseToken {
  tenantId: string;
  courseId: string;
  /** The LMS's xAPI endpoint origin the AU must be launched with; any LMS when absent. */
  lms?: string;
}

const PREFIX = 'c1';

const mac = (secretKey: string, payload: string) => createHmac('sha256', secretKey).update(`cmi5-course\n${payload}`).digest('base64url');

/**
 * The course token of a cmi5 package's AU URL: `c1.<payload>.<HMAC-SHA256>` signed with the
 * server's secret key. It names a tenant and a course (and an LMS when pinned), never a learner.
 *
 * @example
 * const xc = signCourseToken(secretKey, { tenantId: 'default', courseId: 'intro-101' });
 */
export function signCourseToken(secretKey: string, token: CourseToken): string {
  const payload = Buffer.from(JSON.stringify({ t: token.tenantId, c: token.courseId, ...(token.lms ? { l: token.lms } : {}) })).toString('base64url');
  return `${PREFIX}.${payload}.${mac(secretKey, payload)}`;
}

/**
 * The tenant and course a course token names; a 403 naming `course` when it is not one this
 * server signed, or was changed after.
 *
 * @example
 * const { tenantId, courseId } = verifyCourseToken(secretKey, req.body.course);
 */
export function verifyCourseToken(secretKey: string, value: string): CourseToken {
  const [prefix, payload, signature, ...rest] = value.split('.');
  const refused = () => new HttpError(403, 'invalid_course_token', 'course: this course token was not signed by this server, or was changed; import the course package again (GET /api/v1/courses/{id}/cmi5.zip)');
  if (prefix !== PREFIX || !payload || !signature || rest.length) throw refused();
  const expected = Buffer.from(mac(secretKey, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw refused();
  const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { t: string; c: string; l?: string };
  return { tenantId: body.t, courseId: body.c, ...(body.l ? { lms: body.l } : {}) };
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The cmi5 course structure (cmi5.xml) of a one-AU course: the course's activity id is the AU's
 * publisher id (an LMS sends it back in its context template's grouping), moveOn Completed.
 */
export function courseStructure(course: Pick<Course, 'activityId' | 'title'>, auUrl: string): string {
  const title = `<title><langstring lang="en-US">${xml(course.title)}</langstring></title>`;
  const description = `<description><langstring lang="en-US">${xml(course.title)}</langstring></description>`;
  return `<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="${xml(`${course.activityId}/cmi5-course`)}">
    ${title}
    ${description}
  </course>
  <au id="${xml(course.activityId)}" moveOn="Completed" launchMethod="AnyWindow">
    ${title}
    ${description}
    <url>${xml(auUrl)}</url>
  </au>
</courseStructure>
`;
}

/**
 * The cmi5 package of a course: a zip holding cmi5.xml, whose AU URL is this server's `/cmi5/au`
 * with the signed course token.
 *
 * @example
 * const zip = await coursePackage(course, 'https://credits.example.com', xc);
 */
export async function coursePackage(course: Pick<Course, 'activityId' | 'title'>, publicUrl: string, courseToken: string): Promise<Buffer> {
  const auUrl = `${publicUrl.replace(/\/+$/, '')}/cmi5/au?${new URLSearchParams({ xc: courseToken })}`;
  const zip = new JSZip();
  // A fixed date: the same course exports the same bytes.
  zip.file('cmi5.xml', courseStructure(course, auUrl), { date: new Date(Date.UTC(2020, 0, 1)) });
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

/** `?lms=`: pins the package to one LMS, by the origin of its xAPI endpoint. */
export const cmi5PackageQuery = z.strictObject({
  lms: z
    .url({ protocol: /^https?$/, error: 'must be the http(s) origin of the LMS\'s xAPI endpoint' })
    .max(2000)
    // Refinements run after a failed check too: an unparsable value is the url check's to report.
    .refine((u) => !URL.canParse(u) || (new URL(u).pathname === '/' && !new URL(u).search && !new URL(u).hash), 'must be an origin only (https://lms.example.com)')
    .transform((u) => new URL(u).origin)
    .optional()
    .describe('The origin of the LMS whose xAPI endpoint the AU must be launched with, e.g. https://lms.example.com; any LMS when left out'),
});

/**
 * `GET /api/v1/courses/{courseId}/cmi5.zip` (credits/admin): the course as a cmi5 package any
 * cmi5 LMS imports; `?lms=https://lms.example.com` pins the package to the LMS whose xAPI
 * endpoint is on that origin.
 *
 * @example
 * api.use(cmi5PackageRouter(context));
 */
export function cmi5PackageRouter({ db, config, secretKey }: AppContext): Router {
  const router = Router();
  router.get('/courses/:courseId/cmi5.zip', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    const courseId = pathParam(req, 'courseId', idText);
    const { lms } = queryInput(req, cmi5PackageQuery);
    const course = await getCourse(db, p.tenant.id, courseId);
    const token = signCourseToken(secretKey, { tenantId: p.tenant.id, courseId: course.courseId, ...(lms ? { lms } : {}) });
    const zip = await coursePackage(course, config.publicUrl, token);
    res.set({ 'Content-Type': 'application/zip', 'Content-Disposition': `attachment; filename="${course.courseId}-cmi5.zip"`, 'Cache-Control': 'no-store' }).send(zip);
  });
  return router;
}
