import { XcreditPlayer } from './element.js';

export { XcreditPlayer, type ErrorDetail, type ProgressDetail, type ReadyDetail } from './element.js';
export { Outbox, type OutboxOptions, type OutboxRejection, type OutboxStatus } from './outbox.js';
export { VideoTracker, type MediaSnapshot, type TrackerLaunch, type TrackerOptions } from './tracker.js';
export { allowedRates, clampRate, seekTarget } from './guard.js';
export { LaunchError, apiBaseFor, loadLaunch, parseLaunch, type Launch, type LaunchErrorCode } from './launch.js';

// Two copies of the bundle on one page (ESM and <script>) must not fight over the tag name.
if (!customElements.get('xcredit-player')) customElements.define('xcredit-player', XcreditPlayer);
