import { describe, expect, it } from 'vitest';
import { Verbs, VideoExt, VIDEO_ACTIVITY_TYPE, VIDEO_PROFILE, XcreditExt } from './iris.js';
import { statement as statementSchema } from './schema.js';
import { buildVideoStatement, isoDuration, type VideoSessionContext, type VideoVerb } from './video.js';

const SESSION = '5b0f3c52-6a44-4d7e-9d3f-0c1f6f1f2a11';
const ctx: VideoSessionContext = {
  actor: { objectType: 'Agent', account: { homePage: 'https://acme.example', name: 'e-1001' } },
  registration: '0c6c3a3e-2f7d-4a51-8f0e-6f4b2f0d9e21',
  activityId: 'https://acme.example/courses/fire-safety',
  title: 'Fire safety',
  length: 120.25,
  sessionId: SESSION,
  completionThreshold: 0.8,
  userAgent: 'TestAgent/1.0',
};
const base = { id: '9a1d2c7e-1b2a-4c3d-8e4f-5a6b7c8d9e0f', timestamp: '2025-01-02T03:04:05.678Z' };

describe('buildVideoStatement', () => {
  it('gives every statement the activity, registration, profile category and session extensions', () => {
    const s = buildVideoStatement('played', ctx, { ...base, time: 0 });
    expect(s.id).toBe(base.id);
    expect(s.actor).toEqual(ctx.actor);
    expect(s.verb).toEqual({ id: Verbs.played, display: { 'en-US': 'played' } });
    expect(s.object).toEqual({
      objectType: 'Activity',
      id: ctx.activityId,
      definition: { type: VIDEO_ACTIVITY_TYPE, name: { 'en-US': 'Fire safety' } },
    });
    expect(s.timestamp).toBe(base.timestamp);
    expect(s.context.registration).toBe(ctx.registration);
    expect(s.context.contextActivities.category).toEqual([{ id: VIDEO_PROFILE, definition: { type: 'http://adlnet.gov/expapi/activities/profile' } }]);
    expect(s.context.extensions).toEqual({
      [VideoExt.length]: 120.25,
      [VideoExt.sessionId]: SESSION,
      [VideoExt.completionThreshold]: 0.8,
      [VideoExt.userAgent]: 'TestAgent/1.0',
    });
  });

  it('puts the player state of initialized in context extensions, with speed as "1.5x"', () => {
    const s = buildVideoStatement('initialized', ctx, { id: SESSION, timestamp: base.timestamp, speed: 1.5, volume: 0.6666, ccEnabled: false, fullScreen: false, screenSize: '1920x1080', videoPlaybackSize: '640x360' });
    expect(s.id).toBe(SESSION);
    expect(s.result).toBeUndefined();
    expect(s.context.extensions).toMatchObject({
      [VideoExt.speed]: '1.5x',
      [VideoExt.volume]: 0.667,
      [VideoExt.ccEnabled]: false,
      [VideoExt.fullScreen]: false,
      [VideoExt.screenSize]: '1920x1080',
      [VideoExt.videoPlaybackSize]: '640x360',
    });
  });

  it('sends time on played, and time, progress, played-segments and focused seconds on paused', () => {
    expect(buildVideoStatement('played', ctx, { ...base, time: 12.34567 }).result).toEqual({ extensions: { [VideoExt.time]: 12.346 } });
    const paused = buildVideoStatement('paused', ctx, { ...base, time: 30, progress: 0.16632, playedSegments: '0[.]10[,]20[.]30', focusedSeconds: 9.5 });
    expect(paused.result).toEqual({
      extensions: {
        [VideoExt.time]: 30,
        [VideoExt.progress]: 0.166,
        [VideoExt.playedSegments]: '0[.]10[,]20[.]30',
        [XcreditExt.focusedSeconds]: 9.5,
      },
    });
  });

  it('sends time-from and time-to on seeked, and no focused seconds when the seek closed no interval', () => {
    const s = buildVideoStatement('seeked', ctx, { ...base, timeFrom: 10, timeTo: 50, progress: 0.083, playedSegments: '0[.]10' });
    expect(s.result?.extensions).toEqual({
      [VideoExt.timeFrom]: 10,
      [VideoExt.timeTo]: 50,
      [VideoExt.progress]: 0.083,
      [VideoExt.playedSegments]: '0[.]10',
    });
  });

  it('marks completed with completion true and the time spent as an ISO duration', () => {
    const s = buildVideoStatement('completed', ctx, { ...base, time: 120.25, progress: 1, playedSegments: '0[.]120.25', durationSeconds: 125.5, focusedSeconds: 100 });
    expect(s.verb.id).toBe(Verbs.completed);
    expect(s.result).toMatchObject({ completion: true, duration: 'PT2M5.5S' });
    expect(s.result?.extensions[XcreditExt.focusedSeconds]).toBe(100);
  });

  it('refuses to build a statement the profile requires a time for without one', () => {
    expect(() => buildVideoStatement('paused', ctx, { ...base, progress: 0 })).toThrow(/paused statement needs a finite time/);
    expect(() => buildVideoStatement('seeked', ctx, { ...base, timeFrom: 1, timeTo: Number.NaN, progress: 0 })).toThrow(/timeTo/);
  });

  it.each<VideoVerb>(['initialized', 'played', 'paused', 'seeked', 'completed', 'terminated'])('builds a %s statement the xAPI schema accepts', (verb) => {
    const s = buildVideoStatement(verb, ctx, {
      id: verb === 'initialized' ? SESSION : base.id,
      timestamp: base.timestamp,
      time: 5,
      timeFrom: 5,
      timeTo: 9,
      progress: 0.5,
      playedSegments: '0[.]5',
      focusedSeconds: 5,
      durationSeconds: 5,
      speed: 1,
      volume: 1,
    });
    const parsed = statementSchema.safeParse(s);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });
});

describe('isoDuration', () => {
  it.each([
    [0, 'PT0S'],
    [5.25, 'PT5.25S'],
    [60, 'PT1M'],
    [3725.5, 'PT1H2M5.5S'],
    [7200, 'PT2H'],
    [0.004, 'PT0S'],
    [-3, 'PT0S'],
  ])('formats %s seconds as %s', (seconds, iso) => {
    expect(isoDuration(seconds)).toBe(iso);
  });
});
