import { z } from 'zod';
import { iri } from '../xapi/schema.js';
import { WEBHOOK_EVENTS } from './webhooks.js';

// Request bodies the credits API accepts. The server validates with these; the SDK's inputs are
// their `z.input` types, so a field added here reaches both at once.

export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
/** A learner, course or requirement id. */
export const idText = z.string().regex(ID_RE, 'must be 1–128 letters, digits or . _ : @ - (starting with a letter or digit)');

/** Whether a period names a usable year: the year after it must still be a date the database stores (0001–9999), and two-digit years are not years. */
export const isPeriod = (period: string) => /^\d{4}$/.test(period) && Number(period) >= 1000 && Number(period) <= 9998;

/** A period as requests give it: a year from 1000 to 9998. */
export const periodText = z.string().regex(/^[1-9]\d{3}$/, 'must be a year from 1000 to 9998, e.g. 2026').refine(isPeriod, 'must be a year from 1000 to 9998, e.g. 2026');

const unit = z.number().min(0).max(1);

/** Overrides of the tenant's credit policy for a course (see docs/credits.md). */
export const policyInput = z.strictObject({
  weights: z.strictObject({ coverage: unit, attention: unit, mastery: unit }).partial().optional(),
  gates: z.strictObject({ coverage: unit, mastery: unit, minStudyMinutes: z.number().min(0).max(100_000) }).partial().optional(),
  maxRate: z.number().min(0.25).max(16).optional(),
  slackSeconds: z.number().min(0).max(60).optional(),
  evidenceSeconds: z.number().min(20).max(600).optional(),
  offlineGraceSeconds: z.number().min(0).max(3600).optional(),
  seekLock: z.boolean().optional(),
  pauseWhenHidden: z.boolean().optional(),
  idleSeconds: z.number().int().min(0).max(3600).optional(),
  promptTimeoutSeconds: z.number().int().min(5).max(600).optional(),
  attentionChecks: z.number().int().min(0).max(20).optional(),
  maxAttempts: z.number().int().min(1).max(20).optional(),
  sessionMode: z.enum(['take-over', 'refuse']).optional(),
});
export type PolicyInput = z.infer<typeof policyInput>;

const text = z.record(z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag like en or zh-CN'), z.string().trim().min(1).max(2000));
const shortId = () => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1–64 letters, digits or . _ -');

/** An in-video question with its correct answers. */
export const questionInput = z
  .strictObject({
    id: shortId(),
    at: z.number().min(0, 'must not be negative'),
    type: z.enum(['single-choice', 'multiple-choice', 'true-false', 'fill-in']),
    prompt: text.refine((t) => Object.keys(t).length > 0, 'needs at least one language'),
    choices: z.array(z.strictObject({ id: shortId(), text })).min(2).max(12).optional(),
    correct: z.array(z.string().trim().min(1).max(500)).min(1, 'needs at least one correct answer'),
    answerToContinue: z.boolean().default(false),
    revealAnswer: z.boolean().default(false),
  })
  .superRefine((q, ctx) => {
    const choice = q.type === 'single-choice' || q.type === 'multiple-choice';
    if (choice && !q.choices) ctx.addIssue({ code: 'custom', path: ['choices'], message: `a ${q.type} question needs choices` });
    if (!choice && q.choices) ctx.addIssue({ code: 'custom', path: ['choices'], message: `a ${q.type} question has no choices` });
    if (choice && q.choices) {
      const ids = new Set(q.choices.map((c) => c.id));
      if (ids.size !== q.choices.length) ctx.addIssue({ code: 'custom', path: ['choices'], message: 'choice ids must be unique' });
      for (const c of q.correct) if (!ids.has(c)) ctx.addIssue({ code: 'custom', path: ['correct'], message: `"${c}" is not one of the choice ids` });
    }
    if (q.type === 'single-choice' && q.correct.length !== 1) ctx.addIssue({ code: 'custom', path: ['correct'], message: 'a single-choice question has exactly one correct choice' });
    if (q.type === 'true-false' && (q.correct.length !== 1 || !['true', 'false'].includes(q.correct[0]!))) {
      ctx.addIssue({ code: 'custom', path: ['correct'], message: 'a true-false question is correct with ["true"] or ["false"]' });
    }
  });
export type QuestionInput = z.input<typeof questionInput>;

const mediaUrl = z
  .string()
  .max(2000)
  .refine((s) => s.startsWith('/') || /^https?:\/\//.test(s), 'must be an http(s) URL or a path starting with /');

/** A course's demand for a written reflection after viewing; its credits wait for a reviewer's approval. */
export const reflectionRequirementInput = z.strictObject({
  /** Fewest characters, counted as people count them (one Chinese character is one). */
  minLength: z.number().int('must be a whole number').min(1, 'must be at least 1').max(5000),
  /** What the learner is asked to reflect on. */
  prompt: z.string().trim().min(1, 'must not be empty').max(1000).optional(),
});

/** `PUT /courses/{courseId}`. */
export const courseInput = z.strictObject({
  title: z.string().trim().min(1, 'must not be empty').max(300),
  /** The xAPI activity IRI statements about this course use. */
  activityId: iri,
  credits: z.number().min(0, 'must not be negative').max(1000),
  kind: z.enum(['required', 'elective']),
  lengthSeconds: z.number().positive('must be greater than 0').max(24 * 3600),
  /** URL (or server path) of the course video. */
  videoUrl: mediaUrl.optional(),
  policy: policyInput.optional(),
  category: z.string().trim().min(1).max(100).optional(),
  captionsUrl: mediaUrl.optional(),
  /** The offline requirement this course can make up for; it fulfils it once, never twice. */
  makeUpFor: idText.optional(),
  /**
   * How long credits earned on the course stay valid (e.g. a two-year certification: 24). Absent:
   * the credit year. A valid course satisfies its required part in every credit year it overlaps.
   */
  validity: z.strictObject({ months: z.number().int('must be a whole number of months').min(1, 'must be 1–120 months').max(120, 'must be 1–120 months') }).optional(),
  questions: z
    .array(questionInput)
    .max(100)
    .refine((qs) => new Set(qs.map((q) => q.id)).size === qs.length, 'question ids must be unique')
    .optional(),
  /** A reflection the learner writes after viewing; null or left out: none. */
  reflection: reflectionRequirementInput.nullable().optional(),
});
export type CourseInput = z.input<typeof courseInput>;

/** `POST /launches`. */
export const launchInput = z.strictObject({
  learnerId: idText,
  courseId: idText,
  /** How long the launch token lives, in seconds (default 4 hours, at most 24). */
  ttlSeconds: z.number().int().min(60).max(24 * 3600).optional(),
});
export type LaunchInput = z.input<typeof launchInput>;

/** `PUT /learners/{learnerId}`: department, role and manager drive targets and reports. */
export const learnerFields = z.strictObject({
  displayName: z.string().trim().min(1).max(200).optional(),
  department: z.string().trim().min(1).max(200).optional(),
  role: z.string().trim().min(1).max(200).optional(),
  managerId: idText.optional(),
  /** Where reminders go. */
  email: z.email('must be an email address').max(254).optional(),
  /** The language of the learner's reminders (default: the tenant's). */
  language: z.enum(['en', 'zh']).optional(),
  /** The manager's address, when the manager is not a learner with an email of their own. */
  managerEmail: z.email('must be an email address').max(254).optional(),
  /** The learner asked for no reminders. */
  remindersOptOut: z.boolean().optional(),
});
export type LearnerFields = z.input<typeof learnerFields>;

/** A row of `POST /learners/import`. */
export const learnerRow = learnerFields.extend({ learnerId: idText });
export type LearnerRow = z.input<typeof learnerRow>;

const tenths = z
  .number()
  .positive('must be greater than 0')
  .max(1000)
  .refine((n) => Math.abs(n * 10 - Math.round(n * 10)) < 1e-9, 'must have at most one decimal');

/**
 * `POST /awards`: credits that do not come from a video: attendance at offline training (from an
 * HR check-in, approved on arrival) and growth credits (projects, mentoring, teaching,
 * competitions), which wait for an approver.
 */
export const awardInput = z.strictObject({
  learnerId: idText,
  source: z.enum(['offline', 'growth']),
  title: z.string().trim().min(1, 'must not be empty').max(300),
  credits: tenths,
  period: periodText,
  kind: z.enum(['required', 'elective']).default('elective'),
  category: z.string().trim().min(1).max(100).optional(),
  /** The requirement an offline session fulfils; an online make-up course for it counts once with it. */
  requirementId: idText.optional(),
  /** The HR system's id for the check-in or request; the same id twice is one award. */
  externalId: z.string().trim().min(1).max(200).optional(),
  evidence: z.record(z.string(), z.unknown()).optional(),
});
export type AwardInput = z.input<typeof awardInput>;

/** `POST /awards/{awardId}/approve` and `…/reject`. */
export const decisionInput = z.strictObject({ reason: z.string().trim().min(1, 'must not be empty').max(1000).optional() });

/** `POST /launches/current/reflection`: the learner's reflection (its minimum length is the course's). */
export const reflectionInput = z.strictObject({ text: z.string().max(20_000, 'must be at most 20000 characters') });
export type ReflectionInput = z.input<typeof reflectionInput>;

/** `POST /reflections/{learnerId}/{courseId}/return`: what the learner should change. */
export const reflectionReturnInput = z.strictObject({ note: z.string().trim().min(1, 'must not be empty: say what the learner should change').max(2000) });

/** `GET /reflections`. */
export const reflectionListQuery = z.object({
  status: z.enum(['submitted', 'approved', 'returned']).optional().describe('submitted: waiting for review'),
  learnerId: idText.optional().describe('one learner'),
  courseId: idText.optional().describe('one course'),
});

/** `PUT /targets/{period}[/department|role/{name}]`. */
export const targetInput = z
  .strictObject({
    total: z.number().min(0).max(10_000),
    /** Of the total, at least this much from required courses. */
    required: z.number().min(0).max(10_000).default(0),
  })
  .refine((t) => t.required <= t.total, { message: 'must not exceed total', path: ['required'] });
export type TargetInput = z.input<typeof targetInput>;

/** `POST /webhooks`. */
export const webhookInput = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  events: z.array(z.enum([...WEBHOOK_EVENTS, '*'])).min(1, 'name at least one event (or "*")'),
  /** A signing secret of your own; one is made when absent (returned once). */
  secret: z.string().min(16, 'must be at least 16 characters').max(200).optional(),
});
export type WebhookInput = z.input<typeof webhookInput>;

/** `POST /certificates`: a certificate for a completed course, or for a learner's met target. */
export const certificateInput = z.strictObject({
  learnerId: idText,
  /** A completed course; without it, the learner's met target for the period. */
  courseId: idText.optional(),
  period: periodText,
});
export type CertificateInput = z.input<typeof certificateInput>;

/** `PUT /settings`: tenant settings an admin may change; anything left out keeps its value. */
export const settingsInput = z.strictObject({
  /** Rank groups (and name their leading learners) in `GET /reports/leaderboard`; off unless a tenant opts in. */
  leaderboard: z.boolean().optional(),
});
export type SettingsInput = z.input<typeof settingsInput>;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** `POST /lti/platforms`: an LMS that launches courses over LTI 1.3 (see docs/lti.md). */
export const platformInput = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  /** The platform's issuer (`iss` of its id_tokens). */
  issuer: httpUrl,
  /** The client id the platform gave xcredit (`aud` of its id_tokens). */
  clientId: z.string().min(1, 'must not be empty').max(200),
  authenticationEndpoint: httpUrl,
  accessTokenEndpoint: httpUrl,
  authorizationServer: z.string().min(1).max(500).optional(),
  jwksUrl: httpUrl,
  deploymentIds: z.array(z.string().min(1, 'must not be empty').max(200)).min(1, 'must list at least one deployment id'),
  learnerIdClaim: z.enum(['sub', 'email', 'lis.person_sourcedid']).default('sub'),
});
export type PlatformInput = z.input<typeof platformInput>;

/** `POST /lti/platforms/{id}/approve`: a platform registered dynamically, approved with what the admin corrects. */
export const approveInput = z.strictObject({
  deploymentIds: z.array(z.string().min(1).max(200)).min(1, 'must list at least one deployment id').optional(),
  learnerIdClaim: z.enum(['sub', 'email', 'lis.person_sourcedid']).optional(),
});
export type ApproveInput = z.input<typeof approveInput>;

/** Hours a Dynamic Registration link stays valid unless asked otherwise (a week). */
export const DEFAULT_LINK_HOURS = 7 * 24;

/** `POST /lti/registration-links` (an empty body takes the defaults). */
export const registrationLinkInput = z.strictObject({
  expiresInHours: z.number().int('must be a whole number of hours').min(1, 'must be at least 1').max(720, 'must be at most 720 (30 days)').default(DEFAULT_LINK_HOURS),
});
export type RegistrationLinkInput = z.input<typeof registrationLinkInput>;

// Query parameters. Each is a string on the wire; `count` reads a bounded whole number.
const count = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`)
    .prefault(String(fallback))
    .describe(`${min}–${max} (default ${fallback})`);

/** How a report answers: JSON (the default), CSV (`format=csv`, or `Accept: text/csv`) or XLSX (`format=xlsx`, or the XLSX media type in `Accept`). */
export const reportFormat = z.enum(['json', 'csv', 'xlsx']);
const reportGroup = z.enum(['department', 'role', 'manager']);
const reportCommon = {
  period: periodText.optional().describe('a year, e.g. 2026 (default: the current one)'),
  format: reportFormat.optional().describe('json (default), csv or xlsx'),
};

/** The query each report takes; anything else is a 400 that names it. */
export const reportQueries = {
  summary: z.strictObject({ ...reportCommon, groupBy: reportGroup.default('department').describe('the groups of the rows') }),
  'study-time': z.strictObject(reportCommon),
  'hot-courses': z.strictObject({ ...reportCommon, limit: count(1, 100, 10) }),
  'at-risk': z.strictObject({
    ...reportCommon,
    limit: count(1, 1000, 100),
    department: z.string().trim().min(1).max(200).optional().describe('only this department'),
    managerId: idText.optional().describe("only this manager's reports"),
  }),
  managers: z.strictObject(reportCommon),
  leaderboard: z.strictObject({ ...reportCommon, group: reportGroup.default('department').describe('what to rank'), top: count(0, 10, 3).describe('leading learners named per group, 0–10 (default 3)') }),
  flags: z.strictObject(reportCommon),
} as const;
export type ReportName = keyof typeof reportQueries;
export const REPORT_NAMES = Object.keys(reportQueries) as ReportName[];

/** `GET /learners`. */
export const learnerListQuery = z.object({
  department: z.string().optional().describe('only this department'),
  limit: count(1, 1000, 100),
  after: z.string().optional().describe('the `next` of the previous page'),
});

/** `GET /awards`. */
export const awardListQuery = z.object({
  status: z.enum(['pending', 'approved', 'rejected']).optional(),
  learnerId: idText.optional().describe('one learner'),
  period: periodText.optional().describe('one year'),
});

/** A period in a query: a year (default: the current one). */
export const periodQuery = z.object({ period: periodText.optional().describe('a year, e.g. 2026 (default: the current one)') });

/** `POST /history/import`. */
export const historyImportQuery = z.object({
  file: z.string().trim().min(1).max(200).describe('the source file name, kept with each entry (required)'),
  dryRun: z.enum(['true', 'false']).optional().describe('true: report only, write nothing'),
});
/** Verbs the statement browser filters by short name; any other verb by its full IRI. */
export const STATEMENT_VERB_NAMES = ['initialized', 'played', 'paused', 'seeked', 'completed', 'terminated', 'interacted', 'answered', 'voided'] as const;

/** A receipt time in a query: ISO 8601 with its offset, in the years 1000–9999 once taken to UTC (a database time). */
const receiptTime = (example: string) =>
  z.iso
    .datetime({ offset: true, error: `must be an ISO 8601 time with its offset, e.g. ${example}` })
    .refine((v) => {
      const t = Date.parse(v);
      return t >= Date.UTC(1000, 0, 1) && t < Date.UTC(10000, 0, 1);
    }, 'must fall in the years 1000 to 9999');

/** `GET /statements/explained`: the statement browser's filters, newest first, one page after `cursor`. */
export const statementsQuery = z
  .strictObject({
    learnerId: idText.optional().describe('only this learner (their launches, and statements whose actor is their account)'),
    courseId: idText.optional().describe('only this course'),
    verb: z.union([z.enum(STATEMENT_VERB_NAMES), z.url({ protocol: /^https?$/ })], { error: `must be one of ${STATEMENT_VERB_NAMES.join(', ')}, or a verb IRI` }).optional().describe('a short name (played, paused, answered, …) or a verb IRI'),
    since: receiptTime('2026-03-01T00:00:00Z').optional(),
    until: receiptTime('2026-03-31T23:59:59Z').optional(),
    limit: z.coerce.number({ error: 'must be a whole number from 1 to 200' }).int('must be a whole number from 1 to 200').min(1, 'must be a whole number from 1 to 200').max(200, 'must be a whole number from 1 to 200').default(50),
    // A statement's seq, a PostgreSQL bigint: 19 digits may still be past its largest value.
    cursor: z
      .string()
      .regex(/^[1-9]\d{0,18}$/, 'must be the nextCursor of a previous page')
      .refine((v) => !/^\d+$/.test(v) || BigInt(v) <= 9223372036854775807n, 'must be the nextCursor of a previous page')
      .optional(),
  })
  .refine((q) => !q.since || !q.until || Date.parse(q.since) < Date.parse(q.until), { path: ['until'], message: 'must be after since' });
export type StatementsQuery = z.input<typeof statementsQuery>;
/**
 * `PUT /reminders/settings`: the tenant's mail server and reminder rules. `password` left out keeps
 * the stored one; `null` removes it.
 */
export const mailSettingsInput = z.strictObject({
  enabled: z.boolean(),
  host: z.string().trim().min(1, 'must not be empty').max(253).regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or address'),
  port: z.number().int().min(1).max(65535),
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  user: z.string().min(1).max(254).optional(),
  password: z.string().min(1).max(1000).nullable().optional(),
  from: z.email('must be an email address').max(254),
  /** The language of reminders for learners who have none of their own. */
  language: z.enum(['en', 'zh']).default('en'),
  /** A deadline reminder goes this many days before the period ends. */
  deadlineDays: z.number().int().min(1).max(365).default(30),
});
export type MailSettingsInput = z.input<typeof mailSettingsInput>;

/** `POST /reminders/at-risk`: remind everyone at risk (in a department, when named). */
export const atRiskRemindInput = z.strictObject({
  department: z.string().trim().min(1).max(200).optional(),
  period: periodText.optional(),
});
export type AtRiskRemindInput = z.input<typeof atRiskRemindInput>;

/** `PUT /growth-categories/{categoryId}`: a kind of growth credit and its yearly cap per learner (none: no cap). */
export const growthCategoryInput = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  yearlyCap: z
    .number()
    .min(0, 'must be 0 or more')
    .max(10000)
    .refine((n) => Math.abs(n * 10 - Math.round(n * 10)) < 1e-9, 'must have at most one decimal')
    .nullable()
    .optional(),
});
export type GrowthCategoryInput = z.input<typeof growthCategoryInput>;

const paceMinutes = z.coerce
  .number({ error: 'must be a whole number of minutes from 15 to 3000' })
  .int('must be a whole number of minutes from 15 to 3000')
  .min(15, 'must be a whole number of minutes from 15 to 3000')
  .max(3000, 'must be a whole number of minutes from 15 to 3000');

/** `GET /learners/{learnerId}/path`: the period and the most study a week the path may ask for. */
export const learningPathQuery = z.strictObject({
  period: periodText.optional().describe('a year, e.g. 2026 (default: the current one)'),
  maxMinutesPerWeek: paceMinutes.default(180).describe('the most study a week the path may ask for (default 180)'),
});
export type LearningPathQuery = z.input<typeof learningPathQuery>;

/** `POST /learners/{learnerId}/plans`: an improvement plan for a learner at risk, made from their path. */
export const improvementPlanInput = z.strictObject({
  period: periodText.optional(),
  maxMinutesPerWeek: z.number().int('must be a whole number of minutes from 15 to 3000').min(15, 'must be a whole number of minutes from 15 to 3000').max(3000, 'must be a whole number of minutes from 15 to 3000').default(180),
  /** A word from HR or the manager, put in the mails. */
  note: z.string().trim().min(1, 'must not be empty').max(2000).optional(),
});
export type ImprovementPlanInput = z.input<typeof improvementPlanInput>;
const sessionTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with a zone, e.g. 2026-05-04T09:00:00+08:00' });

/**
 * `POST /training-sessions`: one session of an offline course (a course without a video): when,
 * where, who trains, the share of it a learner must attend for the course's credits, and the
 * minutes of lateness or early leaving forgiven.
 */
export const trainingSessionInput = z
  .strictObject({
    courseId: idText,
    startsAt: sessionTime,
    endsAt: sessionTime,
    location: z.string().trim().min(1, 'must not be empty').max(200),
    trainer: z.string().trim().min(1, 'must not be empty').max(200),
    /** Attended minutes over the session's minutes needed for the credits (0.8: 80 %). */
    minShare: z.number().gt(0, 'must be greater than 0').max(1, 'must be at most 1').default(0.8),
    /** Arriving this late or leaving this early still counts as the whole session. */
    graceMinutes: z.number().int('must be a whole number').min(0).max(120).default(5),
  })
  .refine((s) => Date.parse(s.endsAt) > Date.parse(s.startsAt), { path: ['endsAt'], message: 'must be after startsAt' })
  .refine((s) => Date.parse(s.endsAt) - Date.parse(s.startsAt) <= 24 * 3600_000, { path: ['endsAt'], message: 'a session lasts at most 24 hours' });
export type TrainingSessionInput = z.input<typeof trainingSessionInput>;

/** `POST /launches/current/attendance`: a learner's scan of a session's check-in code. */
export const checkinInput = z.strictObject({
  code: z.string().min(1, 'must not be empty').max(200),
  /** `in` on arrival, `out` on leaving (a check-out needs a fresh code too). */
  action: z.enum(['in', 'out']).default('in'),
});
export type CheckinInput = z.input<typeof checkinInput>;

/** `GET /training-sessions`: of one course, in one status. */
export const trainingSessionListQuery = z.object({
  courseId: idText.optional().describe('only this course'),
  status: z.enum(['scheduled', 'open', 'closed']).optional(),
});
