import type { ColumnType, Generated } from 'kysely';
import type { ReminderKind } from '@xcredit/sdk/contracts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export interface TenantsTable {
  id: string;
  name: string;
  home_page: string;
  policy: ColumnType<Record<string, unknown>, string | undefined, string>;
  /** Tenant settings, e.g. `{ leaderboard: true }` (reports). */
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: CreatedAt;
}

export interface ClientsTable {
  key: string;
  tenant_id: string;
  name: string;
  secret_hash: string;
  scopes: Json<string[]>;
  created_at: CreatedAt;
}

export interface LearnersTable {
  tenant_id: string;
  id: string;
  display_name: ColumnType<string | null, string | null | undefined, string | null>;
  department: ColumnType<string | null, string | null | undefined, string | null>;
  role: ColumnType<string | null, string | null | undefined, string | null>;
  manager_id: ColumnType<string | null, string | null | undefined, string | null>;
  email: ColumnType<string | null, string | null | undefined, string | null>;
  language: ColumnType<'en' | 'zh' | null, 'en' | 'zh' | null | undefined, 'en' | 'zh' | null>;
  manager_email: ColumnType<string | null, string | null | undefined, string | null>;
  reminders_opt_out: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
}

export interface CoursesTable {
  tenant_id: string;
  id: string;
  title: string;
  activity_id: string;
  credits: number;
  kind: 'required' | 'elective';
  length_seconds: number;
  video_url: string | null;
  policy: Json<Record<string, unknown>>;
  category: ColumnType<string | null, string | null | undefined, string | null>;
  questions: ColumnType<unknown[], string | undefined, string>;
  captions_url: ColumnType<string | null, string | null | undefined, string | null>;
  make_up_for: ColumnType<string | null, string | null | undefined, string | null>;
  reflection: ColumnType<{ minLength: number; prompt?: string } | null, string | null | undefined, string | null>;
  validity_months: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface LaunchesTable {
  tenant_id: string;
  registration: string;
  token_hash: string;
  learner_id: string;
  course_id: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
  last_heartbeat_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  ended_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  superseded_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** An xcredit launch made for an AU another LMS launched (cmi5 under any LMS). */
export interface Cmi5ForeignLaunchesTable {
  tenant_id: string;
  registration: string;
  lms_endpoint: string;
  lms_registration: string;
  lms_activity_id: string;
  /** The LMS's actor, as JSON. */
  lms_actor: string;
  created_at: CreatedAt;
}

export interface StatementsTable {
  tenant_id: string;
  id: string;
  seq: Generated<string>;
  stored: Timestamp;
  verb_id: string;
  actor_key: string;
  activity_id: string | null;
  registration: string | null;
  /** Registration of the launch whose token wrote the statement; null for client writes. */
  launch_registration: string | null;
  client_key: string | null;
  voided: Generated<boolean>;
  statement: Json<Record<string, unknown>>;
  /** Key of the object when it is an Agent or Group (the `agent` filter matches actor or object). */
  object_agent_key: string | null;
  /** Id of the statement a StatementRef object points at. */
  object_statement_id: string | null;
  /** Every agent key and activity id anywhere in the statement, for related_agents / related_activities. */
  related_agents: string[] | null;
  related_activities: string[] | null;
}

/** Every statement id ever stored, archived ones too: ids stay unique across `statements`' partitions. */
export interface StatementIdsTable {
  tenant_id: string;
  id: string;
  stored: Timestamp;
}

/** A month of statements written to an archive file and dropped (`xcredit archive-statements`). */
export interface StatementArchivesTable {
  month: Timestamp;
  rows: string;
  file: string;
  sha256: string;
  archived_at: Generated<Timestamp>;
  restored_at: Timestamp | null;
}

export interface XapiActivityDefinitionsTable {
  tenant_id: string;
  activity_id: string;
  hash: string;
  seq: Generated<string>;
  definition: Json<Record<string, unknown>>;
}

export interface XapiAttachmentsTable {
  tenant_id: string;
  sha2: string;
  content_type: string;
  content: Buffer;
}

export interface XapiDocumentsTable {
  tenant_id: string;
  kind: 'state' | 'activity_profile' | 'agent_profile';
  activity_id: string;
  agent_key: string;
  registration: string;
  document_id: string;
  content_type: string;
  content: Buffer;
  etag: string;
  updated: Timestamp;
}

export interface EngagementTable {
  tenant_id: string;
  learner_id: string;
  course_id: string;
  period: string;
  coverage: number;
  attention: number;
  mastery: number;
  engagement: number;
  earned_tenths: number;
  verified_seconds: number;
  claimed_seconds: number;
  sessions: number;
  gates: Json<unknown[]>;
  flags: Json<unknown[]>;
  updated_at: CreatedAt;
}

export type LedgerSource = 'video' | 'offline' | 'make-up' | 'growth' | 'adjustment' | 'import';

export interface LedgerTable {
  tenant_id: string;
  id: Generated<string>;
  learner_id: string;
  period: string;
  source: LedgerSource;
  amount_tenths: number;
  course_id: string | null;
  requirement_id: string | null;
  award_id: string | null;
  category: string | null;
  kind: 'required' | 'elective';
  reason: string;
  evidence: Json<Record<string, unknown>>;
  created_by: string;
  approved_by: string | null;
  external_id: ColumnType<string | null, string | null | undefined, never>;
  created_at: CreatedAt;
}

export interface AwardsTable {
  tenant_id: string;
  id: string;
  learner_id: string;
  period: string;
  source: 'offline' | 'growth';
  title: string;
  amount_tenths: number;
  category: string | null;
  kind: 'required' | 'elective';
  requirement_id: string | null;
  external_id: string | null;
  evidence: Json<Record<string, unknown>>;
  status: 'pending' | 'approved' | 'rejected';
  decision_reason: string | null;
  requested_by: string;
  decided_by: string | null;
  decided_at: Date | null;
  credited_tenths: ColumnType<number | null, number | null | undefined, number | null>;
  cap_note: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

export interface MailSettingsTable {
  tenant_id: string;
  enabled: boolean;
  host: string;
  port: number;
  secure: boolean;
  username: string | null;
  /** `{ iv, data }`: AES with the server's secret key, as the LTI keys. */
  password: ColumnType<{ iv: string; data: string } | null, string | null, string | null>;
  from_address: string;
  language: 'en' | 'zh';
  deadline_days: number;
  updated_at: CreatedAt;
}

export interface RemindersTable {
  tenant_id: string;
  id: string;
  idempotency_key: string;
  kind: ReminderKind;
  learner_id: string | null;
  manager_id: string | null;
  recipient: string;
  language: 'en' | 'zh';
  period: string;
  time_window: string;
  subject: string;
  body: string;
  status: 'queued' | 'delivered' | 'failed';
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  message_id: string | null;
  requested_by: string;
  created_at: CreatedAt;
  sent_at: Date | null;
}

export type PlanMail = {
  to: 'learner' | 'manager';
  status: 'queued' | 'opted_out' | 'no_email';
  reminderId: string | null;
};

export interface ImprovementPlansTable {
  tenant_id: string;
  id: string;
  learner_id: string;
  period: string;
  note: string | null;
  max_minutes_per_week: number;
  reachable: boolean;
  mails: Json<PlanMail[]>;
  created_by: string;
  created_at: CreatedAt;
}

export interface ImprovementPlanMilestonesTable {
  tenant_id: string;
  plan_id: string;
  position: number;
  course_id: string;
  title: string;
  kind: 'required' | 'elective';
  credits_tenths: number;
  due_on: string;
}

export interface GrowthCategoriesTable {
  tenant_id: string;
  id: string;
  name: string;
  yearly_cap_tenths: number | null;
  updated_at: CreatedAt;
}

export interface AwardFilesTable {
  tenant_id: string;
  id: string;
  award_id: string;
  file_name: string;
  content_type: string;
  size: number;
  data: Uint8Array;
  uploaded_by: string;
  created_at: CreatedAt;
}

export interface AwardEventsTable {
  tenant_id: string;
  id: Generated<string>;
  award_id: string;
  action: string;
  actor: string;
  reason: string | null;
  at: CreatedAt;
}

export interface ReflectionsTable {
  tenant_id: string;
  learner_id: string;
  course_id: string;
  text: string;
  status: 'submitted' | 'approved' | 'returned';
  submitted_at: Date;
  reviewed_at: Date | null;
  reviewer: string | null;
  note: string | null;
}

export interface ReflectionEventsTable {
  tenant_id: string;
  id: Generated<string>;
  learner_id: string;
  course_id: string;
  action: 'submitted' | 'approved' | 'returned';
  actor: string;
  text: string | null;
  note: string | null;
  at: CreatedAt;
}

export interface PeriodsTable {
  tenant_id: string;
  period: string;
  closed_at: Date | null;
  closed_by: string | null;
}

export interface TargetsTable {
  tenant_id: string;
  period: string;
  group_type: 'all' | 'department' | 'role';
  group_value: string;
  total_tenths: number;
  required_tenths: number;
  updated_at: CreatedAt;
}

export interface WebhooksTable {
  tenant_id: string;
  id: string;
  url: string;
  secret: string;
  events: Json<string[]>;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
}

export interface WebhookDeliveriesTable {
  tenant_id: string;
  id: string;
  webhook_id: string;
  event_id: string;
  event: string;
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: ColumnType<number, number | undefined, number>;
  last_status: number | null;
  last_error: string | null;
  created_at: CreatedAt;
  delivered_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface LearnerAlertsTable {
  tenant_id: string;
  learner_id: string;
  period: string;
  kind: string;
  sent_at: CreatedAt;
}

export interface AdminSessionsTable {
  token_hash: string;
  tenant_id: string;
  client_key: string;
  csrf_token: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

/** Failed sign-ins of one subject (`key:<sha256 of the key>` or `addr:<address>`) in its current window. */
export interface AuthFailuresTable {
  subject: string;
  window_start: Timestamp;
  failures: number;
}

/** A server process's statement write horizon: every statement it received before `horizon` is stored or refused (migration 0070). */
export interface XapiWriteHorizonsTable {
  process_id: string;
  horizon: Timestamp;
  expires_at: Timestamp;
}

/** A periodic job: when it is next due, and which process holds it until when (migration 0070). */
export interface SchedulesTable {
  name: string;
  next_run_at: Timestamp;
  locked_until: Timestamp | null;
  locked_by: string | null;
  last_run_at: Timestamp | null;
  runs: ColumnType<string, never, never>;
}

export interface CertificatesTable {
  tenant_id: string;
  id: string;
  learner_id: string;
  course_id: string | null;
  period: string;
  kind: 'course' | 'target';
  learner_name: string;
  title: string;
  credits_tenths: number;
  issued_at: CreatedAt;
  issued_by: string;
}

export interface PlayerSessionsTable {
  tenant_id: string;
  session_id: string;
  registration: string;
  created_at: CreatedAt;
}

export interface HeartbeatsTable {
  tenant_id: string;
  id: Generated<string>;
  registration: string;
  session_id: string;
  received_at: Timestamp;
  sent_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  media_time: number;
  playing: boolean;
}

/** What the engine has read of one timeline, and how far (see credits/timeline.ts). */
export interface TimelineCheckpointsTable {
  tenant_id: string;
  learner_id: string;
  course_id: string;
  period: string;
  statement_seq: ColumnType<string, string | number, string | number>;
  heartbeat_id: ColumnType<string, string | number, string | number>;
  voided: number;
  statements: ColumnType<unknown[], string, string>;
  heartbeats: ColumnType<unknown[], string, string>;
  updated_at: Generated<Timestamp>;
}

export interface CreditRulesTable {
  tenant_id: string;
  version: number;
  updated_at: CreatedAt;
}

export interface AttentionTimelinesTable {
  tenant_id: string;
  learner_id: string;
  course_id: string;
  played_seconds: ColumnType<number, number | undefined, number>;
  last_beat_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_playing: ColumnType<boolean, boolean | undefined, boolean>;
  issued: ColumnType<number, number | undefined, number>;
  next_due_seconds: number;
}

export interface AttentionChecksTable {
  tenant_id: string;
  nonce: string;
  registration: string;
  session_id: string;
  issued_at: Timestamp;
  expires_at: Timestamp;
  answered_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** An offline training session of a course (migration 0076). */
export interface TrainingSessionsTable {
  tenant_id: string;
  id: string;
  course_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  location: string;
  trainer: string;
  min_share: number;
  grace_minutes: number;
  status: ColumnType<'scheduled' | 'open' | 'closed', 'scheduled' | 'open' | 'closed' | undefined, 'scheduled' | 'open' | 'closed'>;
  opened_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  closed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  closed_by: ColumnType<string | null, string | null | undefined, string | null>;
  created_by: string;
  created_at: CreatedAt;
}

/** One learner's attendance of one session; the figures and outcome are filled when it is closed. */
export interface AttendanceTable {
  tenant_id: string;
  session_id: string;
  learner_id: string;
  checked_in_at: Timestamp;
  checked_out_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  attended_minutes: ColumnType<number | null, number | null | undefined, number | null>;
  late_minutes: ColumnType<number | null, number | null | undefined, number | null>;
  early_minutes: ColumnType<number | null, number | null | undefined, number | null>;
  credited_tenths: ColumnType<number | null, number | null | undefined, number | null>;
  award_id: ColumnType<string | null, string | null | undefined, string | null>;
  outcome: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Every accepted scan: who, which session, in or out, the code's time step, when. */
export interface AttendanceScansTable {
  tenant_id: string;
  id: Generated<string>;
  session_id: string;
  learner_id: string;
  action: 'in' | 'out';
  code_step: ColumnType<string, number, number>;
  registration: string;
  at: Timestamp;
}

export interface Database {
  tenants: TenantsTable;
  clients: ClientsTable;
  learners: LearnersTable;
  courses: CoursesTable;
  launches: LaunchesTable;
  statements: StatementsTable;
  statement_ids: StatementIdsTable;
  statement_archives: StatementArchivesTable;
  xapi_activity_definitions: XapiActivityDefinitionsTable;
  xapi_attachments: XapiAttachmentsTable;
  xapi_documents: XapiDocumentsTable;
  engagement: EngagementTable;
  ledger: LedgerTable;
  awards: AwardsTable;
  award_events: AwardEventsTable;
  reflections: ReflectionsTable;
  reflection_events: ReflectionEventsTable;
  periods: PeriodsTable;
  targets: TargetsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  learner_alerts: LearnerAlertsTable;
  admin_sessions: AdminSessionsTable;
  certificates: CertificatesTable;
  auth_failures: AuthFailuresTable;
  xapi_write_horizons: XapiWriteHorizonsTable;
  schedules: SchedulesTable;
  player_sessions: PlayerSessionsTable;
  heartbeats: HeartbeatsTable;
  credit_rules: CreditRulesTable;
  timeline_checkpoints: TimelineCheckpointsTable;
  attention_timelines: AttentionTimelinesTable;
  attention_checks: AttentionChecksTable;
  mail_settings: MailSettingsTable;
  reminders: RemindersTable;
  growth_categories: GrowthCategoriesTable;
  award_files: AwardFilesTable;
  improvement_plans: ImprovementPlansTable;
  improvement_plan_milestones: ImprovementPlanMilestonesTable;
  cmi5_foreign_launches: Cmi5ForeignLaunchesTable;
  training_sessions: TrainingSessionsTable;
  attendance: AttendanceTable;
  attendance_scans: AttendanceScansTable;
}
