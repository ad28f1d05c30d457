export * from './xapi/index.js';
export * from './engagement/index.js';
export * from './client/index.js';
