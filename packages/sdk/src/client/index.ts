export { XcreditClient, type XcreditClientOptions } from './client.js';
export { XcreditError } from './errors.js';
export type { Course, CourseInput, Launch, LearnerCredits } from './types.js';
