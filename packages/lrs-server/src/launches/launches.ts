import { randomUUID } from 'node:crypto';
import type { launchInput } from '@xcredit/sdk/contracts';
import type { z } from 'zod';
import { sha256, newToken } from '../auth/secrets.js';
import type { Tenant } from '../auth/principal.js';
import type { Transaction } from 'kysely';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema.js';
import { learnerActor } from '../xapi/actors.js';
import { HttpError } from '../http-error.js';
import { getCourse } from '../catalog/courses.js';
import { refreshEngagement } from '../credits/engagement.js';
import { periodAt } from '../period.js';
import { lockLearner, type CreditEvents } from '../credits/ledger.js';

export type LaunchInput = z.infer<typeof launchInput>;

export interface Launch {
  launchToken: string;
  registration: string;
  actor: ReturnType<typeof learnerActor>;
  activityId: string;
  playerUrl: string;
  /** The learner's check-in page for the course's offline training sessions, holding this launch. */
  checkinUrl: string;
  expiresAt: string;
}

const DEFAULT_TTL_SECONDS = 4 * 3600;
/** A session that sent a heartbeat this recently is active. */
export const ACTIVE_WITHIN_MS = 45_000;

/**
 * Starts a learning session for one learner and one course. The learner is registered on
 * first launch (HR systems own the learner list; xcredit learns ids as they arrive).
 */
export async function createLaunch(
  db: Db,
  events: CreditEvents,
  tenant: Tenant,
  input: LaunchInput,
  publicUrl: string,
  at: Date,
  /** What must be written with the launch, in its transaction (a cmi5 launch from another LMS records that LMS). */
  alongside?: (trx: Transaction<Database>, registration: string) => Promise<unknown>,
): Promise<Launch> {
  const course = await getCourse(db, tenant.id, input.courseId);
  const learner = await db.selectFrom('learners').select('id').where('tenant_id', '=', tenant.id).where('id', '=', input.learnerId).executeTakeFirst();
  const token = newToken();
  const registration = randomUUID();
  const expiresAt = new Date(at.getTime() + (input.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000);
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('learners').values({ tenant_id: tenant.id, id: input.learnerId }).onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing()).execute();
    if (learner) await lockLearner(trx, tenant.id, input.learnerId);
    const now = at;
    const others = trx
      .selectFrom('launches')
      .select(['registration', 'last_heartbeat_at'])
      .where('tenant_id', '=', tenant.id)
      .where('learner_id', '=', input.learnerId)
      .where('course_id', '=', course.courseId)
      .where('ended_at', 'is', null)
      .where('superseded_at', 'is', null)
      .where('expires_at', '>', now);
    if (course.policy.sessionMode === 'refuse') {
      const active = await others.where('last_heartbeat_at', '>', new Date(now.getTime() - ACTIVE_WITHIN_MS)).executeTakeFirst();
      if (active) {
        throw new HttpError(409, 'session_active', `learner "${input.learnerId}" is already studying "${course.courseId}" in another session, and this course allows one at a time`);
      }
    } else {
      const older = await others.execute();
      if (older.length) {
        await trx
          .updateTable('launches')
          .set({ superseded_at: now })
          .where('tenant_id', '=', tenant.id)
          .where('registration', 'in', older.map((o) => o.registration))
          .execute();
        // Time after the takeover no longer counts: the older sessions' credit may shrink.
        await refreshEngagement(trx, tenant.id, input.learnerId, course.courseId, periodAt(now).name, { actor: 'engine', events });
      }
    }
    await trx
      .insertInto('launches')
      .values({ tenant_id: tenant.id, registration, token_hash: sha256(token), learner_id: input.learnerId, course_id: course.courseId, expires_at: expiresAt, created_at: at })
      .execute();
    await alongside?.(trx, registration);
  });
  return {
    launchToken: token,
    registration,
    actor: learnerActor(tenant.homePage, input.learnerId),
    activityId: course.activityId,
    // The token rides in the fragment, which browsers never send to servers or in Referer.
    playerUrl: `${publicUrl}/play#token=${encodeURIComponent(token)}`,
    checkinUrl: `${publicUrl}/checkin#token=${encodeURIComponent(token)}`,
    expiresAt: expiresAt.toISOString(),
  };
}

/**
 * A launch a page may hand out again (a reload, the same visitor coming back): the launch its
 * token names, for this course, not taken over and valid for at least `minLeftMs` more. A launch
 * ended by `terminated` (the previous page's pagehide) still serves: its player opens a new session.
 */
export async function reusableLaunch(db: Db, tenantId: string, courseId: string, token: string | undefined, at: Date, minLeftMs = 10 * 60_000) {
  if (!token) return undefined;
  const row = await db
    .selectFrom('launches')
    .select(['learner_id', 'registration', 'expires_at'])
    .where('tenant_id', '=', tenantId)
    .where('course_id', '=', courseId)
    .where('token_hash', '=', sha256(token))
    .where('superseded_at', 'is', null)
    .where('expires_at', '>', new Date(at.getTime() + minLeftMs))
    .executeTakeFirst();
  return row && { launchToken: token, learnerId: row.learner_id, registration: row.registration, expiresAt: new Date(row.expires_at) };
}
