import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { sha256, newToken } from '../auth/secrets.js';
import type { Tenant } from '../auth/principal.js';
import type { Db } from '../db/index.js';
import { learnerActor } from '../xapi/actors.js';
import { getCourse, idText } from './courses.js';

export const launchInput = z.strictObject({
  learnerId: idText,
  courseId: idText,
  /** How long the launch token lives, in seconds (default 4 hours, at most 24). */
  ttlSeconds: z.number().int().min(60).max(24 * 3600).optional(),
});
export type LaunchInput = z.infer<typeof launchInput>;

export interface Launch {
  launchToken: string;
  registration: string;
  actor: ReturnType<typeof learnerActor>;
  activityId: string;
  playerUrl: string;
  expiresAt: string;
}

const DEFAULT_TTL_SECONDS = 4 * 3600;

/**
 * Starts a learning session for one learner and one course. The learner is registered on
 * first launch (HR systems own the learner list; xcredit learns ids as they arrive).
 */
export async function createLaunch(db: Db, tenant: Tenant, input: LaunchInput, publicUrl: string): Promise<Launch> {
  const course = await getCourse(db, tenant.id, input.courseId);
  const token = newToken();
  const registration = randomUUID();
  const expiresAt = new Date(Date.now() + (input.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000);
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('learners').values({ tenant_id: tenant.id, id: input.learnerId }).onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing()).execute();
    await trx
      .insertInto('launches')
      .values({ tenant_id: tenant.id, registration, token_hash: sha256(token), learner_id: input.learnerId, course_id: course.courseId, expires_at: expiresAt })
      .execute();
  });
  return {
    launchToken: token,
    registration,
    actor: learnerActor(tenant.homePage, input.learnerId),
    activityId: course.activityId,
    // The token rides in the fragment, which browsers never send to servers or in Referer.
    playerUrl: `${publicUrl}/play#token=${encodeURIComponent(token)}`,
    expiresAt: expiresAt.toISOString(),
  };
}
