export * from './requests.js';
export * from './responses.js';
export * from './webhooks.js';
export * from './wire.js';
export * from './spreadsheet.js';
