export { XcreditClient, type XcreditClientOptions } from './client.js';
export { XcreditError } from './errors.js';
export { signWebhook, verifyWebhook, WebhookVerificationError, WEBHOOK_EVENTS, type WebhookEvent } from './webhooks.js';
export type { Award, AwardInput, Course, CourseInput, Engagement, Launch, Learner, LearnerCredits, Ledger, QuestionInput, Target, Webhook, WebhookDelivery } from './types.js';
export * as responseSchemas from './types.js';
