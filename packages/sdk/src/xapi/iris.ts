/** IRIs of the xAPI Video Profile (1.0.3), ADL verbs, cmi5 and xcredit's own extensions. */

export const VIDEO_PROFILE = 'https://w3id.org/xapi/video';
export const VIDEO_ACTIVITY_TYPE = 'https://w3id.org/xapi/video/activity-type/video';

export const Verbs = {
  initialized: 'http://adlnet.gov/expapi/verbs/initialized',
  played: 'https://w3id.org/xapi/video/verbs/played',
  paused: 'https://w3id.org/xapi/video/verbs/paused',
  seeked: 'https://w3id.org/xapi/video/verbs/seeked',
  completed: 'http://adlnet.gov/expapi/verbs/completed',
  terminated: 'http://adlnet.gov/expapi/verbs/terminated',
  interacted: 'http://adlnet.gov/expapi/verbs/interacted',
  answered: 'http://adlnet.gov/expapi/verbs/answered',
  voided: 'http://adlnet.gov/expapi/verbs/voided',
} as const;
export type VerbName = keyof typeof Verbs;

/** Display names sent with each verb (the profile's prefLabels). */
export const VerbDisplay: Record<VerbName, string> = {
  initialized: 'initialized',
  played: 'played',
  paused: 'paused',
  seeked: 'seeked',
  completed: 'completed',
  terminated: 'terminated',
  interacted: 'interacted',
  answered: 'answered',
  voided: 'voided',
};

const ext = (name: string) => `https://w3id.org/xapi/video/extensions/${name}`;

/** Video Profile extensions, by where the profile puts them. */
export const VideoExt = {
  time: ext('time'),
  timeFrom: ext('time-from'),
  timeTo: ext('time-to'),
  progress: ext('progress'),
  playedSegments: ext('played-segments'),
  length: ext('length'),
  sessionId: ext('session-id'),
  completionThreshold: ext('completion-threshold'),
  speed: ext('speed'),
  volume: ext('volume'),
  fullScreen: ext('full-screen'),
  ccEnabled: ext('cc-subtitle-enabled'),
  ccSubtitleLang: ext('cc-subtitle-lang'),
  frameRate: ext('frame-rate'),
  quality: ext('quality'),
  screenSize: ext('screen-size'),
  videoPlaybackSize: ext('video-playback-size'),
  track: ext('track'),
  userAgent: ext('user-agent'),
} as const;

/** xcredit's own extensions (documented in docs/xapi.md). */
export const XcreditExt = {
  /**
   * Result extension on the statement that ends a played interval (paused, seeked, completed,
   * terminated): media seconds of that interval played while the page was visible, the window
   * focused and the learner not idle.
   */
  focusedSeconds: 'https://xcredit.dev/xapi/extensions/focused-seconds',
  /**
   * Result extension beside focused-seconds: the parts of the interval (played-segments format)
   * played while the page was hidden or the learner idle. The server does not count them as watched.
   */
  unattendedSegments: 'https://xcredit.dev/xapi/extensions/unattended-segments',
  /** Result/context extension on `answered`: media time, in seconds, at which the question was shown. */
  questionTime: 'https://xcredit.dev/xapi/extensions/question-time',
} as const;

/** Activity type of an in-video question (xAPI's interaction activity). */
export const INTERACTION_ACTIVITY_TYPE = 'http://adlnet.gov/expapi/activities/cmi.interaction';

/** The activity id of a course's in-video question. */
export const questionActivityId = (courseActivityId: string, questionId: string) => `${courseActivityId}/questions/${encodeURIComponent(questionId)}`;

/** State API document where the player keeps the resume position and watched segments. */
export const RESUME_STATE_ID = 'https://xcredit.dev/xapi/state/resume';
