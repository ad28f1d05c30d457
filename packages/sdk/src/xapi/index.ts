export * from './iris.js';
export * from './schema.js';
export * from './video.js';
