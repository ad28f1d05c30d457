import { VerbDisplay, Verbs, VideoExt, VIDEO_ACTIVITY_TYPE, VIDEO_PROFILE, XcreditExt } from './iris.js';

/** The Video Profile statements the player sends, in the order a session usually sends them. */
export type VideoVerb = 'initialized' | 'played' | 'paused' | 'seeked' | 'completed' | 'terminated';

/** What every statement of one player session shares. */
export interface VideoSessionContext {
  /** The learner, exactly as the launch gave it. */
  actor: Record<string, unknown>;
  registration: string;
  activityId: string;
  /** Course title, sent as the activity name. */
  title: string;
  /** Video length in seconds. */
  length: number;
  /** Id of this session's `initialized` statement. */
  sessionId: string;
  /** Progress (0–1) at which the player sends `completed`. */
  completionThreshold: number;
  userAgent?: string | undefined;
}

/** The per-statement facts; each verb reads the ones the profile asks of it. */
export interface VideoStatementData {
  /** Statement id; for `initialized` it must equal the session id. */
  id: string;
  /** ISO 8601 time the event happened. */
  timestamp: string;
  /** Media time of the event, seconds. */
  time?: number;
  /** `seeked`: where playback left and where it went. */
  timeFrom?: number;
  timeTo?: number;
  /** 0–1, three decimals. */
  progress?: number;
  /** Video Profile played-segments string (see formatPlayedSegments). */
  playedSegments?: string;
  /** Media seconds of the interval this statement closes that were played with attention. */
  focusedSeconds?: number;
  /** `completed`: seconds spent playing, sent as an ISO 8601 duration. */
  durationSeconds?: number;
  /** `initialized`: the player's state when the session began. */
  speed?: number;
  volume?: number;
  ccEnabled?: boolean;
  ccLang?: string;
  fullScreen?: boolean;
  screenSize?: string;
  videoPlaybackSize?: string;
}

/** What every statement the player sends has: its id, the learner, the verb and an activity of definition `D`, and its time. */
export interface PlayerStatementBase<D extends { type: string; name: Record<string, string> } = { type: string; name: Record<string, string> }> {
  id: string;
  actor: Record<string, unknown>;
  verb: { id: string; display: Record<string, string> };
  object: { objectType: 'Activity'; id: string; definition: D };
  timestamp: string;
}

/** An xAPI statement as the player sends it (a subset of the 1.0.3 statement). */
export interface VideoStatement extends PlayerStatementBase {
  result?: {
    completion?: boolean;
    duration?: string;
    extensions: Record<string, unknown>;
  };
  context: {
    registration: string;
    contextActivities: { category: { id: string; definition: { type: string } }[] };
    extensions: Record<string, unknown>;
  };
}

const PROFILE_ACTIVITY_TYPE = 'http://adlnet.gov/expapi/activities/profile';

/**
 * Builds one Video Profile statement. Pure: ids and times come in through `data`.
 *
 * @example
 * const ctx = { actor: { account: { homePage: 'https://acme.example', name: 'e-1001' } },
 *   registration: crypto.randomUUID(), activityId: 'https://acme.example/courses/safety',
 *   title: 'Safety', length: 600, sessionId: crypto.randomUUID(), completionThreshold: 0.8 };
 * const played = buildVideoStatement('played', ctx, { id: crypto.randomUUID(), timestamp: new Date().toISOString(), time: 0 });
 */
export function buildVideoStatement(verb: VideoVerb, ctx: VideoSessionContext, data: VideoStatementData): VideoStatement {
  const contextExt: Record<string, unknown> = {
    [VideoExt.length]: round3(ctx.length),
    [VideoExt.sessionId]: ctx.sessionId,
    [VideoExt.completionThreshold]: ctx.completionThreshold,
  };
  if (ctx.userAgent) contextExt[VideoExt.userAgent] = ctx.userAgent;
  const resultExt: Record<string, unknown> = {};
  let result: VideoStatement['result'];

  switch (verb) {
    case 'initialized':
      if (data.speed !== undefined) contextExt[VideoExt.speed] = `${data.speed}x`;
      if (data.volume !== undefined) contextExt[VideoExt.volume] = round3(data.volume);
      if (data.ccEnabled !== undefined) contextExt[VideoExt.ccEnabled] = data.ccEnabled;
      if (data.ccLang) contextExt[VideoExt.ccSubtitleLang] = data.ccLang;
      if (data.fullScreen !== undefined) contextExt[VideoExt.fullScreen] = data.fullScreen;
      if (data.screenSize) contextExt[VideoExt.screenSize] = data.screenSize;
      if (data.videoPlaybackSize) contextExt[VideoExt.videoPlaybackSize] = data.videoPlaybackSize;
      break;
    case 'played':
      resultExt[VideoExt.time] = round3(required(verb, 'time', data.time));
      break;
    case 'seeked':
      resultExt[VideoExt.timeFrom] = round3(required(verb, 'timeFrom', data.timeFrom));
      resultExt[VideoExt.timeTo] = round3(required(verb, 'timeTo', data.timeTo));
      addProgress(verb, resultExt, data);
      break;
    case 'paused':
    case 'completed':
    case 'terminated':
      resultExt[VideoExt.time] = round3(required(verb, 'time', data.time));
      addProgress(verb, resultExt, data);
      break;
  }
  if (data.focusedSeconds !== undefined && verb !== 'initialized' && verb !== 'played') {
    resultExt[XcreditExt.focusedSeconds] = round3(Math.max(0, data.focusedSeconds));
  }
  if (verb === 'completed') {
    result = { completion: true, duration: isoDuration(data.durationSeconds ?? 0), extensions: resultExt };
  } else if (Object.keys(resultExt).length > 0) {
    result = { extensions: resultExt };
  }

  const statement: VideoStatement = {
    id: data.id,
    actor: ctx.actor,
    verb: { id: Verbs[verb], display: { 'en-US': VerbDisplay[verb] } },
    object: {
      objectType: 'Activity',
      id: ctx.activityId,
      definition: { type: VIDEO_ACTIVITY_TYPE, name: { 'en-US': ctx.title } },
    },
    context: {
      registration: ctx.registration,
      contextActivities: { category: [{ id: VIDEO_PROFILE, definition: { type: PROFILE_ACTIVITY_TYPE } }] },
      extensions: contextExt,
    },
    timestamp: data.timestamp,
  };
  if (result) statement.result = result;
  return statement;
}

/**
 * Seconds as an ISO 8601 duration, to the hundredth of a second (the xAPI precision).
 *
 * @example
 * isoDuration(3725.5); // 'PT1H2M5.5S'
 */
export function isoDuration(seconds: number): string {
  const centis = Math.round(Math.max(0, Number.isFinite(seconds) ? seconds : 0) * 100);
  const h = Math.floor(centis / 360000);
  const m = Math.floor((centis % 360000) / 6000);
  const s = (centis % 6000) / 100;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || (!h && !m) ? `${s}S` : ''}`;
}

function addProgress(verb: VideoVerb, ext: Record<string, unknown>, data: VideoStatementData): void {
  ext[VideoExt.progress] = round3(required(verb, 'progress', data.progress));
  ext[VideoExt.playedSegments] = data.playedSegments ?? '';
}

function required(verb: VideoVerb, field: string, value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) throw new TypeError(`${verb} statement needs a finite ${field}`);
  return value;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
