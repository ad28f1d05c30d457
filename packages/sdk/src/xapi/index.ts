export * from './iris.js';
