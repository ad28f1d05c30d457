import type { Request, Response } from 'express';
import { ID_RE } from '@xcredit/sdk/contracts';
import { getCourse, type Course } from '../catalog/courses.js';
import { learnerCredits } from '../credits/engagement.js';
import { createLaunch } from '../launches/launches.js';
import type { Db } from '../db/index.js';
import { HttpError } from '../http-error.js';
import { periodAt } from '../period.js';
import { describeTokenError, LaunchError, sendLaunchError } from './errors.js';
import { progressOf } from './grades.js';
import type { LtiContext } from './context.js';
import { learnerIdOf } from './learner-id.js';
import type { IdToken } from './ltijs.js';
import { reportPage, type ReportRow } from './pages.js';
import { platformByIssuer, rememberLauncher, type Platform } from './platforms.js';
import { syncRoster } from './roster.js';
import { ltiDb } from './tables.js';
import { hasTrainingSessions } from '../attendance/sessions.js';

const INSTRUCTOR_ROLES = /(?:^|#|\/)(Instructor|Administrator|ContentDeveloper|TeachingAssistant)$/;

/** Whether the launch's roles make the user a teacher of the context. */
export function isInstructor(roles: readonly string[] | undefined): boolean {
  return (roles ?? []).some((r) => INSTRUCTOR_ROLES.test(r));
}

/**
 * The platform and tenant of a verified launch, with its deployment checked. Who launched (and when, `at`) is
 * remembered (the admin's preview of the learner-id rules); a platform not yet approved stops here.
 */
export async function launchPlatform(db: Db, token: IdToken, at: Date): Promise<Platform & { tenantId: string }> {
  const platform = await platformByIssuer(db, token.iss, token.clientId);
  if (!platform) throw new LaunchError(401, 'unknown_platform', 'This platform is not registered', `No platform with issuer ${token.iss} and client id "${token.clientId}" is registered in xcredit.`);
  await rememberLauncher(db, platform, { at: at.toISOString(), name: token.userInfo?.name, sub: token.user, email: token.userInfo?.email, sourcedId: token.platformContext.lis?.person_sourcedid });
  if (platform.status === 'pending') throw describeTokenError('PLATFORM_NOT_ACTIVATED', { iss: token.iss });
  if (!platform.deploymentIds.includes(token.deploymentId)) {
    throw new LaunchError(
      403,
      'unknown_deployment',
      'This deployment is not registered',
      `The deployment "${token.deploymentId}" of platform ${token.iss} is not registered with xcredit (registered: ${platform.deploymentIds.join(', ')}).`,
      'An xcredit administrator can add the deployment id to the platform registration.',
    );
  }
  return platform;
}

/** The course a resource link opens: from the link's custom parameter, the target link, or the link record. */
async function linkedCourse(ctx: LtiContext, tenantId: string, platformId: string, token: IdToken, query: Record<string, unknown>): Promise<Course | undefined> {
  const c = token.platformContext;
  const fromCustom = c.custom?.xcredit_course ?? c.custom?.course_id;
  const fromQuery = query.course;
  let courseId = typeof fromCustom === 'string' ? fromCustom : typeof fromQuery === 'string' ? fromQuery : undefined;
  const l = ltiDb(ctx.db);
  const resourceLinkId = c.resource?.id;
  if (!courseId && resourceLinkId) {
    const link = await l.selectFrom('lti_links').select('course_id').where('tenant_id', '=', tenantId).where('platform_id', '=', platformId).where('resource_link_id', '=', resourceLinkId).executeTakeFirst();
    courseId = link?.course_id;
  }
  if (!courseId) return undefined;
  let course: Course;
  try {
    course = await getCourse(ctx.db, tenantId, courseId);
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) {
      throw new LaunchError(404, 'course_not_found', 'This course is not available', `The link points to course "${courseId}", which does not exist in xcredit.`, 'Ask your instructor to add the course again.');
    }
    throw err;
  }
  if (resourceLinkId) {
    await l
      .insertInto('lti_links')
      .values({ tenant_id: tenantId, platform_id: platformId, resource_link_id: resourceLinkId, course_id: course.courseId, context_id: c.context?.id ?? null, line_item_url: c.endpoint?.lineitem ?? null })
      .onConflict((oc) => oc.columns(['tenant_id', 'platform_id', 'resource_link_id']).doUpdateSet({ course_id: course.courseId, line_item_url: c.endpoint?.lineitem ?? null }))
      .execute();
  }
  return course;
}

/**
 * A verified resource-link launch: a learner gets the player with a launch session of their own;
 * an instructor gets the class report (with the roster synced) and a preview.
 */
export async function handleResourceLaunch(ctx: LtiContext, token: IdToken, req: Request, res: Response): Promise<void> {
  try {
    const platform = await launchPlatform(ctx.db, token, ctx.clock());
    const c = token.platformContext;
    if (!c.context?.id) {
      throw new LaunchError(400, 'missing_context', 'This launch is incomplete', 'The launch has no context claim (the course section it comes from); xcredit needs it to keep grades and rosters apart.', 'Launch the activity from inside a course.');
    }
    const course = await linkedCourse(ctx, platform.tenantId, platform.id, token, (res.locals.query ?? req.query ?? {}) as Record<string, unknown>);
    if (!course) {
      throw new LaunchError(404, 'no_course_linked', 'No course is linked here', 'This link is not connected to an xcredit course.', 'An instructor can connect it by adding the course again through "Add content" (Deep Linking).');
    }
    const tenant = await ctx.db.selectFrom('tenants').select(['id', 'home_page']).where('id', '=', platform.tenantId).executeTakeFirstOrThrow();
    const tenantRef = { id: tenant.id, homePage: tenant.home_page };
    if (isInstructor(c.roles)) {
      const previewId = `preview.${token.user}`.slice(0, 128);
      const preview = await createLaunch(ctx.db, ctx.events, tenantRef, { learnerId: ID_RE.test(previewId) ? previewId : 'preview', courseId: course.courseId }, ctx.config.publicUrl, ctx.clock());
      let rosterNote: string | undefined;
      if (c.namesRoles?.context_memberships_url) {
        try {
          await syncRoster(ctx, platform, token);
        } catch (err) {
          rosterNote = `The roster could not be loaded from the platform (${err instanceof Error ? err.message : String(err)}); showing learners who have launched.`;
        }
      } else rosterNote = 'The platform does not share its roster (Names and Role Provisioning); showing learners who have launched.';
      const rows = await classReport(ctx.db, platform.tenantId, platform.id, c.context.id, course, ctx.clock());
      res.set('Cache-Control', 'no-store').type('html').send(reportPage({ courseTitle: course.title, credits: course.credits, contextTitle: c.context.title ?? c.context.label ?? c.context.id, rows, previewUrl: preview.playerUrl, rosterNote }));
      return;
    }
    const learner = learnerIdOf(platform.learnerIdClaim, { sub: token.user, email: token.userInfo?.email, sourcedId: c.lis?.person_sourcedid });
    if (!learner.ok) throw new LaunchError(400, 'no_learner_id', 'You could not be identified', `xcredit cannot tell who you are: ${learner.why}.`, 'Ask your administrator to check the platform’s privacy settings or the learner id rule.');
    const launch = await createLaunch(ctx.db, ctx.events, tenantRef, { learnerId: learner.id, courseId: course.courseId }, ctx.config.publicUrl, ctx.clock());
    const ags = c.endpoint;
    if (ags && (ags.lineitem || ags.lineitems) && (ags.scope ?? []).some((s) => s.endsWith('/scope/score')) && c.resource?.id) {
      const l = ltiDb(ctx.db);
      await l
        .insertInto('lti_grade_targets')
        .values({
          tenant_id: platform.tenantId,
          platform_id: platform.id,
          resource_link_id: c.resource.id,
          lti_user_id: token.user,
          learner_id: learner.id,
          course_id: course.courseId,
          context_id: c.context.id,
          line_item_url: ags.lineitem ?? null,
          line_items_url: ags.lineitems ?? null,
        })
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'platform_id', 'resource_link_id', 'lti_user_id']).doUpdateSet({ learner_id: learner.id, course_id: course.courseId, line_items_url: ags.lineitems ?? null, updated_at: new Date(), ...(ags.lineitem ? { line_item_url: ags.lineitem } : {}) }),
        )
        .execute();
    }
    // A course taught in training sessions has no video to play: the learner's browser is readied for check-in instead.
    res.set('Cache-Control', 'no-store').redirect(303, (await hasTrainingSessions(ctx.db, platform.tenantId, course.courseId)) ? launch.checkinUrl : launch.playerUrl);
  } catch (err) {
    if (err instanceof LaunchError) return sendLaunchError(res, err);
    throw err;
  }
}

/** Everyone in the class (roster and launches), with their standing in the course. */
export async function classReport(db: Db, tenantId: string, platformId: string, contextId: string, course: Course, now: Date): Promise<ReportRow[]> {
  const l = ltiDb(db);
  const roster = await l.selectFrom('lti_roster').selectAll().where('tenant_id', '=', tenantId).where('platform_id', '=', platformId).where('context_id', '=', contextId).orderBy('name').execute();
  const launched = await l
    .selectFrom('lti_grade_targets')
    .select(['learner_id', 'lti_user_id'])
    .distinct()
    .where('tenant_id', '=', tenantId)
    .where('platform_id', '=', platformId)
    .where('context_id', '=', contextId)
    .where('course_id', '=', course.courseId)
    .execute();
  const people = new Map<string, { name: string; learnerId: string | null }>();
  for (const m of roster) {
    if (isInstructor(m.roles) || m.status !== 'Active') continue;
    people.set(m.lti_user_id, { name: m.name ?? m.email ?? m.lti_user_id, learnerId: m.learner_id });
  }
  for (const t of launched) if (!people.has(t.lti_user_id)) people.set(t.lti_user_id, { name: t.learner_id, learnerId: t.learner_id });
  const period = periodAt(now).name;
  const rows: ReportRow[] = [];
  for (const person of people.values()) {
    let row: ReportRow = { ...person, status: 'not started', engagement: null, earned: null };
    if (person.learnerId) {
      const started = await db.selectFrom('launches').select('registration').where('tenant_id', '=', tenantId).where('learner_id', '=', person.learnerId).where('course_id', '=', course.courseId).executeTakeFirst();
      if (started) {
        const credits = await learnerCredits(db, tenantId, person.learnerId, period, course.courseId);
        const c = credits.courses[0];
        row = { ...row, status: c ? progressOf(c) : 'in progress', engagement: c?.engagement ?? 0, earned: c?.earned ?? 0 };
      }
    }
    rows.push(row);
  }
  const order: Record<ReportRow['status'], number> = { completed: 0, 'in progress': 1, 'not started': 2 };
  return rows.sort((a, b) => order[a.status] - order[b.status] || a.name.localeCompare(b.name));
}
