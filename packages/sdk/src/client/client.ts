import { z } from 'zod';
import type { ApproveInput, AtRiskRemindInput, ImprovementPlanInput, AwardInput, GrowthCategoryInput, MailSettingsInput, CertificateInput, CourseInput, LaunchInput, LearnerFields, LearnerRow, PlatformInput, PolicyInput, RegistrationLinkInput, SettingsInput, StatementsQuery, TargetInput, TrainingSessionInput, WebhookInput } from '../contracts/requests.js';
import { readErrorBody } from '../contracts/wire.js';
import { XcreditError } from './errors.js';
import { retryDelay } from './retry.js';
import {
  checkinCodeSchema,
  sweepClosedSchema,
  trainingSessionDetailSchema,
  trainingSessionListSchema,
  trainingSessionSchema,
  type CheckinCode,
  type TrainingSession,
  type TrainingSessionDetail,
  awardListSchema,
  awardSchema,
  reflectionListSchema,
  reflectionSchema,
  type Reflection,
  evidenceFileSchema,
  growthCategoryListSchema,
  growthCategorySchema,
  type EvidenceFile,
  type GrowthCategory,
  improvementPlanListSchema,
  improvementPlanResultSchema,
  learningPathSchema,
  type ImprovementPlan,
  type LearningPath,
  mailSettingsSchema,
  remindBatchSchema,
  reminderListSchema,
  remindResultSchema,
  sweepResultSchema,
  type MailSettings,
  type RemindBatch,
  type Reminder,
  certificateSchema,
  certificateStatusSchema,
  courseSchema,
  deliveryListSchema,
  engagementSchema,
  historyReportSchema,
  importResultSchema,
  launchSchema,
  learnerCreditsSchema,
  learnerPageSchema,
  learnerSchema,
  ledgerSchema,
  explainedStatementsSchema,
  type ExplainedStatements,
  periodClosedSchema,
  platformListSchema,
  platformSchema,
  policySchema,
  registeredPlatformSchema,
  reportSchema,
  settingsSchema,
  targetSchema,
  webhookListSchema,
  webhookSchema,
  createdRegistrationLinkSchema,
  queuedSchema,
  registrationLinkListSchema,
  type CreatedRegistrationLink,
  type RegistrationLink,
  type Report,
  type Award,
  type Certificate,
  type CertificateStatus,
  type Course,
  type Engagement,
  type HistoryReport,
  type Launch,
  type Learner,
  type Platform,
  type RegisteredPlatform,
  type Settings,
  type LearnerCredits,
  type Ledger,
  type Target,
  type Webhook,
  type WebhookDelivery,
} from '../contracts/responses.js';

export interface XcreditClientOptions {
  /** The server's base URL, e.g. `https://credits.example.com`. */
  baseUrl: string;
  /** Client key and secret, created with `xcredit create-client`. */
  key: string;
  secret: string;
  /** A fetch implementation; defaults to the global one (Node 20+, browsers). */
  fetch?: typeof fetch;
  /** Attempts for idempotent calls on network errors, 429 and 5xx (default 3). */
  retries?: number;
  /** First retry delay in ms, doubled each time, with random jitter (default 250). A `Retry-After` answer is honoured instead. */
  retryDelayMs?: number;
  /** Longest wait before a retry (default 30 000 ms): a `Retry-After` asking for more fails the call at once. */
  maxRetryDelayMs?: number;
}

interface Call {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  text?: { body: string | Uint8Array; contentType: string };
  /** Safe to send again: GET, PUT, DELETE, and POSTs the server deduplicates. */
  idempotent?: boolean;
  accept?: string;
}


/**
 * The typed client of the xcredit credits API, for HR systems and vendor back ends. Every
 * response is validated; failures throw {@link XcreditError} with status, code and message.
 *
 * @example
 * const xcredit = new XcreditClient({ baseUrl: 'http://localhost:3000', key: 'hr-sync', secret: process.env.XCREDIT_SECRET! });
 * const launch = await xcredit.createLaunch({ learnerId: 'E-1001', courseId: 'fire-safety' });
 */
export class XcreditClient {
  readonly #base: string;
  readonly #auth: string;
  readonly #fetch: typeof fetch;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;

  constructor(options: XcreditClientOptions) {
    this.#base = `${options.baseUrl.replace(/\/+$/, '')}/api/v1`;
    this.#auth = `Basic ${base64(`${options.key}:${options.secret}`)}`;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#retries = Math.max(1, options.retries ?? 3);
    this.#retryDelayMs = options.retryDelayMs ?? 250;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
  }

  // Courses

  /**
   * Creates or replaces a course.
   *
   * @example
   * await xcredit.upsertCourse('fire-safety', { title: 'Fire safety', activityId: 'https://example.com/courses/fire', credits: 2, kind: 'required', lengthSeconds: 900 });
   */
  upsertCourse(courseId: string, course: CourseInput): Promise<Course> {
    return this.#json(courseSchema, { method: 'PUT', path: `/courses/${enc(courseId)}`, body: course, idempotent: true });
  }

  /**
   * Reads a course, with its effective policy and (for admins) its questions' answers.
   *
   * @example
   * const { credits, policy } = await xcredit.getCourse('fire-safety');
   */
  getCourse(courseId: string): Promise<Course> {
    return this.#json(courseSchema, { method: 'GET', path: `/courses/${enc(courseId)}` });
  }

  /**
   * The course as a cmi5 package (a zip holding cmi5.xml) to import into any cmi5 LMS; `lms`
   * (an origin) pins it to the LMS whose xAPI endpoint is there (see docs/player.md).
   *
   * @example
   * await writeFile('fire-safety-cmi5.zip', await xcredit.cmi5Package('fire-safety', { lms: 'https://lms.example.com' }));
   */
  async cmi5Package(courseId: string, options: { lms?: string } = {}): Promise<Uint8Array> {
    const res = await this.#send({ method: 'GET', path: `/courses/${enc(courseId)}/cmi5.zip`, query: { lms: options.lms }, accept: 'application/zip', idempotent: true });
    return new Uint8Array(await res.arrayBuffer());
  }

  /**
   * The tenant's policy defaults, as set; every course's policy starts from them.
   *
   * @example
   * const { maxRate } = await xcredit.getPolicy();
   */
  getPolicy(): Promise<PolicyInput> {
    return this.#json(policySchema, { method: 'GET', path: '/policy' }) as Promise<PolicyInput>;
  }

  /**
   * Replaces the tenant's policy defaults (see docs/credits.md); a bad value fails naming the field.
   *
   * @example
   * await xcredit.setPolicy({ maxRate: 1.5, gates: { coverage: 0.9 } });
   */
  setPolicy(policy: PolicyInput): Promise<PolicyInput> {
    return this.#json(policySchema, { method: 'PUT', path: '/policy', body: policy, idempotent: true }) as Promise<PolicyInput>;
  }

  // Launches

  /**
   * Starts a launch for one learner and one course; open `playerUrl`, or give `launchToken`
   * to an embedded `<xcredit-player>`.
   *
   * @example
   * const { playerUrl } = await xcredit.createLaunch({ learnerId: 'E-1001', courseId: 'fire-safety' });
   */
  createLaunch(input: LaunchInput): Promise<Launch> {
    return this.#json(launchSchema, { method: 'POST', path: '/launches', body: input });
  }

  // Learners

  /**
   * Creates or updates a learner (department, role and manager drive targets and reports).
   *
   * @example
   * await xcredit.upsertLearner('E-1001', { displayName: 'Li Wei', department: 'Nursing', role: 'nurse', managerId: 'E-0007' });
   */
  upsertLearner(learnerId: string, fields: LearnerFields = {}): Promise<Learner> {
    return this.#json(learnerSchema, { method: 'PUT', path: `/learners/${enc(learnerId)}`, body: fields, idempotent: true });
  }

  /**
   * Reads one learner.
   *
   * @example
   * const { department } = await xcredit.getLearner('E-1001');
   */
  getLearner(learnerId: string): Promise<Learner> {
    return this.#json(learnerSchema, { method: 'GET', path: `/learners/${enc(learnerId)}` });
  }

  /**
   * Every learner of the tenant (optionally of one department), fetched page by page.
   *
   * @example
   * for await (const learner of xcredit.learners({ department: 'Nursing' })) console.log(learner.learnerId);
   */
  async *learners(filter: { department?: string; pageSize?: number } = {}): AsyncIterableIterator<Learner> {
    let after: string | undefined;
    do {
      const page = await this.#json(learnerPageSchema, { method: 'GET', path: '/learners', query: { department: filter.department, limit: filter.pageSize ?? 500, after } });
      yield* page.learners;
      after = page.next ?? undefined;
    } while (after);
  }

  /**
   * Imports learners from an HR export, all or nothing: CSV text with a header line
   * (`learnerId,displayName,department,role,managerId`) or an array of objects. A bad row fails
   * the whole import with an error whose `issues` name each line and field.
   *
   * @example
   * const { created, updated } = await xcredit.importLearners('learnerId,department\nE-1001,Nursing\n');
   */
  importLearners(learners: string | LearnerRow[]): Promise<{ created: number; updated: number }> {
    return typeof learners === 'string'
      ? this.#json(importResultSchema, { method: 'POST', path: '/learners/import', text: { body: learners, contentType: 'text/csv' }, idempotent: true })
      : this.#json(importResultSchema, { method: 'POST', path: '/learners/import', body: learners, idempotent: true });
  }

  /**
   * Imports earlier years' credits from a CSV (text) or XLSX (bytes) file: with `dryRun`, only the
   * line-by-line report; otherwise every line as an `import` ledger entry, or none (an
   * `invalid_import` error when a line is wrong: run a dry run to see which). Lines imported before
   * (by `external_id`) are skipped, so sending a file again is safe.
   *
   * @example
   * const report = await xcredit.importHistory({ name: 'credits-2025.csv', data: csvText }, { dryRun: true });
   * if (report.ok) await xcredit.importHistory({ name: 'credits-2025.csv', data: csvText });
   */
  importHistory(file: { name: string; data: string | Uint8Array }, options: { dryRun?: boolean } = {}): Promise<HistoryReport> {
    const contentType = typeof file.data === 'string' ? 'text/csv' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    return this.#json(historyReportSchema, { method: 'POST', path: '/history/import', query: { file: file.name, dryRun: options.dryRun ? 'true' : undefined }, text: { body: file.data, contentType }, idempotent: true });
  }

  // Credits

  /**
   * A learner's credits for a period (a year; default: the current one): per course, the
   * required/elective split, the target and where they stand against it.
   *
   * @example
   * const { earned, remaining, status } = await xcredit.getLearnerCredits('E-1001', { period: '2026' });
   */
  getLearnerCredits(learnerId: string, options: { period?: string } = {}): Promise<LearnerCredits> {
    return this.#json(learnerCreditsSchema, { method: 'GET', path: `/learners/${enc(learnerId)}/credits`, query: { period: options.period } });
  }

  /**
   * Why a learner earned what they earned in a course: factors, gates, verified against claimed
   * time, sessions and flags in plain words.
   *
   * @example
   * const { flags } = await xcredit.getEngagement('E-1001', 'fire-safety');
   */
  getEngagement(learnerId: string, courseId: string, options: { period?: string } = {}): Promise<Engagement> {
    return this.#json(engagementSchema, { method: 'GET', path: `/learners/${enc(learnerId)}/courses/${enc(courseId)}/engagement`, query: { period: options.period } });
  }

  /**
   * A learner's ledger entries for a period; `total` is always their sum.
   *
   * @example
   * const { total, entries } = await xcredit.getLedger('E-1001', { period: '2026' });
   */
  getLedger(learnerId: string, options: { period?: string } = {}): Promise<Ledger> {
    return this.#json(ledgerSchema, { method: 'GET', path: `/learners/${enc(learnerId)}/ledger`, query: { period: options.period } });
  }

  /**
   * The statement browser: statements newest first, each with its receipt time and what the
   * credits engine made of it; pass `nextCursor` as `cursor` for the next page.
   *
   * @example
   * const { statements, nextCursor } = await xcredit.explainStatements({ learnerId: 'E-1001', verb: 'paused', limit: 20 });
   */
  explainStatements(query: StatementsQuery = {}): Promise<ExplainedStatements> {
    const q = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    return this.#json(explainedStatementsSchema, { method: 'GET', path: '/statements/explained', query: q });
  }

  // Awards

  /**
   * Records offline attendance (credited at once) or growth credits (pending approval).
   * With `externalId` the call is safe to repeat.
   *
   * @example
   * await xcredit.createAward({ learnerId: 'E-1001', source: 'offline', title: 'First aid workshop', credits: 2, period: '2026', externalId: 'checkin-4411' });
   */
  createAward(award: AwardInput): Promise<Award> {
    return this.#json(awardSchema, { method: 'POST', path: '/awards', body: award, idempotent: award.externalId !== undefined });
  }

  /**
   * Awards, e.g. those waiting for approval, fetched page by page.
   *
   * @example
   * for await (const award of xcredit.awards({ status: 'pending' })) console.log(award.title);
   */
  async *awards(filter: { status?: 'pending' | 'approved' | 'rejected'; learnerId?: string; period?: string } = {}): AsyncIterableIterator<Award> {
    const page = await this.#json(awardListSchema, { method: 'GET', path: '/awards', query: filter });
    yield* page.awards;
  }

  /**
   * One award with its audit trail.
   *
   * @example
   * const { history } = await xcredit.getAward(awardId);
   */
  getAward(awardId: string): Promise<Award> {
    return this.#json(awardSchema, { method: 'GET', path: `/awards/${enc(awardId)}` });
  }

  /**
   * Approves a pending award; its credits enter the ledger.
   *
   * @example
   * await xcredit.approveAward(awardId, 'checked with the department head');
   */
  approveAward(awardId: string, reason?: string): Promise<Award> {
    return this.#json(awardSchema, { method: 'POST', path: `/awards/${enc(awardId)}/approve`, body: reason ? { reason } : {} });
  }

  /**
   * Rejects a pending award with a reason the learner can read.
   *
   * @example
   * await xcredit.rejectAward(awardId, 'not a learning activity');
   */
  rejectAward(awardId: string, reason: string): Promise<Award> {
    return this.#json(awardSchema, { method: 'POST', path: `/awards/${enc(awardId)}/reject`, body: { reason } });
  }

  // Reflections

  /**
   * Learners' reflections, e.g. those waiting for review (`status: 'submitted'`), oldest first.
   *
   * @example
   * for (const r of await xcredit.reflections({ status: 'submitted' })) console.log(r.learnerId, r.text);
   */
  async reflections(filter: { status?: 'submitted' | 'approved' | 'returned'; learnerId?: string; courseId?: string } = {}): Promise<Reflection[]> {
    return (await this.#json(reflectionListSchema, { method: 'GET', path: '/reflections', query: filter })).reflections;
  }

  /**
   * A learner's reflection on a course with its history.
   *
   * @example
   * const { status, history } = await xcredit.getReflection('E-1001', 'privacy');
   */
  getReflection(learnerId: string, courseId: string): Promise<Reflection> {
    return this.#json(reflectionSchema, { method: 'GET', path: `/reflections/${enc(learnerId)}/${enc(courseId)}` });
  }

  /**
   * Approves a reflection: the course's viewing credits reach the ledger. Approving again changes nothing.
   *
   * @example
   * await xcredit.approveReflection('E-1001', 'privacy');
   */
  approveReflection(learnerId: string, courseId: string): Promise<Reflection> {
    return this.#json(reflectionSchema, { method: 'POST', path: `/reflections/${enc(learnerId)}/${enc(courseId)}/approve`, idempotent: true });
  }

  /**
   * Returns a reflection to the learner with a note saying what to change; they may then rewrite it.
   *
   * @example
   * await xcredit.returnReflection('E-1001', 'privacy', 'Name one thing you will change on your ward.');
   */
  returnReflection(learnerId: string, courseId: string, note: string): Promise<Reflection> {
    return this.#json(reflectionSchema, { method: 'POST', path: `/reflections/${enc(learnerId)}/${enc(courseId)}/return`, body: { note } });
  }

  // Growth categories and evidence

  /**
   * Creates or changes a growth category and its yearly cap per learner (null or left out: no cap).
   *
   * @example
   * await xcredit.putGrowthCategory('open-lesson', { name: 'Open lessons', yearlyCap: 10 });
   */
  putGrowthCategory(categoryId: string, category: GrowthCategoryInput): Promise<GrowthCategory> {
    return this.#json(growthCategorySchema, { method: 'PUT', path: `/growth-categories/${enc(categoryId)}`, body: category, idempotent: true });
  }

  /**
   * The tenant's growth categories with their caps.
   *
   * @example
   * const categories = await xcredit.growthCategories();
   */
  async growthCategories(): Promise<GrowthCategory[]> {
    return (await this.#json(growthCategoryListSchema, { method: 'GET', path: '/growth-categories' })).categories;
  }

  /**
   * Attaches an evidence file to an award (PDF, PNG, JPEG or plain text, at most 5 MB).
   *
   * @example
   * await xcredit.addAwardEvidence(awardId, 'certificate.pdf', pdfBytes, 'application/pdf');
   */
  addAwardEvidence(awardId: string, fileName: string, data: Uint8Array | string, contentType: string): Promise<EvidenceFile> {
    return this.#json(evidenceFileSchema, { method: 'POST', path: `/awards/${enc(awardId)}/evidence`, query: { filename: fileName }, text: { body: data, contentType } });
  }

  // Reminders

  /**
   * Sets the tenant's mail server and reminder rules; the password is stored encrypted and never read back.
   *
   * @example
   * await xcredit.setMailSettings({ enabled: true, host: 'smtp.example.com', port: 587, user: 'credits', password: 's3cret', from: 'credits@example.com', language: 'zh', deadlineDays: 30 });
   */
  setMailSettings(settings: MailSettingsInput): Promise<MailSettings> {
    return this.#json(mailSettingsSchema, { method: 'PUT', path: '/reminders/settings', body: settings, idempotent: true });
  }

  /**
   * The tenant's mail settings (`hasPassword` instead of the password).
   *
   * @example
   * const { enabled, host } = await xcredit.getMailSettings();
   */
  getMailSettings(): Promise<MailSettings> {
    return this.#json(mailSettingsSchema, { method: 'GET', path: '/reminders/settings' });
  }

  /**
   * Emails one learner a reminder about their credits now; at most once a day (`created: false` then).
   *
   * @example
   * const { reminder, created } = await xcredit.remindLearner('E-1001');
   */
  remindLearner(learnerId: string, period?: string): Promise<{ reminder: Reminder; created: boolean }> {
    return this.#json(remindResultSchema, { method: 'POST', path: `/learners/${enc(learnerId)}/remind`, ...(period ? { query: { period } } : {}) });
  }

  /**
   * Emails everyone at risk of missing their target (in one department when named).
   *
   * @example
   * const { queued, skipped } = await xcredit.remindAtRisk({ department: 'Nursing' });
   */
  remindAtRisk(input: AtRiskRemindInput = {}): Promise<RemindBatch> {
    return this.#json(remindBatchSchema, { method: 'POST', path: '/reminders/at-risk', body: input });
  }

  /**
   * Reminders sent, newest first: who, what, when, delivered or failed, and the last error.
   *
   * @example
   * const failed = await xcredit.reminders({ status: 'failed' });
   */
  async reminders(filter: { learnerId?: string; status?: 'queued' | 'delivered' | 'failed'; kind?: 'deadline' | 'at_risk' | 'manual' | 'digest' | 'plan' | 'expiring' } = {}): Promise<Reminder[]> {
    return (await this.#json(reminderListSchema, { method: 'GET', path: '/reminders', query: filter })).reminders;
  }

  /**
   * Queues the reminders owed now (the server also does every hour); returns how many were queued.
   *
   * @example
   * const { queued } = await xcredit.sweepReminders();
   */
  sweepReminders(): Promise<{ queued: number }> {
    return this.#json(sweepResultSchema, { method: 'POST', path: '/reminders/sweep' });
  }

  // Learning paths and improvement plans

  /**
   * The courses a learner should take to reach the year's target: required ones still missing
   * first, then electives by category, each with a day to finish by; `reachable` says whether it
   * can be done in time at `maxMinutesPerWeek` (default 180), `explanation` says why.
   *
   * @example
   * const path = await xcredit.learningPath('E-1001', { maxMinutesPerWeek: 120 });
   * for (const step of path.steps) console.log(step.dueOn, step.title);
   */
  learningPath(learnerId: string, query: { period?: string; maxMinutesPerWeek?: number } = {}): Promise<LearningPath> {
    return this.#json(learningPathSchema, { method: 'GET', path: `/learners/${enc(learnerId)}/path`, query: { period: query.period, maxMinutesPerWeek: query.maxMinutesPerWeek } });
  }

  /**
   * Makes an improvement plan for a learner at risk and emails it to them and their manager; one
   * per learner and year (`created: false`: the plan made before, nothing sent again).
   *
   * @example
   * const { plan } = await xcredit.createImprovementPlan('E-1001', { note: 'Let us talk on Friday.' });
   */
  createImprovementPlan(learnerId: string, input: ImprovementPlanInput = {}): Promise<{ plan: ImprovementPlan; created: boolean }> {
    return this.#json(improvementPlanResultSchema, { method: 'POST', path: `/learners/${enc(learnerId)}/plans`, body: input });
  }

  /**
   * A learner's improvement plans, newest first, each milestone done, due or overdue now.
   *
   * @example
   * const [plan] = await xcredit.improvementPlans('E-1001');
   */
  async improvementPlans(learnerId: string): Promise<ImprovementPlan[]> {
    return (await this.#json(improvementPlanListSchema, { method: 'GET', path: `/learners/${enc(learnerId)}/plans` })).plans;
  }

  // Offline training sessions

  /**
   * Schedules a session of an offline course (a course without a video): learners check in and out
   * by scanning its rotating QR code, and those who attend `minShare` of it get the course's credits.
   *
   * @example
   * const session = await xcredit.createTrainingSession({ courseId: 'first-aid', startsAt: '2026-05-04T09:00:00+08:00', endsAt: '2026-05-04T10:30:00+08:00', location: 'Room 3.14', trainer: 'Li Wei', minShare: 0.8 });
   */
  createTrainingSession(input: TrainingSessionInput): Promise<TrainingSession> {
    return this.#json(trainingSessionSchema, { method: 'POST', path: '/training-sessions', body: input });
  }

  /**
   * Training sessions, the latest first (of one course, in one status, when asked).
   *
   * @example
   * const open = await xcredit.trainingSessions({ status: 'open' });
   */
  async trainingSessions(filter: { courseId?: string; status?: 'scheduled' | 'open' | 'closed' } = {}): Promise<TrainingSession[]> {
    return (await this.#json(trainingSessionListSchema, { method: 'GET', path: '/training-sessions', query: filter })).sessions;
  }

  /**
   * A session with its attendance: check-in and check-out times, late and early minutes, and once
   * closed the credits of each learner and why.
   *
   * @example
   * const { attendance } = await xcredit.trainingSession(sessionId);
   */
  trainingSession(sessionId: string): Promise<TrainingSessionDetail> {
    return this.#json(trainingSessionDetailSchema, { method: 'GET', path: `/training-sessions/${enc(sessionId)}` });
  }

  /**
   * Opens a session for check-in; its code can then be shown (`checkinCode`).
   *
   * @example
   * await xcredit.openTrainingSession(sessionId);
   */
  openTrainingSession(sessionId: string): Promise<TrainingSessionDetail> {
    return this.#json(trainingSessionDetailSchema, { method: 'POST', path: `/training-sessions/${enc(sessionId)}/open`, idempotent: true });
  }

  /**
   * The check-in code to show now: its link and a QR code (SVG) of it. A new one every 30 s, each accepted for 60 s.
   *
   * @example
   * const { url, svg } = await xcredit.checkinCode(sessionId);
   */
  checkinCode(sessionId: string): Promise<CheckinCode> {
    return this.#json(checkinCodeSchema, { method: 'GET', path: `/training-sessions/${enc(sessionId)}/code` });
  }

  /**
   * Closes a session and credits its attendance (once: closing again changes nothing).
   *
   * @example
   * const { attendance } = await xcredit.closeTrainingSession(sessionId);
   */
  closeTrainingSession(sessionId: string): Promise<TrainingSessionDetail> {
    return this.#json(trainingSessionDetailSchema, { method: 'POST', path: `/training-sessions/${enc(sessionId)}/close`, idempotent: true });
  }

  /**
   * Closes and credits every session that ended and is still open (the server also does every hour).
   *
   * @example
   * const { closed } = await xcredit.sweepTrainingSessions();
   */
  sweepTrainingSessions(): Promise<{ closed: number }> {
    return this.#json(sweepClosedSchema, { method: 'POST', path: '/training-sessions/sweep' });
  }

  // Targets and periods

  /**
   * Sets the credit target for a period, tenant-wide or for a department or role.
   *
   * @example
   * await xcredit.setTarget('2026', { total: 150, required: 100 });
   * await xcredit.setTarget('2026', { total: 120, required: 80 }, { department: 'Nursing' });
   */
  setTarget(period: string, target: TargetInput, group?: { department: string } | { role: string }): Promise<Target> {
    const path = !group ? `/targets/${enc(period)}` : 'department' in group ? `/targets/${enc(period)}/department/${enc(group.department)}` : `/targets/${enc(period)}/role/${enc(group.role)}`;
    return this.#json(targetSchema, { method: 'PUT', path, body: target, idempotent: true });
  }

  /**
   * Closes a period: its ledger no longer changes and it takes no new awards.
   *
   * @example
   * await xcredit.closePeriod('2025');
   */
  closePeriod(period: string): Promise<{ period: string; closedAt: string }> {
    return this.#json(periodClosedSchema, { method: 'POST', path: `/periods/${enc(period)}/close` });
  }

  // Reports

  /**
   * A report as JSON (`summary`, `study-time`, `hot-courses`, `at-risk`, `managers`,
   * `leaderboard`, `flags`; see docs/reports.md).
   *
   * @example
   * const summary = await xcredit.report('summary', { period: '2026', groupBy: 'department' });
   */
  report(name: string, query: Record<string, string | number | undefined> = {}): Promise<Report> {
    return this.#json(reportSchema, { method: 'GET', path: `/reports/${enc(name)}`, query });
  }

  /**
   * A report as CSV text, ready to save.
   *
   * @example
   * await writeFile('at-risk.csv', await xcredit.reportCsv('at-risk', { period: '2026' }));
   */
  async reportCsv(name: string, query: Record<string, string | number | undefined> = {}): Promise<string> {
    const res = await this.#send({ method: 'GET', path: `/reports/${enc(name)}`, query: { ...query, format: 'csv' }, accept: 'text/csv', idempotent: true });
    return res.text();
  }

  /**
   * A report as an XLSX workbook, ready to save: numbers as numbers, a frozen header row, and an
   * "about" sheet with the period and when it was generated (see docs/reports.md).
   *
   * @example
   * await writeFile('summary.xlsx', await xcredit.reportXlsx('summary', { period: '2026', groupBy: 'department' }));
   */
  async reportXlsx(name: string, query: Record<string, string | number | undefined> = {}): Promise<Uint8Array> {
    const res = await this.#send({ method: 'GET', path: `/reports/${enc(name)}`, query: { ...query, format: 'xlsx' }, accept: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', idempotent: true });
    return new Uint8Array(await res.arrayBuffer());
  }

  // Certificates and settings

  /**
   * Issues a certificate for a completed course, or (without `courseId`) for a learner's met
   * target; issuing the same one again returns it. 409 `not_earned` says why not.
   *
   * @example
   * const { verifyUrl, pdfUrl } = await xcredit.issueCertificate({ learnerId: 'E-1001', courseId: 'fire-safety', period: '2026' });
   */
  issueCertificate(input: CertificateInput): Promise<Certificate> {
    return this.#json(certificateSchema, { method: 'POST', path: '/certificates', body: input, idempotent: true });
  }

  /**
   * A certificate and whether it still stands (`valid`, and `reason` when it does not).
   *
   * @example
   * const { valid, reason } = await xcredit.getCertificate(certificateId);
   */
  getCertificate(certificateId: string): Promise<CertificateStatus> {
    return this.#json(certificateStatusSchema, { method: 'GET', path: `/certificates/${enc(certificateId)}` });
  }

  /**
   * The tenant's settings.
   *
   * @example
   * const { leaderboard } = await xcredit.getSettings();
   */
  getSettings(): Promise<Settings> {
    return this.#json(settingsSchema, { method: 'GET', path: '/settings' });
  }

  /**
   * Changes the tenant's settings; fields left out keep their value.
   *
   * @example
   * await xcredit.updateSettings({ leaderboard: true });
   */
  updateSettings(settings: SettingsInput): Promise<Settings> {
    return this.#json(settingsSchema, { method: 'PUT', path: '/settings', body: settings, idempotent: true });
  }

  // LTI platforms

  /**
   * Registers an LMS that launches courses over LTI 1.3; the answer carries the tool's URLs to
   * enter in the LMS (see docs/lti.md).
   *
   * @example
   * const { tool } = await xcredit.registerPlatform({ name: 'Moodle', issuer: 'https://lms.example.com', clientId: 'abc', authenticationEndpoint: 'https://lms.example.com/auth', accessTokenEndpoint: 'https://lms.example.com/token', jwksUrl: 'https://lms.example.com/jwks', deploymentIds: ['1'] });
   */
  registerPlatform(input: PlatformInput): Promise<RegisteredPlatform> {
    return this.#json(registeredPlatformSchema, { method: 'POST', path: '/lti/platforms', body: input });
  }

  /**
   * The tenant's LMS platforms, those registered dynamically and waiting for approval included.
   *
   * @example
   * const pending = (await xcredit.listPlatforms()).filter((p) => p.status === 'pending');
   */
  async listPlatforms(): Promise<Platform[]> {
    return (await this.#json(platformListSchema, { method: 'GET', path: '/lti/platforms' })).platforms;
  }

  /**
   * One LMS platform.
   *
   * @example
   * const { deploymentIds } = await xcredit.getPlatform(platformId);
   */
  getPlatform(platformId: string): Promise<Platform> {
    return this.#json(platformSchema, { method: 'GET', path: `/lti/platforms/${enc(platformId)}` });
  }

  /**
   * Approves a platform registered dynamically, optionally correcting its deployments or learner id claim.
   *
   * @example
   * await xcredit.approvePlatform(platformId, { learnerIdClaim: 'email' });
   */
  approvePlatform(platformId: string, input: ApproveInput = {}): Promise<Platform> {
    return this.#json(platformSchema, { method: 'POST', path: `/lti/platforms/${enc(platformId)}/approve`, body: input, idempotent: true });
  }

  /**
   * Removes an LMS platform: its launches stop working.
   *
   * @example
   * await xcredit.deletePlatform(platformId);
   */
  async deletePlatform(platformId: string): Promise<void> {
    await this.#send({ method: 'DELETE', path: `/lti/platforms/${enc(platformId)}`, idempotent: true });
  }

  /**
   * Makes a single-use LTI Dynamic Registration link to hand to one LMS admin (valid a week
   * unless `expiresInHours` says otherwise, 1–720). Its URL carries a token shown only here.
   *
   * @example
   * const { url, expiresAt } = await xcredit.createRegistrationLink({ expiresInHours: 48 });
   */
  createRegistrationLink(input: RegistrationLinkInput = {}): Promise<CreatedRegistrationLink> {
    return this.#json(createdRegistrationLinkSchema, { method: 'POST', path: '/lti/registration-links', body: input });
  }

  /**
   * The tenant's registration links, without their tokens: open, used (with the platform it
   * registered), expired or revoked.
   *
   * @example
   * const open = (await xcredit.listRegistrationLinks()).filter((l) => l.status === 'open');
   */
  async listRegistrationLinks(): Promise<RegistrationLink[]> {
    return (await this.#json(registrationLinkListSchema, { method: 'GET', path: '/lti/registration-links' })).links;
  }

  /**
   * Revokes a registration link: an LMS that has not used it yet cannot any more.
   *
   * @example
   * await xcredit.revokeRegistrationLink(linkId);
   */
  async revokeRegistrationLink(linkId: string): Promise<void> {
    await this.#send({ method: 'DELETE', path: `/lti/registration-links/${enc(linkId)}`, idempotent: true });
  }

  // Webhooks

  /**
   * Subscribes a URL to events; the answer carries the signing secret once.
   *
   * @example
   * const { secret } = await xcredit.createWebhook({ url: 'https://hr.example.com/xcredit', events: ['credit.earned', 'learner.at_risk'] });
   */
  createWebhook(input: WebhookInput): Promise<Webhook> {
    return this.#json(webhookSchema, { method: 'POST', path: '/webhooks', body: input });
  }

  /**
   * The tenant's webhooks.
   *
   * @example
   * const hooks = await xcredit.listWebhooks();
   */
  async listWebhooks(): Promise<Webhook[]> {
    return (await this.#json(webhookListSchema, { method: 'GET', path: '/webhooks' })).webhooks;
  }

  /**
   * Stops a webhook.
   *
   * @example
   * await xcredit.deleteWebhook(webhookId);
   */
  async deleteWebhook(webhookId: string): Promise<void> {
    await this.#send({ method: 'DELETE', path: `/webhooks/${enc(webhookId)}`, idempotent: true });
  }

  /**
   * The delivery log of a webhook, newest first.
   *
   * @example
   * const failed = (await xcredit.webhookDeliveries(webhookId)).filter((d) => d.status === 'failed');
   */
  async webhookDeliveries(webhookId: string): Promise<WebhookDelivery[]> {
    return (await this.#json(deliveryListSchema, { method: 'GET', path: `/webhooks/${enc(webhookId)}/deliveries` })).deliveries;
  }

  /**
   * Sends a `webhook.test` event to a webhook (queued; see its deliveries).
   *
   * @example
   * await xcredit.testWebhook(webhookId);
   */
  async testWebhook(webhookId: string): Promise<void> {
    await this.#json(queuedSchema, { method: 'POST', path: `/webhooks/${enc(webhookId)}/test` });
  }

  async #json<S extends z.ZodType>(schema: S, call: Call): Promise<z.infer<S>> {
    const res = await this.#send({ idempotent: call.method !== 'POST', ...call });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new XcreditError(res.status, 'unexpected_response', `${call.method} ${call.path}: the answer is not JSON`);
    }
    const parsed = (schema as z.ZodType).safeParse(json);
    if (!parsed.success) throw new XcreditError(res.status, 'unexpected_response', `${call.method} ${call.path}: unexpected response shape (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
    return parsed.data as z.infer<S>;
  }

  /**
   * Sends a request; idempotent ones are retried on network errors, 429 and 5xx, after the
   * server's `Retry-After` or a jittered backoff.
   */
  async #send(call: Call): Promise<Response> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) params.set(k, String(v));
    const url = `${this.#base}${call.path}${params.size ? `?${params}` : ''}`;
    const headers: Record<string, string> = { authorization: this.#auth, accept: call.accept ?? 'application/json' };
    let body: string | Uint8Array<ArrayBuffer> | null = null;
    if (call.text) {
      headers['content-type'] = call.text.contentType;
      body = typeof call.text.body === 'string' ? call.text.body : new Uint8Array(call.text.body);
    } else if (call.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.body);
    }
    const attempts = call.idempotent ? this.#retries : 1;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await this.#fetch(url, { method: call.method, headers, body });
      } catch (cause) {
        const wait = attempt < attempts ? this.#delay(attempt, null) : undefined;
        if (wait !== undefined) {
          await sleep(wait);
          continue;
        }
        throw new XcreditError(0, 'unreachable', `could not reach ${this.#base}: ${(cause as Error).message}`, [], { cause });
      }
      const wait = (res.status === 429 || res.status >= 500) && attempt < attempts ? this.#delay(attempt, res.headers.get('retry-after')) : undefined;
      if (wait !== undefined) {
        await res.body?.cancel();
        await sleep(wait);
        continue;
      }
      if (!res.ok) {
        const e = readErrorBody(await res.text());
        throw new XcreditError(res.status, e.code ?? 'http_error', e.message ?? `${call.method} ${call.path} answered ${res.status}`, e.issues);
      }
      return res;
    }
  }

  #delay(attempt: number, retryAfter: string | null): number | undefined {
    return retryDelay({ attempt, retryAfter, baseMs: this.#retryDelayMs, maxMs: this.#maxRetryDelayMs, now: Date.now(), random: Math.random() });
  }
}

const enc = encodeURIComponent;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
