import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export interface TenantsTable {
  id: string;
  name: string;
  home_page: string;
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

export interface Database {
  tenants: TenantsTable;
  clients: ClientsTable;
  learners: LearnersTable;
  courses: CoursesTable;
  launches: LaunchesTable;
  statements: StatementsTable;
  xapi_activity_definitions: XapiActivityDefinitionsTable;
  xapi_attachments: XapiAttachmentsTable;
  xapi_documents: XapiDocumentsTable;
}
