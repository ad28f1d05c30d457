import { z } from 'zod';
import { isMediaUrl, QUESTION_TYPES, type ErrorBody } from './wire.js';

// Responses are loose objects: fields a newer server adds pass through instead of failing.
const agent = z.looseObject({ objectType: z.literal('Agent'), account: z.looseObject({ homePage: z.string(), name: z.string() }) });
const gate = z.looseObject({ name: z.string(), passed: z.boolean(), required: z.number(), actual: z.number(), reason: z.string() });
const flag = z.looseObject({ code: z.string(), message: z.string() });
const kind = z.enum(['required', 'elective']);

export const courseSchema = z.looseObject({
  courseId: z.string(),
  title: z.string(),
  activityId: z.string(),
  credits: z.number(),
  kind,
  lengthSeconds: z.number(),
  videoUrl: z.string().nullable(),
  captionsUrl: z.string().nullable().optional(),
  category: z.string().nullable().optional(),
  makeUpFor: z.string().nullable().optional(),
  validity: z.looseObject({ months: z.number() }).nullable().optional(),
  questions: z.array(z.looseObject({ id: z.string(), at: z.number(), type: z.string() })).optional(),
  reflection: z.looseObject({ minLength: z.number(), prompt: z.string().nullable().optional() }).nullable().optional(),
  policy: z.record(z.string(), z.unknown()),
  updatedAt: z.string(),
});
export type Course = z.infer<typeof courseSchema>;

export const launchSchema = z.looseObject({
  launchToken: z.string(),
  registration: z.string(),
  actor: agent,
  activityId: z.string(),
  playerUrl: z.string(),
  /** The learner's check-in page for the course's offline training sessions (opened once in the browser that scans the QR codes). */
  checkinUrl: z.string(),
  expiresAt: z.string(),
});
export type Launch = z.infer<typeof launchSchema>;

const courseCredits = z.looseObject({
  courseId: z.string(),
  title: z.string(),
  kind,
  credits: z.number(),
  earned: z.number(),
  coverage: z.number(),
  attention: z.number(),
  mastery: z.number(),
  engagement: z.number(),
  gates: z.array(gate),
  flags: z.array(flag).optional(),
  /** A course with a validity: when its credits were earned and until when they are valid; `carried` when earned in an earlier year. */
  validity: z.looseObject({ months: z.number(), earnedIn: z.string(), earnedAt: z.string(), validUntil: z.string(), carried: z.boolean() }).nullable().optional(),
});

export const learnerCreditsSchema = z.looseObject({
  learnerId: z.string(),
  period: z.string(),
  earned: z.number(),
  required: z.number().optional(),
  elective: z.number().optional(),
  /** Required credits held from valid courses earned in earlier years: they meet the required part of the target, not the total. */
  carried: z.number().optional(),
  remaining: z.number().optional(),
  requiredRemaining: z.number().optional(),
  projected: z.number().optional(),
  daysLeft: z.number().optional(),
  status: z.enum(['met', 'on_track', 'at_risk', 'no_target']).optional(),
  target: z.looseObject({ total: z.number(), required: z.number(), groupType: z.string(), groupValue: z.string() }).nullable().optional(),
  courses: z.array(courseCredits),
});
export type LearnerCredits = z.infer<typeof learnerCreditsSchema>;

export const engagementSchema = z.looseObject({
  learnerId: z.string(),
  courseId: z.string(),
  period: z.string(),
  credits: z.number(),
  earned: z.number(),
  engagement: z.number(),
  factors: z.looseObject({ coverage: z.number(), attention: z.number(), mastery: z.number() }),
  gates: z.array(gate),
  seconds: z.looseObject({ claimed: z.number(), verified: z.number(), watched: z.number(), focused: z.number() }),
  /** Each question's standing and every answer received, with whether it counted and why. */
  questions: z.array(
    z.looseObject({
      id: z.string(),
      number: z.number(),
      answered: z.boolean(),
      correct: z.boolean(),
      attempts: z.array(z.looseObject({ at: z.string(), correct: z.boolean(), counted: z.boolean(), reason: z.string() })),
    }),
  ),
  sessions: z.array(z.looseObject({ registration: z.string(), startedAt: z.string() })),
  flags: z.array(flag),
});
export type Engagement = z.infer<typeof engagementSchema>;

export const ledgerSchema = z.looseObject({
  learnerId: z.string(),
  period: z.string(),
  total: z.number(),
  entries: z.array(
    z.looseObject({
      id: z.string(),
      source: z.enum(['video', 'offline', 'make-up', 'growth', 'adjustment', 'import']),
      amount: z.number(),
      courseId: z.string().nullable(),
      awardId: z.string().nullable(),
      kind,
      reason: z.string(),
      createdBy: z.string(),
      approvedBy: z.string().nullable(),
      createdAt: z.string(),
    }),
  ),
});
export type Ledger = z.infer<typeof ledgerSchema>;

/** `GET /statements/explained`: statements, newest first, with what the engine made of each. */
export const explainedStatementsSchema = z.looseObject({
  statements: z.array(
    z.looseObject({
      id: z.string(),
      stored: z.string(),
      timestamp: z.string().nullable(),
      verb: z.string(),
      verbId: z.string(),
      learnerId: z.string().nullable(),
      courseId: z.string().nullable(),
      period: z.string(),
      registration: z.string().nullable(),
      sessionId: z.string().nullable(),
      source: z.string(),
      objectId: z.string().nullable(),
      media: z.looseObject({ time: z.number().optional(), from: z.number().optional(), to: z.number().optional() }),
      verdict: z.enum(['counted', 'capped', 'flagged', 'not_counted', 'outside_launch', 'voided']),
      explanation: z.string(),
    }),
  ),
  nextCursor: z.string().nullable(),
});
export type ExplainedStatements = z.infer<typeof explainedStatementsSchema>;

export const learnerSchema = z.looseObject({
  learnerId: z.string(),
  displayName: z.string().nullable().optional(),
  department: z.string().nullable().optional(),
  role: z.string().nullable().optional(),
  managerId: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  language: z.enum(['en', 'zh']).nullable().optional(),
  managerEmail: z.string().nullable().optional(),
  remindersOptOut: z.boolean().optional(),
});
export type Learner = z.infer<typeof learnerSchema>;
export const learnerPageSchema = z.looseObject({ learners: z.array(learnerSchema), next: z.string().nullable() });
export const importResultSchema = z.looseObject({ created: z.number(), updated: z.number() });

/** The answer of a history import: every line with its status and problems. */
export const historyReportSchema = z.looseObject({
  file: z.string(),
  dryRun: z.boolean(),
  ok: z.boolean(),
  counts: z.looseObject({ lines: z.number(), new: z.number(), alreadyImported: z.number(), invalid: z.number() }),
  lines: z.array(
    z.looseObject({
      line: z.number(),
      externalId: z.string().nullable(),
      learnerId: z.string().nullable(),
      date: z.string().nullable(),
      period: z.string().nullable(),
      credits: z.number().nullable(),
      status: z.enum(['new', 'already_imported', 'invalid']),
      problems: z.array(z.looseObject({ field: z.string(), message: z.string() })),
    }),
  ),
});
export type HistoryReport = z.infer<typeof historyReportSchema>;

export const awardSchema = z.looseObject({
  awardId: z.string(),
  learnerId: z.string(),
  source: z.enum(['offline', 'growth']),
  title: z.string(),
  credits: z.number(),
  period: z.string(),
  kind,
  status: z.enum(['pending', 'approved', 'rejected']),
  decisionReason: z.string().nullable(),
  requestedBy: z.string(),
  decidedBy: z.string().nullable(),
  createdAt: z.string(),
  history: z.array(z.looseObject({ action: z.string(), actor: z.string(), reason: z.string().nullable(), at: z.string() })).optional(),
  /** What was credited: less than `credits` when a category's yearly cap cut it (`capNote` says why); null until approved. */
  creditedCredits: z.number().nullable().optional(),
  capNote: z.string().nullable().optional(),
  files: z.array(z.looseObject({ fileId: z.string(), fileName: z.string(), contentType: z.string(), size: z.number() })).optional(),
});
export type Award = z.infer<typeof awardSchema>;
export const awardListSchema = z.looseObject({ awards: z.array(awardSchema) });

const reflectionStatus = z.enum(['submitted', 'approved', 'returned']);

/** One learner's reflection on one course, with its history (submitted, returned, approved). */
export const reflectionSchema = z.looseObject({
  learnerId: z.string(),
  courseId: z.string(),
  courseTitle: z.string(),
  text: z.string(),
  /** In graphemes, as the minimum is counted. */
  length: z.number(),
  minLength: z.number().nullable(),
  status: reflectionStatus,
  note: z.string().nullable(),
  submittedAt: z.string(),
  reviewedAt: z.string().nullable(),
  reviewer: z.string().nullable(),
  history: z.array(z.looseObject({ action: z.string(), actor: z.string(), note: z.string().nullable(), at: z.string() })).optional(),
});
export type Reflection = z.infer<typeof reflectionSchema>;
export const reflectionListSchema = z.looseObject({ reflections: z.array(reflectionSchema) });

/** `GET /launches/current/reflection`: what the player shows in its reflection panel. */
export const playerReflectionSchema = z.looseObject({
  required: z.boolean(),
  minLength: z.number().nullable(),
  prompt: z.string().nullable(),
  status: reflectionStatus.nullable(),
  text: z.string().nullable(),
  note: z.string().nullable(),
});
export type PlayerReflection = z.infer<typeof playerReflectionSchema>;

export const targetSchema = z.looseObject({ period: z.string(), groupType: z.string(), groupValue: z.string(), total: z.number(), required: z.number() });
export type Target = z.infer<typeof targetSchema>;
export const periodClosedSchema = z.looseObject({ period: z.string(), closedAt: z.string() });

export const webhookSchema = z.looseObject({ webhookId: z.string(), url: z.string(), events: z.array(z.string()), secret: z.string().optional() });
export type Webhook = z.infer<typeof webhookSchema>;
export const webhookListSchema = z.looseObject({ webhooks: z.array(webhookSchema) });
export const deliveryListSchema = z.looseObject({
  deliveries: z.array(
    z.looseObject({ deliveryId: z.string(), eventId: z.string(), event: z.string(), status: z.enum(['pending', 'delivered', 'failed']), attempts: z.number(), lastStatus: z.number().nullable(), lastError: z.string().nullable() }),
  ),
});
export type WebhookDelivery = z.infer<typeof deliveryListSchema>['deliveries'][number];

/** `GET /reports/{name}` as JSON: one row per group, course or learner, in `columns` order when written as CSV (docs/reports.md). */
export const reportSchema = z.looseObject({
  report: z.string(),
  period: z.string(),
  generatedAt: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.record(z.string(), z.unknown())),
});
export type Report = z.infer<typeof reportSchema>;

// Each report's rows (docs/reports.md); strict, so a column the server adds is added here too.
const num = z.number();
const numOrNull = z.number().nullable();
const strOrNull = z.string().nullable();
const summaryRow = {
  group: strOrNull,
  groupName: strOrNull,
  learners: num,
  earned: num,
  averageEarned: num,
  required: num,
  elective: num,
  averageTarget: numOrNull,
  withTarget: num,
  met: num,
  onTrack: num,
  atRisk: num,
  metRate: numOrNull.describe('learners who met their target, of those with a target'),
};
const rowsOf = <S extends z.ZodType>(row: S, more: z.ZodRawShape = {}) => reportSchema.extend({ rows: z.array(row), ...more });
export const summaryReportSchema = rowsOf(z.strictObject(summaryRow), { total: z.strictObject(summaryRow).nullable() });
export const studyTimeReportSchema = rowsOf(z.strictObject({ bucket: z.string(), fromHours: num, toHours: numOrNull, learners: num }));
export const hotCoursesReportSchema = rowsOf(
  z.strictObject({ courseId: z.string(), title: z.string(), kind: z.string(), credits: num, launches: num, learners: num, completions: num, completionRate: numOrNull, averageEngagement: numOrNull }),
);
export const atRiskReportSchema = rowsOf(
  z.strictObject({
    learnerId: z.string(),
    displayName: strOrNull,
    department: strOrNull,
    role: strOrNull,
    managerId: strOrNull,
    earned: num,
    required: num,
    carried: num,
    target: num,
    targetRequired: num,
    projected: num,
    remaining: num,
    requiredRemaining: num,
    daysLeft: num,
  }),
);
export const managersReportSchema = rowsOf(z.strictObject({ ...summaryRow, managerId: z.string(), managerName: strOrNull, atRiskLearners: z.string() }));
export const leaderboardReportSchema = rowsOf(
  z.strictObject({
    rank: num,
    group: strOrNull,
    learners: num,
    averageEarned: num,
    top: z.string(),
    leaders: z.array(z.strictObject({ learnerId: z.string(), displayName: strOrNull, earned: num })),
  }),
);
export const flagsReportSchema = rowsOf(z.strictObject({ code: z.string(), occurrences: num, learners: num, courses: num }));
/** The JSON answer of each report, by name. */
export const reportSchemas = {
  summary: summaryReportSchema,
  'study-time': studyTimeReportSchema,
  'hot-courses': hotCoursesReportSchema,
  'at-risk': atRiskReportSchema,
  managers: managersReportSchema,
  leaderboard: leaderboardReportSchema,
  flags: flagsReportSchema,
} as const;

/** `PUT`/`GET /policy`: the tenant's policy defaults, as set (fields left out take the built-in defaults). */
export const policySchema = z.record(z.string(), z.unknown());

export const settingsSchema = z.looseObject({ leaderboard: z.boolean() });
export type Settings = z.infer<typeof settingsSchema>;

export const certificateSchema = z.looseObject({
  certificateId: z.string(),
  kind: z.enum(['course', 'target']),
  learnerId: z.string(),
  learnerName: z.string(),
  courseId: z.string().nullable(),
  period: z.string(),
  title: z.string(),
  credits: z.number(),
  issuedAt: z.string(),
  issuedBy: z.string(),
  issuer: z.string(),
  pdfUrl: z.string(),
  verifyUrl: z.string(),
});
export type Certificate = z.infer<typeof certificateSchema>;
/** `GET /certificates/{id}`: the certificate and whether it still stands (a voided credit revokes it). */
export const certificateStatusSchema = certificateSchema.extend({ valid: z.boolean(), reason: z.string() });
export type CertificateStatus = z.infer<typeof certificateStatusSchema>;

/** Every error the server answers (4xx and 5xx); `issues` names the fields at fault. */
export const errorBodySchema = z.strictObject({
  error: z.strictObject({
    status: z.number().int().min(400).max(599),
    code: z.string(),
    message: z.string().describe('Names the field at fault'),
    issues: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  }),
}) satisfies z.ZodType<ErrorBody>;

const present = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
const nonEmpty = z.string().min(1);
const finite = z.number().refine(Number.isFinite);
const textMap = z.record(z.string(), z.string());
const mediaUrl = z.string().refine(isMediaUrl, 'must be an http(s) URL or a path starting with /');

/**
 * `GET /launches/current`: what the player needs to run a launch. The player checks the same
 * contract without zod (`parsePlayerLaunch` in `@xcredit/sdk/contracts/wire`). Unknown fields
 * are allowed: a newer server may send more.
 */
export const playerLaunchSchema = z.looseObject({
  learnerId: nonEmpty,
  courseId: nonEmpty,
  actor: z.looseObject({}),
  registration: nonEmpty,
  activityId: nonEmpty,
  course: z.looseObject({
    title: nonEmpty,
    lengthSeconds: finite,
    videoUrl: present(mediaUrl),
    captionsUrl: present(mediaUrl),
    reflection: present(z.object({ minLength: finite, prompt: present(nonEmpty) })),
  }),
  policy: present(
    z.object({
      gates: present(z.object({ coverage: present(finite) })),
      maxRate: present(finite),
      seekLock: present(z.boolean()),
      pauseWhenHidden: present(z.boolean()),
      idleSeconds: present(finite),
      promptTimeoutSeconds: present(finite),
    }),
  ),
  questions: present(
    z.array(
      z.object({
        id: nonEmpty,
        at: finite,
        type: z.enum(QUESTION_TYPES as [string, ...string[]]),
        prompt: textMap,
        choices: present(z.array(z.object({ id: nonEmpty, text: textMap }))),
        answerToContinue: present(z.boolean()),
        revealAnswer: present(z.boolean()),
      }),
    ),
  ),
  expiresAt: present(z.string()),
});
export type PlayerLaunchBody = z.input<typeof playerLaunchSchema>;

/** The URLs an LMS admin enters to register xcredit as an LTI 1.3 tool. */
const toolUrls = z.looseObject({ loginUrl: z.string(), launchUrl: z.string(), deepLinkingUrl: z.string(), jwksUrl: z.string(), dynamicRegistrationUrl: z.string() });
export const platformSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  issuer: z.string(),
  clientId: z.string(),
  deploymentIds: z.array(z.string()),
  learnerIdClaim: z.enum(['sub', 'email', 'lis.person_sourcedid']),
  status: z.enum(['active', 'pending']),
  source: z.enum(['admin', 'dynamic']),
});
export type Platform = z.infer<typeof platformSchema>;
/** `POST /lti/platforms` answers the platform and the tool's URLs to give the LMS. */
export const registeredPlatformSchema = platformSchema.extend({ tool: toolUrls });
export type RegisteredPlatform = z.infer<typeof registeredPlatformSchema>;
export const platformListSchema = z.looseObject({ platforms: z.array(platformSchema), tool: toolUrls });

/** `POST /lti/registration-links`: the link to give an LMS admin; its token is shown only here. */
export const createdRegistrationLinkSchema = z.looseObject({ id: z.string(), url: z.string(), expiresAt: z.string() });
export type CreatedRegistrationLink = z.infer<typeof createdRegistrationLinkSchema>;
/** A registration link as listed, without its token. */
export const registrationLinkSchema = z.looseObject({
  id: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  status: z.enum(['open', 'used', 'expired', 'revoked']),
  usedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  platformId: z.string().nullable(),
});
export type RegistrationLink = z.infer<typeof registrationLinkSchema>;
export const registrationLinkListSchema = z.looseObject({ links: z.array(registrationLinkSchema) });

/** `POST /webhooks/{webhookId}/test`. */
export const queuedSchema = z.looseObject({ queued: z.literal(true) });
/** The tenant's mail settings as the API shows them: the password never leaves the server. */
export const mailSettingsSchema = z.looseObject({
  enabled: z.boolean(),
  host: z.string(),
  port: z.number(),
  secure: z.boolean(),
  user: z.string().nullable(),
  hasPassword: z.boolean(),
  from: z.string(),
  language: z.enum(['en', 'zh']),
  deadlineDays: z.number(),
});
export type MailSettings = z.infer<typeof mailSettingsSchema>;

/** What a reminder is about: a deadline near, falling behind, sent by hand, a manager's digest, an improvement plan, a certification expiring. */
export const REMINDER_KINDS = ['deadline', 'at_risk', 'manual', 'digest', 'plan', 'expiring'] as const;
export type ReminderKind = (typeof REMINDER_KINDS)[number];

/** One reminder: who, what, when, and whether the mail server took it. */
export const reminderSchema = z.looseObject({
  reminderId: z.string(),
  kind: z.enum(REMINDER_KINDS),
  learnerId: z.string().nullable(),
  managerId: z.string().nullable(),
  recipient: z.string(),
  language: z.enum(['en', 'zh']),
  period: z.string(),
  window: z.string(),
  subject: z.string(),
  status: z.enum(['queued', 'delivered', 'failed']),
  attempts: z.number(),
  lastError: z.string().nullable(),
  requestedBy: z.string(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
});
export type Reminder = z.infer<typeof reminderSchema>;
export const reminderListSchema = z.looseObject({ reminders: z.array(reminderSchema) });
/** The answer of a remind request: the reminder, and whether this request queued it (false: it was already sent for this window). */
export const remindResultSchema = z.looseObject({ reminder: reminderSchema, created: z.boolean() });
export const remindBatchSchema = z.looseObject({
  period: z.string(),
  department: z.string().nullable(),
  queued: z.array(z.string()),
  already: z.array(z.string()),
  skipped: z.array(z.looseObject({ learnerId: z.string(), reason: z.enum(['opted_out', 'no_email']) })),
});
export type RemindBatch = z.infer<typeof remindBatchSchema>;
export const sweepResultSchema = z.looseObject({ queued: z.number() });

export const growthCategorySchema = z.looseObject({ categoryId: z.string(), name: z.string(), yearlyCap: z.number().nullable() });
export type GrowthCategory = z.infer<typeof growthCategorySchema>;
export const growthCategoryListSchema = z.looseObject({ categories: z.array(growthCategorySchema) });
export const evidenceFileSchema = z.looseObject({ fileId: z.string(), fileName: z.string(), contentType: z.string(), size: z.number() });
export type EvidenceFile = z.infer<typeof evidenceFileSchema>;

/** One course on a learner's path: why it is there and the day to finish it by. */
export const pathStepSchema = z.looseObject({
  courseId: z.string(),
  title: z.string(),
  kind: z.enum(['required', 'elective']),
  category: z.string().nullable(),
  credits: z.number(),
  minutes: z.number(),
  inProgress: z.boolean(),
  reason: z.enum(['required_missing', 'elective']),
  dueOn: z.string(),
  late: z.boolean(),
  creditsAfter: z.number(),
});
export type PathStep = z.infer<typeof pathStepSchema>;

/** `GET /learners/{learnerId}/path`: the courses to take to reach the target, in order, dated, and whether it can be done in time. */
export const learningPathSchema = z.looseObject({
  learnerId: z.string(),
  period: z.string(),
  status: z.enum(['met', 'planned', 'no_target']),
  target: z.looseObject({ total: z.number(), required: z.number() }).nullable(),
  earned: z.number(),
  remaining: z.number(),
  requiredRemaining: z.number(),
  daysLeft: z.number(),
  minutesNeeded: z.number(),
  minutesPerWeek: z.number(),
  maxMinutesPerWeek: z.number(),
  reachable: z.boolean(),
  unreachable: z.array(z.enum(['no_time', 'pace', 'catalog'])),
  shortfall: z.number(),
  explanation: z.array(z.string()),
  steps: z.array(pathStepSchema),
});
export type LearningPath = z.infer<typeof learningPathSchema>;

/** A milestone of an improvement plan, tracked against the ledger. */
export const planMilestoneSchema = z.looseObject({
  courseId: z.string(),
  title: z.string(),
  kind: z.enum(['required', 'elective']),
  credits: z.number(),
  dueOn: z.string(),
  status: z.enum(['done', 'due', 'overdue']),
  creditedAt: z.string().nullable(),
});
export type PlanMilestone = z.infer<typeof planMilestoneSchema>;

/** An improvement plan: the path as it was when made, each milestone done, due or overdue now. */
export const improvementPlanSchema = z.looseObject({
  planId: z.string(),
  learnerId: z.string(),
  period: z.string(),
  note: z.string().nullable(),
  maxMinutesPerWeek: z.number(),
  reachable: z.boolean(),
  createdBy: z.string(),
  createdAt: z.string(),
  done: z.number(),
  overdue: z.number(),
  milestones: z.array(planMilestoneSchema),
  mails: z.array(z.looseObject({ to: z.enum(['learner', 'manager']), status: z.enum(['queued', 'opted_out', 'no_email']), reminderId: z.string().nullable() })),
});
export type ImprovementPlan = z.infer<typeof improvementPlanSchema>;
export const improvementPlanResultSchema = z.looseObject({ plan: improvementPlanSchema, created: z.boolean() });
export const improvementPlanListSchema = z.looseObject({ plans: z.array(improvementPlanSchema) });
/** An offline training session. `status`: scheduled, open (codes are shown, learners check in), closed (attendance credited). */
export const trainingSessionSchema = z.looseObject({
  sessionId: z.string(),
  courseId: z.string(),
  courseTitle: z.string(),
  credits: z.number(),
  period: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  location: z.string(),
  trainer: z.string(),
  minShare: z.number(),
  graceMinutes: z.number(),
  status: z.enum(['scheduled', 'open', 'closed']),
  openedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  checkedIn: z.number(),
});
export type TrainingSession = z.infer<typeof trainingSessionSchema>;
export const trainingSessionListSchema = z.looseObject({ sessions: z.array(trainingSessionSchema) });

/**
 * One learner's attendance: scans, lateness and early leaving in minutes (beyond the grace, else 0),
 * and once the session is closed the attended minutes, the credits and why.
 */
export const attendanceSchema = z.looseObject({
  learnerId: z.string(),
  checkedInAt: z.string(),
  checkedOutAt: z.string().nullable(),
  lateMinutes: z.number(),
  earlyMinutes: z.number().nullable(),
  attendedMinutes: z.number().nullable(),
  sessionMinutes: z.number(),
  status: z.enum(['present', 'credited', 'not_credited']),
  credits: z.number().nullable(),
  explanation: z.string().nullable(),
  /** Every accepted scan, in order: in or out, when, and the code's 30-second step. */
  scans: z.array(z.looseObject({ action: z.enum(['in', 'out']), at: z.string(), codeStep: z.number() })),
});
export type Attendance = z.infer<typeof attendanceSchema>;
export const trainingSessionDetailSchema = trainingSessionSchema.extend({ attendance: z.array(attendanceSchema) });
export type TrainingSessionDetail = z.infer<typeof trainingSessionDetailSchema>;

/** The code a session's page shows now, as a check-in link; a new one every `stepSeconds`, each accepted until `expiresAt`. */
export const checkinCodeSchema = z.looseObject({ code: z.string(), url: z.string(), svg: z.string().describe('the QR code of url, as SVG'), stepSeconds: z.number(), expiresAt: z.string() });
export type CheckinCode = z.infer<typeof checkinCodeSchema>;

/** The answer to a scan: the learner's attendance of the session so far. `created` is false for a repeated scan. */
export const checkinResultSchema = z.looseObject({
  sessionId: z.string(),
  courseTitle: z.string(),
  location: z.string(),
  action: z.enum(['in', 'out']),
  created: z.boolean(),
  checkedInAt: z.string(),
  checkedOutAt: z.string().nullable(),
});
export type CheckinResult = z.infer<typeof checkinResultSchema>;
/** `POST /training-sessions/sweep`: how many ended sessions it closed. */
export const sweepClosedSchema = z.looseObject({ closed: z.number() });
