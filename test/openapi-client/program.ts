// A small program a user writes against the client generated from /api/v1/openapi.json
// (openapi-typescript + openapi-fetch). test/openapi-client.test.ts compiles it strictly and runs it.
import createClient from 'openapi-fetch';
import type { components, paths } from './xcredit-api.js';

type Course = components['schemas']['Course'];
type ErrorBody = components['schemas']['Error'];

const [baseUrl, authorization] = process.argv.slice(2) as [string, string];
const api = createClient<paths>({ baseUrl: `${baseUrl}/api/v1`, headers: { authorization } });

const courseId = 'openapi-course';
const put = await api.PUT('/courses/{courseId}', {
  params: { path: { courseId } },
  body: { title: 'Typed', activityId: 'https://example.com/courses/typed', credits: 2, kind: 'elective', lengthSeconds: 120 },
});
if (!put.data) throw new Error(`PUT failed: ${put.error.error.message}`);
const course: Course = put.data;

// @ts-expect-error credits is a number: the generated types must refuse a string.
void api.PUT('/courses/{courseId}', { params: { path: { courseId } }, body: { title: 'x', activityId: 'https://example.com/x', credits: 'two', kind: 'elective', lengthSeconds: 1 } });

const imported = await api.POST('/learners/import', { body: [{ learnerId: 'OA-1', displayName: 'Li Lei', department: 'Sales' }] });
if (!imported.data) throw new Error(imported.error.error.message);

const report = await api.GET('/reports/summary', { params: { query: { groupBy: 'department' } } });
if (report.error) throw new Error(report.error.error.message);
// A report answers JSON or CSV (format=csv): the type says both, the program asked for JSON.
if (typeof report.data !== 'object') throw new Error('expected the JSON report');
const summary = report.data;
const groups: string[] = summary.rows.map((row) => String(row.group));

const settings = await api.PUT('/settings', { body: { leaderboard: true } });
const link = await api.POST('/lti/registration-links', { body: { expiresInHours: 2 } });
const links = await api.GET('/lti/registration-links');

const missing = await api.GET('/courses/{courseId}', { params: { path: { courseId: 'no-such-course' } } });
const error: ErrorBody | undefined = missing.error;
// The envelope's status, code and message are required: no optional chaining needed.
const code: string | undefined = error?.error.code;

console.log(
  JSON.stringify({
    course: { courseId: course.courseId, credits: course.credits },
    imported: imported.data.created + imported.data.updated,
    report: summary.report,
    groups,
    leaderboard: settings.data?.leaderboard,
    linkStatus: link.response.status,
    links: links.data?.links.map((l) => l.status),
    missing: { status: missing.response.status, code },
  }),
);
