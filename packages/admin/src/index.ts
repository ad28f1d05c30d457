export { XcreditAdmin } from './app.js';
