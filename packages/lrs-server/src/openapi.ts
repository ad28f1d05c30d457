import * as r from '@xcredit/sdk/contracts';
import { approveInput, atRiskRemindInput, awardInput, growthCategoryInput, mailSettingsInput, courseInput, decisionInput, launchInput, learnerFields, platformInput, policyInput, targetInput, webhookInput } from '@xcredit/sdk/contracts';
import { z } from 'zod';
import { attentionInput } from './credits/attention-checks.js';
import { heartbeatInput } from './launches/sessions.js';
import { linkInput } from './lti/registration-links.js';

type Auth = 'credits/admin' | 'credits/read' | 'launch';

interface Operation {
  method: 'get' | 'put' | 'post' | 'delete';
  path: string;
  summary: string;
  auth: Auth;
  body?: z.ZodType;
  response?: z.ZodType;
  /** Status of success, when not 200. */
  status?: number;
  query?: Record<string, string>;
}

const period = { period: 'a year, e.g. 2026 (default: the current one)' };

/** Every operation of the credits API: the single list the OpenAPI document and docs/api-reference.md come from. */
export const operations: Operation[] = [
  { method: 'put', path: '/courses/{courseId}', summary: 'Create or replace a course', auth: 'credits/admin', body: courseInput, response: r.courseSchema },
  { method: 'get', path: '/courses/{courseId}', summary: 'Read a course with its effective policy', auth: 'credits/read', response: r.courseSchema },
  { method: 'get', path: '/policy', summary: "The tenant's policy defaults", auth: 'credits/read' },
  { method: 'put', path: '/policy', summary: "Set the tenant's policy defaults", auth: 'credits/admin', body: policyInput },
  { method: 'post', path: '/launches', summary: 'Start a launch for one learner and one course', auth: 'credits/admin', body: launchInput, response: r.launchSchema, status: 201 },
  { method: 'get', path: '/launches/current', summary: "The player's launch: learner, course, policy, questions without answers", auth: 'launch', response: r.playerLaunchSchema },
  { method: 'post', path: '/launches/current/sessions', summary: 'Issue a player session for this launch: statements and heartbeats may name only issued sessions', auth: 'launch', status: 201 },
  {
    method: 'post',
    path: '/launches/current/heartbeat',
    summary: "Evidence of playing, every 15 s: stored, answered with what the server verified so far (400 unknown_session, 409 session_taken_over)",
    auth: 'launch',
    body: heartbeatInput,
  },
  { method: 'post', path: '/launches/current/attention', summary: 'Answer an attention check with the nonce the heartbeat delivered', auth: 'launch', body: attentionInput },
  { method: 'get', path: '/launches/current/answers/{questionId}', summary: "The server's score of the learner's answers to a question: counted, attempts left, what to rewatch", auth: 'launch' },
  { method: 'get', path: '/launches/current/credits', summary: "The learner's standing in the launched course", auth: 'launch' },
  { method: 'post', path: '/learners/import', summary: 'Import learners from CSV (text/csv) or a JSON array, all or nothing', auth: 'credits/admin', response: r.importResultSchema },
  { method: 'post', path: '/history/import', summary: "Import earlier years' credits from CSV (text/csv) or XLSX: a line-by-line report; written all or nothing (422 with the report when a line is wrong), each line once by its external_id", auth: 'credits/admin', query: { file: 'the source file name, kept with each entry (required)', dryRun: 'true: report only, write nothing' } },
  { method: 'get', path: '/learners', summary: 'Learners, page by page', auth: 'credits/read', response: r.learnerPageSchema, query: { department: 'only this department', limit: '1–1000 (default 100)', after: 'the `next` of the previous page' } },
  { method: 'get', path: '/learners/{learnerId}', summary: 'Read a learner', auth: 'credits/read', response: r.learnerSchema },
  { method: 'put', path: '/learners/{learnerId}', summary: 'Create or update a learner', auth: 'credits/admin', body: learnerFields, response: r.learnerSchema },
  { method: 'get', path: '/learners/{learnerId}/credits', summary: "A learner's credits, per course, against their target", auth: 'credits/read', response: r.learnerCreditsSchema, query: period },
  { method: 'get', path: '/learners/{learnerId}/courses/{courseId}/engagement', summary: 'Why a learner earned what they earned in a course', auth: 'credits/read', response: r.engagementSchema, query: period },
  { method: 'get', path: '/learners/{learnerId}/ledger', summary: "A learner's ledger entries; total is their sum", auth: 'credits/read', response: r.ledgerSchema, query: period },
  { method: 'post', path: '/awards', summary: 'Record offline attendance (credited at once) or growth credits (pending approval)', auth: 'credits/admin', body: awardInput, response: r.awardSchema, status: 201 },
  { method: 'get', path: '/awards', summary: 'Awards', auth: 'credits/read', response: r.awardListSchema, query: { status: 'pending, approved or rejected', learnerId: 'one learner', period: 'one year' } },
  { method: 'get', path: '/awards/{awardId}', summary: 'An award with its audit trail', auth: 'credits/read', response: r.awardSchema },
  { method: 'post', path: '/awards/{awardId}/approve', summary: 'Approve a pending award', auth: 'credits/admin', body: decisionInput, response: r.awardSchema },
  { method: 'post', path: '/awards/{awardId}/reject', summary: 'Reject a pending award (a reason is required)', auth: 'credits/admin', body: decisionInput, response: r.awardSchema },
  { method: 'put', path: '/targets/{period}', summary: "Set the tenant's target for a year", auth: 'credits/admin', body: targetInput, response: r.targetSchema },
  { method: 'put', path: '/targets/{period}/{groupType}/{groupValue}', summary: "Set a department's or role's target", auth: 'credits/admin', body: targetInput, response: r.targetSchema },
  { method: 'get', path: '/growth-categories', summary: "The tenant's growth credit categories and their yearly caps", auth: 'credits/read', response: r.growthCategoryListSchema },
  { method: 'put', path: '/growth-categories/{categoryId}', summary: 'Create or change a growth category and its yearly cap per learner', auth: 'credits/admin', body: growthCategoryInput, response: r.growthCategorySchema },
  { method: 'post', path: '/awards/{awardId}/evidence', summary: 'Attach an evidence file (the body; PDF, PNG, JPEG or text, at most 5 MB; ?filename=)', auth: 'credits/admin', response: r.evidenceFileSchema, status: 201, query: { filename: 'the file name shown' } },
  { method: 'get', path: '/awards/{awardId}/evidence/{fileId}', summary: 'Download an evidence file', auth: 'credits/read' },
  { method: 'get', path: '/reminders/settings', summary: "The tenant's mail server and reminder rules (never the password)", auth: 'credits/admin', response: r.mailSettingsSchema },
  { method: 'put', path: '/reminders/settings', summary: 'Set the mail server (SMTP) and reminder rules; the password is stored encrypted', auth: 'credits/admin', body: mailSettingsInput, response: r.mailSettingsSchema },
  { method: 'get', path: '/reminders', summary: 'Reminders sent: who, what, when, delivered or failed and why', auth: 'credits/read', response: r.reminderListSchema, query: { learnerId: 'one learner', status: 'queued, delivered or failed', kind: 'deadline, at_risk, manual or digest' } },
  { method: 'post', path: '/learners/{learnerId}/remind', summary: 'Remind one learner by email now (once a day at most: 202 queued, 200 already sent today)', auth: 'credits/admin', response: r.remindResultSchema, status: 202, query: period },
  { method: 'post', path: '/reminders/at-risk', summary: 'Remind everyone at risk, in a department when named', auth: 'credits/admin', body: atRiskRemindInput, response: r.remindBatchSchema, status: 202 },
  { method: 'post', path: '/reminders/sweep', summary: 'Queue the reminders owed now (deadlines, falling behind, weekly digests); the server also runs it hourly', auth: 'credits/admin', response: r.sweepResultSchema },
  { method: 'post', path: '/periods/{period}/close', summary: 'Close a year: no more changes or awards', auth: 'credits/admin' },
  ...['summary', 'study-time', 'hot-courses', 'at-risk', 'managers', 'leaderboard', 'flags'].map(
    (name): Operation => ({ method: 'get', path: `/reports/${name}`, summary: `The ${name} report (JSON, or CSV with format=csv); see docs/reports.md`, auth: 'credits/read', query: { ...period, format: 'json or csv' } }),
  ),
  { method: 'post', path: '/lti/platforms', summary: 'Register an LMS platform for LTI 1.3 (see docs/lti.md)', auth: 'credits/admin', body: platformInput, status: 201 },
  { method: 'get', path: '/lti/platforms', summary: 'Registered LTI platforms', auth: 'credits/admin' },
  { method: 'get', path: '/lti/platforms/{id}', summary: 'One LTI platform', auth: 'credits/admin' },
  { method: 'post', path: '/lti/platforms/{id}/approve', summary: 'Approve a platform registered dynamically', auth: 'credits/admin', body: approveInput },
  { method: 'delete', path: '/lti/platforms/{id}', summary: 'Remove an LTI platform', auth: 'credits/admin', status: 204 },
  { method: 'post', path: '/lti/registration-links', summary: 'Make a single-use LTI Dynamic Registration link for this tenant (the token is shown only here)', auth: 'credits/admin', body: linkInput, status: 201 },
  { method: 'get', path: '/lti/registration-links', summary: 'Registration links of this tenant, without their tokens', auth: 'credits/admin' },
  { method: 'delete', path: '/lti/registration-links/{id}', summary: 'Revoke a registration link', auth: 'credits/admin', status: 204 },
  { method: 'post', path: '/webhooks', summary: 'Subscribe a URL to events; the answer carries the signing secret once', auth: 'credits/admin', body: webhookInput, response: r.webhookSchema, status: 201 },
  { method: 'get', path: '/webhooks', summary: "The tenant's webhooks", auth: 'credits/admin', response: r.webhookListSchema },
  { method: 'delete', path: '/webhooks/{webhookId}', summary: 'Stop a webhook', auth: 'credits/admin', status: 204 },
  { method: 'post', path: '/webhooks/{webhookId}/test', summary: 'Send a webhook.test event', auth: 'credits/admin', status: 202 },
  { method: 'get', path: '/webhooks/{webhookId}/deliveries', summary: 'The delivery log of a webhook, newest first', auth: 'credits/admin', response: r.deliveryListSchema },
];

const schema = (s: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return rest;
};

const errorSchema = schema(r.errorBodySchema, 'output');

/** The OpenAPI 3.1 document of the credits API, built from the same zod schemas that validate it. */
export function openApiDocument(serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = Object.entries(op.query ?? {}).map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } }));
    const ok = String(op.status ?? 200);
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      operationId: `${op.method}${op.path.replace(/\{(\w+)\}/g, 'By-$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      security: [op.auth === 'launch' ? { launchToken: [] } : { basic: [op.auth] }],
      ...(params.length || query.length ? { parameters: [...params, ...query] } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(op.body, 'input') } } } } : {}),
      responses: {
        [ok]: op.status === 204 ? { description: 'Done' } : { description: 'OK', content: { 'application/json': { schema: op.response ? schema(op.response, 'output') : { type: 'object' } } } },
        '4XX': { description: 'Bad input (the message names the field), missing scope, unknown id or a conflict', content: { 'application/json': { schema: errorSchema } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'xcredit credits API', version: '1', description: 'Courses, launches, learners, credits and their explanations, awards, targets, reports and webhooks.' },
    servers: [{ url: `${serverUrl}/api/v1` }],
    components: {
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic', description: 'A client key and secret (xcredit create-client); the scope needed is listed per operation' },
        launchToken: { type: 'http', scheme: 'bearer', description: 'A launch token, as the player holds it' },
      },
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
    'OpenAPI 3.1). Errors are `{ "error": { "status", "code", "message", "issues"? } }`; the message names the field.',
    '',
  ];
  for (const op of operations) {
    lines.push(`## \`${op.method.toUpperCase()} /api/v1${op.path}\``, '', `${op.summary}. Auth: ${op.auth === 'launch' ? 'launch token (Bearer)' : `client with \`${op.auth}\``}.`, '');
    if (op.query) lines.push('Query:', '', ...Object.entries(op.query).map(([k, v]) => `- \`${k}\`: ${v}`), '');
    if (op.body) lines.push('Body:', '', '```json', JSON.stringify(schema(op.body, 'input'), null, 2), '```', '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
