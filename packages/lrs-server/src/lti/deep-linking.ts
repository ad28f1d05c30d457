import type { Request, Response } from 'express';
import { getCourse } from '../catalog/courses.js';
import { LaunchError, sendLaunchError } from './errors.js';
import { GRADE_POINTS } from './grades.js';
import type { IdToken } from './ltijs.js';
import type { LtiContext } from './context.js';
import { isInstructor, launchPlatform } from './launch.js';
import { deepLinkReturnPage, isHttpUrl, pickerPage } from './pages.js';

/** Deep Linking request: an instructor is shown the catalog to pick from. */
export async function handleDeepLinkingRequest(ctx: LtiContext, token: IdToken, _req: Request, res: Response): Promise<void> {
  try {
    const platform = await launchPlatform(ctx.db, token, ctx.clock());
    if (!isInstructor(token.platformContext.roles)) throw new LaunchError(403, 'not_instructor', 'Only instructors can add content', 'Adding xcredit courses needs an instructor role in this course.');
    const settings = token.platformContext.deepLinkingSettings;
    if (!settings?.accept_types?.includes('ltiResourceLink')) {
      throw new LaunchError(400, 'link_type_not_accepted', 'Nothing to add here', 'The platform does not accept LTI resource links at this place, and xcredit courses are resource links.');
    }
    const rows = await ctx.db.selectFrom('courses').selectAll().where('tenant_id', '=', platform.tenantId).orderBy('title').execute();
    const courses = rows.map((c) => ({ courseId: c.id, title: c.title, credits: Number(c.credits), kind: c.kind }));
    res.set('Cache-Control', 'no-store').type('html').send(pickerPage({ ltik: String(res.locals.ltik), courses, multiple: settings.accept_multiple !== false }));
  } catch (err) {
    if (err instanceof LaunchError) return sendLaunchError(res, err);
    throw err;
  }
}

/** The picked courses go back to the platform as resource links, each with a gradebook line item. */
export async function handleDeepLinkingResponse(ctx: LtiContext, req: Request, res: Response): Promise<void> {
  try {
    const token = res.locals.token as IdToken | undefined;
    if (!token || token.platformContext?.messageType !== 'LtiDeepLinkingRequest') {
      throw new LaunchError(401, 'no_deep_linking_session', 'This page has expired', 'There is no Deep Linking request to answer: start "Add content" again from your learning platform.');
    }
    const platform = await launchPlatform(ctx.db, token, ctx.clock());
    if (!isInstructor(token.platformContext.roles)) throw new LaunchError(403, 'not_instructor', 'Only instructors can add content', 'Adding xcredit courses needs an instructor role in this course.');
    const picked = ([] as unknown[]).concat(req.body?.course ?? []).map(String);
    if (picked.length === 0) throw new LaunchError(400, 'no_course_picked', 'Pick a course', 'No course was picked: go back and choose at least one.');
    const items = [];
    for (const courseId of picked) {
      const course = await getCourse(ctx.db, platform.tenantId, courseId).catch(() => {
        throw new LaunchError(400, 'course_not_found', 'Unknown course', `There is no course "${courseId}" in the catalog.`);
      });
      items.push({
        type: 'ltiResourceLink',
        title: course.title,
        text: `${course.credits} ${course.kind} credits`,
        url: `${ctx.config.publicUrl}/lti?course=${encodeURIComponent(course.courseId)}`,
        custom: { xcredit_course: course.courseId },
        lineItem: { scoreMaximum: GRADE_POINTS, label: course.title, resourceId: course.courseId, tag: 'xcredit-credits' },
      });
    }
    const returnUrl = token.platformContext.deepLinkingSettings?.deep_link_return_url ?? '';
    if (!isHttpUrl(returnUrl)) {
      throw new LaunchError(400, 'bad_return_url', 'Cannot return to the platform', 'The platform gave no http(s) address to return the picked courses to (deep_link_return_url).', 'Ask your learning platform administrator to check the tool configuration.');
    }
    const jwt = await ctx.provider.DeepLinking.createDeepLinkingMessage(token, items, { message: `Added ${items.length} xcredit course${items.length === 1 ? '' : 's'}` });
    res.set('Cache-Control', 'no-store').type('html').send(deepLinkReturnPage(returnUrl, jwt));
  } catch (err) {
    if (err instanceof LaunchError) return sendLaunchError(res, err);
    throw err;
  }
}
