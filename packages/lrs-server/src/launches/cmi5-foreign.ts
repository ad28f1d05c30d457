import { z } from 'zod';
import { idText } from '@xcredit/sdk/contracts';
import type { Tenant } from '../auth/principal.js';
import { getCourse } from '../catalog/courses.js';
import type { CreditEvents } from '../credits/ledger.js';
import type { Db } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { fetchJson, OutboundError, type OutboundPolicy } from '../net/outbound.js';
import { verifyCourseToken } from './cmi5-package.js';
import { createLaunch } from './launches.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000);

/** `POST /cmi5/foreign-launches`: what an AU launched by another LMS sends to get a player session. */
export const foreignLaunchInput = z.strictObject({
  /** The signed course token of the AU URL (`xc`). */
  course: z.string().min(1).max(2000),
  /** The LMS's xAPI endpoint, from the launch URL. */
  endpoint: httpUrl,
  /** The Authorization header the LMS's fetch URL gave (`Basic …`): it proves the launch to the LMS's LRS. */
  authToken: z.string().regex(/^Basic [A-Za-z0-9+/=]+$/, 'must be the `Basic …` credential the fetch URL returned').max(4000),
  actor: z.union([
    z.object({ account: z.strictObject({ homePage: httpUrl, name: z.string().min(1).max(200) }) }).loose(),
    z.object({ mbox: z.string().regex(/^mailto:[^@\s]+@[^@\s]+$/, 'must be mailto:name@host') }).loose(),
  ], { error: 'must be an Agent with an account or an mbox' }),
  registration: z.uuid({ error: 'must be a UUID' }),
  activityId: httpUrl,
});

export type ForeignLaunchInput = z.infer<typeof foreignLaunchInput>;

/** The xcredit learner id of an LMS's actor: its account name, or the address of its mbox. */
export function learnerIdOf(actor: ForeignLaunchInput['actor']): string {
  const { account, mbox } = actor as { account?: { name: string }; mbox?: string };
  const id = account ? account.name : (mbox ?? '').slice('mailto:'.length);
  if (!idText.safeParse(id).success) {
    throw new HttpError(400, 'invalid_input', `actor: the LMS's learner id ${JSON.stringify(id.slice(0, 100))} is not usable as an xcredit learner id (1–128 letters, digits or . _ : @ -)`);
  }
  return id;
}

/**
 * A launch for an AU another LMS launched. Trust: the course token (signed by this server) vouches
 * for tenant and course, and pins the LMS when the package was exported for one; the LMS vouches
 * for the actor: its LRS must serve `LMS.LaunchData` for this actor, registration and activity with
 * the fetch URL's credential, and name the course as the AU's publisher id in its context template.
 * The launch is recorded with the LMS, its registration and actor, in one transaction.
 */
export async function createForeignLaunch(db: Db, events: CreditEvents, secretKey: string, outbound: OutboundPolicy, input: ForeignLaunchInput, publicUrl: string, at: Date) {
  const token = verifyCourseToken(secretKey, input.course);
  const endpoint = input.endpoint.replace(/\/+$/, '');
  if (token.lms && new URL(endpoint).origin !== token.lms) {
    throw new HttpError(403, 'lms_not_allowed', `endpoint: this course package was exported for the LMS at ${token.lms}, not ${new URL(endpoint).origin}`);
  }
  const row = await db.selectFrom('tenants').select(['id', 'home_page']).where('id', '=', token.tenantId).executeTakeFirst();
  if (!row) throw new HttpError(403, 'invalid_course_token', 'course: the tenant this course token names no longer exists');
  const tenant: Tenant = { id: row.id, homePage: row.home_page };
  const course = await getCourse(db, tenant.id, token.courseId);
  const learnerId = learnerIdOf(input.actor);
  const q = new URLSearchParams({ stateId: 'LMS.LaunchData', activityId: input.activityId, agent: JSON.stringify(input.actor), registration: input.registration });
  let launchData: unknown;
  try {
    launchData = await fetchJson(outbound, `${endpoint}/activities/state?${q}`, { headers: { Authorization: input.authToken, 'X-Experience-API-Version': '1.0.3', Accept: 'application/json' } });
  } catch (err) {
    if (!(err instanceof OutboundError)) throw err;
    throw new HttpError(403, 'lms_did_not_confirm', `authToken: the LMS at ${endpoint} did not confirm this launch (LMS.LaunchData: ${err.message})`);
  }
  const grouping = (launchData as { contextTemplate?: { contextActivities?: { grouping?: unknown } } } | null)?.contextTemplate?.contextActivities?.grouping;
  const ids = (Array.isArray(grouping) ? grouping : grouping ? [grouping] : []).map((a) => (a as { id?: unknown })?.id);
  if (!ids.includes(course.activityId)) {
    throw new HttpError(403, 'lms_did_not_confirm', `activityId: the LMS's LMS.LaunchData does not name this course (${course.activityId}) as the AU's publisher id in contextTemplate.contextActivities.grouping`);
  }
  const launch = await createLaunch(db, events, tenant, { learnerId, courseId: course.courseId }, publicUrl, at, (trx, registration) =>
    trx
      .insertInto('cmi5_foreign_launches')
      .values({ tenant_id: tenant.id, registration, lms_endpoint: endpoint, lms_registration: input.registration, lms_activity_id: input.activityId, lms_actor: JSON.stringify(input.actor), created_at: at })
      .execute(),
  );
  return { launchToken: launch.launchToken, registration: launch.registration, learnerId, courseId: course.courseId, expiresAt: launch.expiresAt };
}
