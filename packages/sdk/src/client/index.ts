export { XcreditClient, type XcreditClientOptions } from './client.js';
export { XcreditError } from './errors.js';
export type { Course, CourseInput, Launch, LearnerCredits } from './types.js';
export { signWebhook, verifyWebhook, WebhookVerificationError, WEBHOOK_EVENTS, type WebhookEvent } from './webhooks.js';
