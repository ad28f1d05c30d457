import { ensureTenant, DEFAULT_TENANT } from './auth/clients.js';
import { upsertCourse } from './catalog/courses.js';
import type { Db } from './db/index.js';

export const DEMO = {
  tenantId: DEFAULT_TENANT.id,
  learnerId: 'demo-learner',
  courseId: 'demo-safety-101',
} as const;

/** Seeds the demo tenant, course and learner; running it again changes nothing. */
export async function seedDemo(db: Db): Promise<typeof DEMO> {
  await ensureTenant(db, DEFAULT_TENANT);
  await upsertCourse(db, DEMO.tenantId, DEMO.courseId, {
    title: 'Workplace safety in 15 seconds',
    activityId: 'https://xcredit.dev/demo/courses/safety-101',
    credits: 2,
    kind: 'required',
    lengthSeconds: 15,
    videoUrl: '/media/demo.mp4',
  });
  await db.insertInto('learners').values({ tenant_id: DEMO.tenantId, id: DEMO.learnerId }).onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing()).execute();
  return DEMO;
}
