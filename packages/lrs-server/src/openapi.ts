import * as c from '@xcredit/sdk/contracts';
import { z } from 'zod';
import { attentionInput } from './credits/attention-checks.js';
import { heartbeatInput } from './launches/sessions.js';
import { cmi5PackageQuery } from './launches/cmi5-package.js';

type Auth = 'credits/admin' | 'credits/read' | 'launch';

/** A request body: JSON by a schema, and the other media types the route reads. */
interface Body {
  json?: z.ZodType;
  /** A CSV upload: what its columns are. */
  csv?: string;
  /** An XLSX upload: what its columns are. */
  xlsx?: string;
  /** An empty body is allowed (the schema's defaults apply). */
  optional?: boolean;
  example?: unknown;
}

interface Operation {
  method: 'get' | 'put' | 'post' | 'delete';
  path: string;
  summary: string;
  auth: Auth;
  body?: Body;
  response?: z.ZodType;
  /** Status of success, when not 200. */
  status?: number;
  /** Other success statuses with the same answer, and what they mean. */
  also?: Record<number, string>;
  /** The query parameters, by the schema the route validates them with. */
  query?: z.ZodObject;
  /** The answer may also be CSV (`format=csv` or `Accept: text/csv`). */
  csv?: boolean;
  /** Error statuses worth naming beyond the generic 4XX. */
  errors?: Record<number, string>;
  /** The answer is a file of this media type instead of JSON. */
  file?: string;
}

const json = (schema: z.ZodType, example?: unknown): Body => ({ json: schema, ...(example === undefined ? {} : { example }) });
const created = { 200: 'Already existed: replaced (or the same externalId again)' };

/** Every operation of the credits API: the single list the OpenAPI document and docs/api-reference.md come from. */
export const operations: Operation[] = [
  {
    method: 'put',
    path: '/courses/{courseId}',
    summary: 'Create (201) or replace (200) a course',
    auth: 'credits/admin',
    body: json(c.courseInput, { title: 'Fire safety 2026', activityId: 'https://example.com/courses/fire-safety', credits: 2, kind: 'required', lengthSeconds: 600, videoUrl: 'https://cdn.example.com/fire-safety.mp4' }),
    response: c.courseSchema,
    status: 201,
    also: { 200: 'Replaced an existing course' },
  },
  { method: 'get', path: '/courses/{courseId}', summary: 'Read a course with its effective policy', auth: 'credits/read', response: c.courseSchema },
  {
    method: 'get',
    path: '/courses/{courseId}/cmi5.zip',
    summary: 'The course as a cmi5 package (cmi5.xml, one AU) for any cmi5 LMS; its AU URL carries a signed course token (docs/player.md, cmi5 under another LMS)',
    auth: 'credits/admin',
    query: cmi5PackageQuery,
    file: 'application/zip',
  },
  { method: 'get', path: '/policy', summary: "The tenant's policy defaults", auth: 'credits/read', response: c.policySchema },
  { method: 'put', path: '/policy', summary: "Set the tenant's policy defaults", auth: 'credits/admin', body: json(c.policyInput, { gates: { coverage: 0.9 }, maxRate: 2 }), response: c.policySchema },
  { method: 'post', path: '/launches', summary: 'Start a launch for one learner and one course', auth: 'credits/admin', body: json(c.launchInput, { learnerId: 'E1001', courseId: 'fire-safety' }), response: c.launchSchema, status: 201 },
  { method: 'get', path: '/launches/current', summary: "The player's launch: learner, course, policy, questions without answers", auth: 'launch', response: c.playerLaunchSchema },
  { method: 'post', path: '/launches/current/sessions', summary: 'Issue a player session for this launch: statements and heartbeats may name only issued sessions', auth: 'launch', status: 201 },
  {
    method: 'post',
    path: '/launches/current/heartbeat',
    summary: 'Evidence of playing, every 15 s: stored, answered with what the server verified so far',
    auth: 'launch',
    body: json(heartbeatInput),
    errors: { 400: 'unknown_session', 409: 'session_taken_over' },
  },
  { method: 'post', path: '/launches/current/attention', summary: 'Answer an attention check with the nonce the heartbeat delivered', auth: 'launch', body: json(attentionInput) },
  { method: 'get', path: '/launches/current/answers/{questionId}', summary: "The server's score of the learner's answers to a question: counted, attempts left, what to rewatch", auth: 'launch' },
  { method: 'get', path: '/launches/current/credits', summary: "The learner's standing in the launched course", auth: 'launch' },
  { method: 'get', path: '/launches/current/reflection', summary: "The launched course's reflection requirement and where the learner's reflection stands", auth: 'launch', response: c.playerReflectionSchema },
  {
    method: 'post',
    path: '/launches/current/reflection',
    summary: 'Write the reflection the course requires, or rewrite it after it was returned (its length counted in characters as people count them)',
    auth: 'launch',
    body: json(c.reflectionInput, { text: 'What I will do differently at the next fire drill: …' }),
    response: c.playerReflectionSchema,
    errors: { 400: 'invalid_input: text shorter than the course asks for', 409: 'reflection_approved (final) or reflection_not_required' },
  },
  { method: 'get', path: '/reflections', summary: 'Reflections to review (status=submitted) or reviewed', auth: 'credits/read', query: c.reflectionListQuery, response: c.reflectionListSchema },
  { method: 'get', path: '/reflections/{learnerId}/{courseId}', summary: "A learner's reflection on a course with its history", auth: 'credits/read', response: c.reflectionSchema },
  {
    method: 'post',
    path: '/reflections/{learnerId}/{courseId}/approve',
    summary: "Approve a reflection: the course's viewing credits reach the ledger (approving again changes nothing)",
    auth: 'credits/admin',
    response: c.reflectionSchema,
    errors: { 409: 'reflection_returned: waiting for the learner to submit it again' },
  },
  {
    method: 'post',
    path: '/reflections/{learnerId}/{courseId}/return',
    summary: 'Return a reflection to the learner with a note saying what to change',
    auth: 'credits/admin',
    body: json(c.reflectionReturnInput, { note: 'Say what you will change in your own work.' }),
    response: c.reflectionSchema,
    errors: { 409: 'reflection_approved or reflection_returned' },
  },
  {
    method: 'post',
    path: '/learners/import',
    summary: 'Import learners from CSV (text/csv) or a JSON array, all or nothing',
    auth: 'credits/admin',
    body: {
      json: z.array(c.learnerRow),
      csv: 'A header line naming the columns learnerId (required), displayName, department, role, managerId in any order; one learner a line',
      example: [{ learnerId: 'E1001', displayName: 'Wang Fang', department: 'Sales', role: 'engineer', managerId: 'E0001' }],
    },
    response: c.importResultSchema,
    errors: { 400: 'invalid_import: the issues name each line and column; nothing was written' },
  },
  {
    method: 'post',
    path: '/history/import',
    summary: "Import earlier years' credits from CSV (text/csv) or XLSX: a line-by-line report; written all or nothing, each line once by its external_id",
    auth: 'credits/admin',
    query: c.historyImportQuery,
    body: { csv: 'Columns as in docs/credits.md (history import)', xlsx: 'The first sheet, with the same columns as the CSV' },
    response: c.historyReportSchema,
    errors: { 415: 'neither CSV nor XLSX', 422: 'invalid_import: the error envelope and the line-by-line report; nothing was written' },
  },
  { method: 'get', path: '/learners', summary: 'Learners, page by page', auth: 'credits/read', response: c.learnerPageSchema, query: c.learnerListQuery },
  { method: 'get', path: '/learners/{learnerId}', summary: 'Read a learner', auth: 'credits/read', response: c.learnerSchema },
  { method: 'put', path: '/learners/{learnerId}', summary: 'Create (201) or update (200) a learner', auth: 'credits/admin', body: json(c.learnerFields, { displayName: 'Wang Fang', department: 'Sales' }), response: c.learnerSchema, status: 201, also: { 200: 'Updated an existing learner' } },
  { method: 'get', path: '/learners/{learnerId}/credits', summary: "A learner's credits, per course, against their target", auth: 'credits/read', response: c.learnerCreditsSchema, query: c.periodQuery },
  { method: 'get', path: '/learners/{learnerId}/courses/{courseId}/engagement', summary: 'Why a learner earned what they earned in a course', auth: 'credits/read', response: c.engagementSchema, query: c.periodQuery },
  {
    method: 'get',
    path: '/statements/explained',
    summary: 'The statement browser: statements newest first, each with its receipt time and what the engine made of it (counted, capped, flagged, not counted, outside a launch, voided)',
    auth: 'credits/read',
    query: c.statementsQuery,
    response: c.explainedStatementsSchema,
  },
  { method: 'get', path: '/learners/{learnerId}/ledger', summary: "A learner's ledger entries; total is their sum", auth: 'credits/read', response: c.ledgerSchema, query: c.periodQuery },
  {
    method: 'post',
    path: '/awards',
    summary: 'Record offline attendance (credited at once) or growth credits (pending approval)',
    auth: 'credits/admin',
    body: json(c.awardInput, { learnerId: 'E1001', source: 'offline', title: 'First aid workshop', credits: 1.5, period: '2026', externalId: 'checkin-8812' }),
    response: c.awardSchema,
    status: 201,
    also: created,
  },
  { method: 'get', path: '/awards', summary: 'Awards', auth: 'credits/read', response: c.awardListSchema, query: c.awardListQuery },
  { method: 'get', path: '/awards/{awardId}', summary: 'An award with its audit trail', auth: 'credits/read', response: c.awardSchema },
  { method: 'post', path: '/awards/{awardId}/approve', summary: 'Approve a pending award', auth: 'credits/admin', body: { ...json(c.decisionInput), optional: true }, response: c.awardSchema },
  { method: 'post', path: '/awards/{awardId}/reject', summary: 'Reject a pending award (a reason is required)', auth: 'credits/admin', body: json(c.decisionInput, { reason: 'no evidence attached' }), response: c.awardSchema },
  { method: 'put', path: '/targets/{period}', summary: "Set the tenant's target for a year", auth: 'credits/admin', body: json(c.targetInput, { total: 150, required: 60 }), response: c.targetSchema },
  { method: 'put', path: '/targets/{period}/{groupType}/{groupValue}', summary: "Set a department's or role's target (groupType: department or role)", auth: 'credits/admin', body: json(c.targetInput), response: c.targetSchema },
  { method: 'get', path: '/growth-categories', summary: "The tenant's growth credit categories and their yearly caps", auth: 'credits/read', response: c.growthCategoryListSchema },
  { method: 'put', path: '/growth-categories/{categoryId}', summary: 'Create or change a growth category and its yearly cap per learner', auth: 'credits/admin', body: json(c.growthCategoryInput, { name: 'Open lessons', yearlyCap: 6 }), response: c.growthCategorySchema },
  {
    method: 'post',
    path: '/awards/{awardId}/evidence',
    summary: 'Attach an evidence file (the body; PDF, PNG, JPEG or text, at most 5 MB)',
    auth: 'credits/admin',
    response: c.evidenceFileSchema,
    status: 201,
    query: z.object({ filename: z.string().describe('the file name shown') }),
    errors: { 413: 'larger than 5 MB', 415: 'not PDF, PNG, JPEG or text' },
  },
  { method: 'get', path: '/awards/{awardId}/evidence/{fileId}', summary: 'Download an evidence file', auth: 'credits/read' },
  { method: 'get', path: '/reminders/settings', summary: "The tenant's mail server and reminder rules (never the password)", auth: 'credits/admin', response: c.mailSettingsSchema },
  { method: 'put', path: '/reminders/settings', summary: 'Set the mail server (SMTP) and reminder rules; the password is stored encrypted', auth: 'credits/admin', body: json(c.mailSettingsInput, { enabled: true, host: 'smtp.example.com', port: 587, from: 'learning@example.com' }), response: c.mailSettingsSchema },
  {
    method: 'get',
    path: '/reminders',
    summary: 'Reminders sent: who, what, when, delivered or failed and why',
    auth: 'credits/read',
    response: c.reminderListSchema,
    query: z.object({
      learnerId: z.string().optional().describe('one learner'),
      status: z.enum(['queued', 'delivered', 'failed']).optional(),
      kind: z.enum(c.REMINDER_KINDS).optional(),
    }),
  },
  { method: 'post', path: '/learners/{learnerId}/remind', summary: 'Remind one learner by email now (once a day at most: 202 queued, 200 already sent today)', auth: 'credits/admin', response: c.remindResultSchema, status: 202, also: { 200: 'Already sent today' }, query: c.periodQuery, errors: { 409: 'opted out, or mail is off', 422: 'the learner has no email' } },
  { method: 'post', path: '/reminders/at-risk', summary: 'Remind everyone at risk, in a department when named', auth: 'credits/admin', body: { ...json(c.atRiskRemindInput, { department: 'Sales' }), optional: true }, response: c.remindBatchSchema, status: 202 },
  { method: 'post', path: '/reminders/sweep', summary: 'Queue the reminders owed now (deadlines, falling behind, expiring certifications, weekly digests); the server also runs it hourly', auth: 'credits/admin', response: c.sweepResultSchema },
  { method: 'get', path: '/learners/{learnerId}/path', summary: "A learner's path to the year's target: required courses still missing first, then electives by category, each with a day to finish by, and whether it can be done in time", auth: 'credits/read', response: c.learningPathSchema, query: c.learningPathQuery },
  { method: 'post', path: '/learners/{learnerId}/plans', summary: 'Make an improvement plan for a learner at risk from their path and email it to them and their manager (one per learner and year: 201 made, 200 made before)', auth: 'credits/admin', body: { ...json(c.improvementPlanInput, { maxMinutesPerWeek: 180, note: 'Let us talk on Friday.' }), optional: true }, response: c.improvementPlanResultSchema, status: 201, also: { 200: 'Made before: the same plan, nothing sent' }, errors: { 409: 'not at risk, mail is off, or no course can help' } },
  { method: 'get', path: '/learners/{learnerId}/plans', summary: "A learner's improvement plans, each milestone done, due or overdue against the ledger", auth: 'credits/read', response: c.improvementPlanListSchema },
  {
    method: 'post',
    path: '/training-sessions',
    summary: 'Schedule a session of an offline course (a course without a video): time, place, trainer, the share to attend',
    auth: 'credits/admin',
    body: json(c.trainingSessionInput, { courseId: 'first-aid', startsAt: '2026-05-04T09:00:00+08:00', endsAt: '2026-05-04T10:30:00+08:00', location: 'Room 3.14', trainer: 'Li Wei', minShare: 0.8, graceMinutes: 5 }),
    response: c.trainingSessionSchema,
    status: 201,
  },
  { method: 'get', path: '/training-sessions', summary: 'Training sessions, the latest first', auth: 'credits/read', response: c.trainingSessionListSchema, query: c.trainingSessionListQuery },
  { method: 'post', path: '/training-sessions/sweep', summary: 'Close and credit every session that ended (past its grace) and is still open; the server also runs it hourly', auth: 'credits/admin', response: c.sweepClosedSchema },
  { method: 'get', path: '/training-sessions/{sessionId}', summary: 'A session with its attendance: check-in and check-out, late and early minutes, credits and why', auth: 'credits/read', response: c.trainingSessionDetailSchema },
  { method: 'post', path: '/training-sessions/{sessionId}/open', summary: 'Open a session for check-in (opening an open one changes nothing)', auth: 'credits/admin', response: c.trainingSessionDetailSchema, errors: { 409: 'the session is closed' } },
  {
    method: 'get',
    path: '/training-sessions/{sessionId}/code',
    summary: "The session's check-in code now: a link and its QR code, new every 30 s, each accepted for 60 s",
    auth: 'credits/admin',
    response: c.checkinCodeSchema,
    errors: { 409: 'the session is not open' },
  },
  { method: 'post', path: '/training-sessions/{sessionId}/close', summary: 'Close a session and credit its attendance (closing a closed one changes nothing); the server also closes ended sessions hourly', auth: 'credits/admin', response: c.trainingSessionDetailSchema },
  {
    method: 'post',
    path: '/launches/current/attendance',
    summary: "A learner's scan of a session's check-in code, with the launch of the session's course: check in, or check out",
    auth: 'launch',
    body: json(c.checkinInput, { code: '0b6f7a52-3c1e-4b8e-9d2a-5e1f0c7a9b31.59270400.Xk3…', action: 'in' }),
    response: c.checkinResultSchema,
    status: 201,
    also: { 200: 'A repeated scan: nothing changed' },
    errors: { 403: 'code_forged, code_expired (older than 60 s), wrong_session (the launch is for another course)', 409: 'session_not_open, not_checked_in (a check-out before a check-in)' },
  },
  { method: 'post', path: '/periods/{period}/close', summary: 'Close a year: no more changes or awards', auth: 'credits/admin', response: c.periodClosedSchema },
  ...c.REPORT_NAMES.map(
    (name): Operation => ({
      method: 'get',
      path: `/reports/${name}`,
      summary: `The ${name} report (JSON; CSV with format=csv or Accept: text/csv; XLSX with format=xlsx); see docs/reports.md`,
      auth: 'credits/read',
      query: c.reportQueries[name],
      response: c.reportSchemas[name],
      csv: true,
      ...(name === 'leaderboard' ? { errors: { 403: 'leaderboard_disabled: the tenant has not switched it on (PUT /settings)' } } : {}),
    }),
  ),
  { method: 'get', path: '/settings', summary: "The tenant's settings", auth: 'credits/read', response: c.settingsSchema },
  { method: 'put', path: '/settings', summary: "Change the tenant's settings; fields left out keep their value", auth: 'credits/admin', body: json(c.settingsInput, { leaderboard: true }), response: c.settingsSchema },
  {
    method: 'post',
    path: '/certificates',
    summary: "Issue a certificate for a completed course, or for a learner's met target (the same request again answers the same certificate, 200)",
    auth: 'credits/admin',
    body: json(c.certificateInput, { learnerId: 'E1001', courseId: 'fire-safety', period: '2026' }),
    response: c.certificateSchema,
    status: 201,
    also: { 200: 'Issued before: the same certificate' },
  },
  { method: 'get', path: '/certificates/{certificateId}', summary: 'A certificate and whether it still stands (a voided credit revokes it)', auth: 'credits/read', response: c.certificateStatusSchema },
  { method: 'post', path: '/lti/platforms', summary: 'Register an LMS platform for LTI 1.3 (see docs/lti.md)', auth: 'credits/admin', body: json(c.platformInput), response: c.registeredPlatformSchema, status: 201 },
  { method: 'get', path: '/lti/platforms', summary: 'Registered LTI platforms and the URLs to give an LMS', auth: 'credits/admin', response: c.platformListSchema },
  { method: 'get', path: '/lti/platforms/{id}', summary: 'One LTI platform', auth: 'credits/admin', response: c.platformSchema },
  { method: 'post', path: '/lti/platforms/{id}/approve', summary: 'Approve a platform registered dynamically', auth: 'credits/admin', body: { ...json(c.approveInput), optional: true }, response: c.platformSchema },
  { method: 'delete', path: '/lti/platforms/{id}', summary: 'Remove an LTI platform', auth: 'credits/admin', status: 204 },
  {
    method: 'post',
    path: '/lti/registration-links',
    summary: 'Make a single-use LTI Dynamic Registration link for this tenant (the token is shown only here)',
    auth: 'credits/admin',
    body: { ...json(c.registrationLinkInput, { expiresInHours: 48 }), optional: true },
    response: c.createdRegistrationLinkSchema,
    status: 201,
  },
  { method: 'get', path: '/lti/registration-links', summary: 'Registration links of this tenant, without their tokens', auth: 'credits/admin', response: c.registrationLinkListSchema },
  { method: 'delete', path: '/lti/registration-links/{id}', summary: 'Revoke a registration link', auth: 'credits/admin', status: 204 },
  {
    method: 'post',
    path: '/webhooks',
    summary: 'Subscribe a URL to events; the answer carries the signing secret once',
    auth: 'credits/admin',
    body: json(c.webhookInput, { url: 'https://hr.example.com/xcredit-events', events: ['credit.earned', 'learner.target_met'] }),
    response: c.webhookSchema,
    status: 201,
  },
  { method: 'get', path: '/webhooks', summary: "The tenant's webhooks", auth: 'credits/admin', response: c.webhookListSchema },
  { method: 'delete', path: '/webhooks/{webhookId}', summary: 'Stop a webhook', auth: 'credits/admin', status: 204 },
  { method: 'post', path: '/webhooks/{webhookId}/test', summary: 'Send a webhook.test event', auth: 'credits/admin', status: 202, response: c.queuedSchema },
  { method: 'get', path: '/webhooks/{webhookId}/deliveries', summary: 'The delivery log of a webhook, newest first', auth: 'credits/admin', response: c.deliveryListSchema },
];

/** Named schemas (components/schemas): the names a generated client's types carry. */
const outputs: Record<string, z.ZodType> = {
  Error: c.errorBodySchema,
  Course: c.courseSchema,
  Policy: c.policySchema,
  Launch: c.launchSchema,
  PlayerLaunch: c.playerLaunchSchema,
  Learner: c.learnerSchema,
  LearnerPage: c.learnerPageSchema,
  ImportResult: c.importResultSchema,
  HistoryReport: c.historyReportSchema,
  LearnerCredits: c.learnerCreditsSchema,
  Engagement: c.engagementSchema,
  Ledger: c.ledgerSchema,
  Award: c.awardSchema,
  AwardList: c.awardListSchema,
  Reflection: c.reflectionSchema,
  ReflectionList: c.reflectionListSchema,
  PlayerReflection: c.playerReflectionSchema,
  Target: c.targetSchema,
  PeriodClosed: c.periodClosedSchema,
  Report: c.reportSchema,
  SummaryReport: c.summaryReportSchema,
  StudyTimeReport: c.studyTimeReportSchema,
  HotCoursesReport: c.hotCoursesReportSchema,
  AtRiskReport: c.atRiskReportSchema,
  ManagersReport: c.managersReportSchema,
  LeaderboardReport: c.leaderboardReportSchema,
  FlagsReport: c.flagsReportSchema,
  Settings: c.settingsSchema,
  Certificate: c.certificateSchema,
  CertificateStatus: c.certificateStatusSchema,
  Platform: c.platformSchema,
  RegisteredPlatform: c.registeredPlatformSchema,
  PlatformList: c.platformListSchema,
  CreatedRegistrationLink: c.createdRegistrationLinkSchema,
  RegistrationLink: c.registrationLinkSchema,
  RegistrationLinkList: c.registrationLinkListSchema,
  Webhook: c.webhookSchema,
  WebhookList: c.webhookListSchema,
  DeliveryList: c.deliveryListSchema,
  Queued: c.queuedSchema,
};
const inputs: Record<string, z.ZodType> = {
  CourseInput: c.courseInput,
  QuestionInput: c.questionInput,
  PolicyInput: c.policyInput,
  LaunchInput: c.launchInput,
  LearnerFields: c.learnerFields,
  LearnerRow: c.learnerRow,
  AwardInput: c.awardInput,
  DecisionInput: c.decisionInput,
  ReflectionRequirementInput: c.reflectionRequirementInput,
  ReflectionInput: c.reflectionInput,
  ReflectionReturnInput: c.reflectionReturnInput,
  TargetInput: c.targetInput,
  SettingsInput: c.settingsInput,
  CertificateInput: c.certificateInput,
  PlatformInput: c.platformInput,
  ApproveInput: c.approveInput,
  RegistrationLinkInput: c.registrationLinkInput,
  WebhookInput: c.webhookInput,
  HeartbeatInput: heartbeatInput,
  AttentionInput: attentionInput,
};

const REF = '#/components/schemas/';
const clean = ({ $schema: _s, $id: _i, ...rest }: Record<string, unknown>) => rest;

function components(named: Record<string, z.ZodType>, io: 'input' | 'output') {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, uri: (id) => `${REF}${id}`, unrepresentable: 'any' }) as { schemas: Record<string, Record<string, unknown>> };
  return Object.fromEntries(Object.entries(schemas).map(([k, v]) => [k, clean(v)]));
}

/** A `$ref` to the schema's component, or the schema written out when it has no name. */
function ref(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const named = Object.entries(io === 'input' ? inputs : outputs).find(([, s]) => s === schema)?.[0];
  if (named) return { $ref: `${REF}${named}` };
  if (schema instanceof z.ZodArray) return { type: 'array', items: ref(schema.element as z.ZodType, io) };
  return clean(z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>);
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: `${REF}Error` } } } });

function queryParameters(query: z.ZodObject | undefined) {
  if (!query) return [];
  const shape = (z.toJSONSchema(query, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, Record<string, unknown>>; required?: string[] });
  return Object.entries(shape.properties).map(([name, { description, ...schema }]) => ({
    name,
    in: 'query',
    required: shape.required?.includes(name) ?? false,
    ...(description ? { description } : {}),
    schema,
  }));
}

function requestBody(body: Body) {
  const content: Record<string, unknown> = {};
  if (body.json) content['application/json'] = { schema: ref(body.json, 'input'), ...(body.example !== undefined ? { example: body.example } : {}) };
  if (body.csv) content['text/csv'] = { schema: { type: 'string', description: body.csv }, example: 'learnerId,displayName,department,role,managerId\nE1001,Wang Fang,Sales,engineer,E0001\n' };
  if (body.xlsx) content['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'] = { schema: { type: 'string', format: 'binary', description: body.xlsx } };
  return { required: !body.optional, content };
}

function operationId(op: Operation): string {
  return `${op.method}${op.path.replace(/\{(\w+)\}/g, 'By-$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ? ch.toUpperCase() : ''))}`;
}

/** The OpenAPI 3.1 document of the credits API, built from the same zod schemas that validate it. */
export function openApiDocument(serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const parameters = [...params, ...queryParameters(op.query)];
    const ok = op.status ?? 200;
    const answer = op.response ? ref(op.response, 'output') : { type: 'object', additionalProperties: true };
    const success = (description: string) =>
      ok === 204
        ? { description }
        : op.file
          ? { description, content: { [op.file]: { schema: { type: 'string', format: 'binary' } } } }
          : { description, content: { 'application/json': { schema: answer }, ...(op.csv ? { 'text/csv': { schema: { type: 'string', description: 'The rows, a header line first (columns as in the JSON `columns`)' } } } : {}) } };
    const responses: Record<string, unknown> = { [String(ok)]: success(ok === 201 ? 'Created' : ok === 202 ? 'Accepted' : ok === 204 ? 'Done' : 'OK') };
    for (const [status, description] of Object.entries(op.also ?? {})) responses[status] = success(description);
    for (const [status, description] of Object.entries(op.errors ?? {})) responses[status] = errorResponse(description);
    responses['4XX'] = errorResponse('Bad input (the message and issues name the field), missing scope, unknown id or a conflict');
    responses['5XX'] = errorResponse('An internal error; the message names the request id, nothing was stored');
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      operationId: operationId(op),
      tags: [op.path.split('/')[1]!],
      security: [op.auth === 'launch' ? { launchToken: [] } : { basic: [op.auth] }],
      ...(parameters.length ? { parameters } : {}),
      ...(op.body ? { requestBody: requestBody(op.body) } : {}),
      responses,
    };
  }
  const tags = [...new Set(operations.map((op) => op.path.split('/')[1]!))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'xcredit credits API',
      version: '1',
      description: 'Courses, launches, learners, credits and their explanations, awards, targets, reports, certificates, LTI platforms and webhooks.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: `${serverUrl}/api/v1` }],
    tags,
    security: [{ basic: [] }],
    components: {
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic', description: 'A client key and secret (`xcredit create-client`); the scope needed is listed per operation' },
        launchToken: { type: 'http', scheme: 'bearer', description: 'A launch token, as the player holds it' },
      },
      schemas: { ...components(outputs, 'output'), ...components(inputs, 'input') },
    },
    paths,
  };
}

/** docs/api-reference.md, rendered from the same operations. */
export function apiReferenceMarkdown(): string {
  const lines = [
    '# Credits API reference',
    '',
    'Generated from the schemas the server validates with (`/api/v1/openapi.json` serves the same as',
    'OpenAPI 3.1, with named schemas). Errors are `{ "error": { "status", "code", "message", "issues"?, "requestId" } }`; the message names the field.',
    '',
  ];
  for (const op of operations) {
    lines.push(`## \`${op.method.toUpperCase()} /api/v1${op.path}\``, '', `${op.summary}. Auth: ${op.auth === 'launch' ? 'launch token (Bearer)' : `client with \`${op.auth}\``}.`, '');
    const query = queryParameters(op.query);
    if (query.length) lines.push('Query:', '', ...query.map((q) => `- \`${q.name}\`${q.required ? ' (required)' : ''}: ${q.description ?? ('enum' in q.schema ? (q.schema.enum as string[]).join(', ') : String(q.schema.type))}`), '');
    if (op.body?.csv) lines.push(`CSV body: ${op.body.csv}.`, '');
    if (op.body?.json) lines.push('Body:', '', '```json', JSON.stringify(z.toJSONSchema(op.body.json, { io: 'input', unrepresentable: 'any' }), (k, v) => (k === '$schema' ? undefined : v), 2), '```', '');
    const ok = op.status ?? 200;
    if (op.response) lines.push(`Answer: ${ok}${Object.keys(op.also ?? {}).map((s) => ` or ${s}`).join('')}, \`${Object.entries(outputs).find(([, s]) => s === op.response)?.[0] ?? 'object'}\`${op.csv ? ' (or CSV)' : ''}.`, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
