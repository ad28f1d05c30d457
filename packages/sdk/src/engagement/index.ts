export * from './segments.js';
export * from './policy.js';
export * from './verify.js';
export * from './formula.js';
