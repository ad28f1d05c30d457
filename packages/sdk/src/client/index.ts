export { XcreditClient, type XcreditClientOptions } from './client.js';
export { XcreditError } from './errors.js';
export { FORMULA_START, spreadsheetSafe } from '../contracts/spreadsheet.js';
export { signWebhook, verifyWebhook, WebhookVerificationError, WEBHOOK_EVENTS, type WebhookEvent } from '../contracts/webhooks.js';
export type { Award, Certificate, CertificateStatus, Course, CreatedRegistrationLink, HistoryReport, Platform, RegistrationLink, Report, RegisteredPlatform, Settings, Engagement, Launch, Learner, LearnerCredits, Ledger, Target, Webhook, WebhookDelivery } from '../contracts/responses.js';
export type { ApproveInput, AwardInput, CertificateInput, CourseInput, PlatformInput, PolicyInput, QuestionInput, RegistrationLinkInput, SettingsInput } from '../contracts/requests.js';
