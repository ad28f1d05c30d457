import type { Migration, MigrationProvider } from 'kysely';
import { foundation } from './0001_foundation.js';
import { xapiResources } from './0002_xapi_resources.js';
import { authFailures } from './0005_auth_failures.js';
import { credits } from './0010_credits.js';
import { webhooks } from './0011_webhooks.js';
import { lti } from './0020_lti.js';
import { ltiRegistrationLinks } from './0021_lti_registration_links.js';
import { ltiLastLaunch } from './0024_lti_last_launch.js';
import { playerSessions } from './0030_player_sessions.js';
import { attentionChecks } from './0031_attention_checks.js';
import { timelineCheckpoints } from './0035_timeline_checkpoints.js';
import { reports } from './0040_reports.js';
import { certificatesOnce } from './0041_certificates_once.js';
import { historyImport } from './0050_history_import.js';
import { scaleOut } from './0070_scale_out.js';
import { reminders } from './0072_reminders.js';
import { growthCategories } from './0073_growth_categories.js';
import { improvementPlans } from './0074_improvement_plans.js';
import { reflections } from './0078_reflections.js';
import { cmi5ForeignLaunches } from './0085_cmi5_foreign_launches.js';
import { trainingSessions } from './0076_training_sessions.js';
import { courseValidity } from './0080_course_validity.js';
import { expiringReminders } from './0081_expiring_reminders.js';
import { statementPartitions } from './0090_statement_partitions.js';

/**
 * Every migration, in order of its name. Never edit one that has shipped: add a file
 * `NNNN_name.ts` and one line here. Number ranges keep parallel work apart: 0002–0009 xAPI
 * resources, 0010–0019 credits, 0020–0029 LTI, 0030–0039 player sessions, 0040– reports, 0070– scale-out, reminders, growth categories and improvement plans, 0090– statement partitions.
 */
const migrations: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_xapi_resources': xapiResources,
  '0005_auth_failures': authFailures,
  '0010_credits': credits,
  '0011_webhooks': webhooks,
  '0020_lti': lti,
  '0021_lti_registration_links': ltiRegistrationLinks,
  '0024_lti_last_launch': ltiLastLaunch,
  '0030_player_sessions': playerSessions,
  '0031_attention_checks': attentionChecks,
  '0035_timeline_checkpoints': timelineCheckpoints,
  '0040_reports': reports,
  '0041_certificates_once': certificatesOnce,
  '0050_history_import': historyImport,
  '0070_scale_out': scaleOut,
  '0072_reminders': reminders,
  '0073_growth_categories': growthCategories,
  '0074_improvement_plans': improvementPlans,
  '0078_reflections': reflections,
  '0085_cmi5_foreign_launches': cmi5ForeignLaunches,
  '0076_training_sessions': trainingSessions,
  '0080_course_validity': courseValidity,
  '0081_expiring_reminders': expiringReminders,
  '0090_statement_partitions': statementPartitions,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
