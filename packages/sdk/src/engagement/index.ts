export * from './segments.js';
export * from './policy.js';
export * from './questions.js';
export * from './verify.js';
export * from './mastery.js';
export * from './formula.js';
export * from './assess.js';
export * from './attention-checks.js';
