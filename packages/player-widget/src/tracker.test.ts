import { describe, expect, it } from 'vitest';
import { Verbs, VideoExt, XcreditExt, parsePlayedSegments, verifyEvents, type TrackedEvent, type VideoStatement } from '@xcredit/sdk';
import { VideoTracker, type TrackerLaunch } from './tracker.js';

/** The session id the server issued. */
const SESSION = '5e55e55e-0000-4000-8000-000000000001';

const launch: TrackerLaunch = {
  actor: { objectType: 'Agent', account: { homePage: 'https://acme.example', name: 'e-1001' } },
  registration: '0c6c3a3e-2f7d-4a51-8f0e-6f4b2f0d9e21',
  activityId: 'https://acme.example/courses/fire-safety',
  title: 'Fire safety',
  completionThreshold: 0.8,
};

/** A tracker on a fake clock, with a log of everything it sent. */
function setup(length = 100, threshold = launch.completionThreshold) {
  let clock = Date.parse('2025-03-01T09:00:00Z');
  let focused = true;
  let n = 0;
  const tracker = new VideoTracker({
    launch: { ...launch, completionThreshold: threshold },
    now: () => clock,
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    focused: () => focused,
  });
  const sent: VideoStatement[] = [];
  const send = (s: VideoStatement[]) => {
    sent.push(...s);
    return s;
  };
  /** Plays media from the tracker's time to `to` in 0.25 s timeupdates, real time. */
  const watch = (to: number) => {
    for (let t = tracker.time + 0.25; t < to + 1e-9; t += 0.25) {
      clock += 250;
      send(tracker.timeUpdate(Math.round(t * 1000) / 1000));
    }
  };
  send(tracker.start({ length, speed: 1, volume: 1 }, SESSION));
  return {
    tracker,
    sent,
    send,
    watch,
    tick: (ms: number) => (clock += ms),
    setFocused: (f: boolean) => (focused = f),
  };
}

const verbs = (sent: VideoStatement[]) => sent.map((s) => s.verb.display['en-US']);
const ext = (s: VideoStatement | undefined, key: string) => s?.result?.extensions[key];
const last = (sent: VideoStatement[], verb: string) => sent.filter((s) => s.verb.display['en-US'] === verb).at(-1);

/** What the server sees, taking each statement's timestamp as its receipt time. */
function asServerEvents(sent: VideoStatement[]): TrackedEvent[] {
  return sent.map((s) => {
    const r = s.result?.extensions ?? {};
    const verb = s.verb.display['en-US'] as TrackedEvent['verb'];
    return {
      sessionId: String(s.context.extensions[VideoExt.sessionId]),
      verb,
      receivedAt: Date.parse(s.timestamp),
      time: (verb === 'seeked' ? r[VideoExt.timeFrom] : r[VideoExt.time]) as number | undefined,
      timeTo: r[VideoExt.timeTo] as number | undefined,
      focusedSeconds: r[XcreditExt.focusedSeconds] as number | undefined,
    };
  });
}

describe('VideoTracker', () => {
  it('runs the session the server issued: every statement carries its id and a timestamp', () => {
    const { tracker, sent, send } = setup();
    send(tracker.play(0));
    expect(verbs(sent)).toEqual(['initialized', 'played']);
    expect(tracker.sessionId).toBe(SESSION);
    for (const s of sent) expect(s.context.extensions[VideoExt.sessionId]).toBe(SESSION);
    for (const s of sent) expect(Date.parse(s.timestamp)).toBe(Date.parse('2025-03-01T09:00:00Z'));
    expect(new Set(sent.map((s) => s.id)).size).toBe(2);
    expect(ext(sent[1], VideoExt.time)).toBe(0);
  });

  it('keeps exact segments for "watch 0–10, watch 20–30, go back and watch 5–8"', () => {
    const { tracker, sent, send, watch, tick } = setup(100);
    send(tracker.play(0));
    watch(10);
    send(tracker.pause(10));
    tick(2000);
    send(tracker.seek(20));
    send(tracker.play(20));
    watch(30);
    send(tracker.pause(30));
    send(tracker.seek(5));
    send(tracker.play(5));
    watch(8);
    send(tracker.pause(8));

    expect(verbs(sent)).toEqual(['initialized', 'played', 'paused', 'seeked', 'played', 'paused', 'seeked', 'played', 'paused']);
    const final = last(sent, 'paused');
    expect(ext(final, VideoExt.playedSegments)).toBe('0[.]10[,]20[.]30[,]5[.]8');
    expect(ext(final, VideoExt.progress)).toBe(0.2);
    expect(ext(last(sent, 'seeked'), VideoExt.timeFrom)).toBe(30);
    expect(ext(last(sent, 'seeked'), VideoExt.timeTo)).toBe(5);
    expect(tracker.progress).toBe(0.2);
  });

  it('closes the interval on a seek while playing and keeps playing from the destination', () => {
    const { tracker, sent, send, watch } = setup(100);
    send(tracker.play(0));
    watch(10);
    send(tracker.seek(20));
    expect(tracker.playing).toBe(true);
    watch(30);
    send(tracker.pause(30));

    expect(verbs(sent)).toEqual(['initialized', 'played', 'seeked', 'paused']);
    const seeked = last(sent, 'seeked');
    expect(ext(seeked, VideoExt.timeFrom)).toBe(10);
    expect(ext(seeked, VideoExt.timeTo)).toBe(20);
    expect(ext(seeked, XcreditExt.focusedSeconds)).toBe(10);
    expect(ext(last(sent, 'paused'), VideoExt.playedSegments)).toBe('0[.]10[,]20[.]30');
  });

  it('produces statements the server rebuilds into the same segments', () => {
    const { tracker, sent, send, watch, tick } = setup(100);
    send(tracker.play(0));
    watch(10);
    send(tracker.seek(20));
    watch(30);
    send(tracker.pause(30));
    tick(5000);
    send(tracker.seek(5));
    send(tracker.play(5));
    watch(8);
    send(tracker.terminate(8));

    const verified = verifyEvents(asServerEvents(sent), { maxRate: 2, slackSeconds: 0, evidenceSeconds: 30, offlineGraceSeconds: 180 });
    expect(verified.intervals.map((i) => i.claimed)).toEqual([[0, 10], [20, 30], [5, 8]]);
    expect(verified.segments).toEqual(verified.intervals.map((i) => i.claimed));
    expect(parsePlayedSegments(String(ext(last(sent, 'terminated'), VideoExt.playedSegments)))).toEqual([[0, 10], [20, 30], [5, 8]]);
  });

  it('closes a pause reported at a seek destination where media really was', () => {
    // video.js's seek bar pauses and sets currentTime before the pause event is handled.
    const { tracker, sent, send, watch } = setup(100);
    send(tracker.play(0));
    watch(10);
    send(tracker.pause(80));
    send(tracker.seek(80));
    const paused = last(sent, 'paused');
    expect(ext(paused, VideoExt.time)).toBe(10);
    expect(ext(paused, VideoExt.playedSegments)).toBe('0[.]10');
    expect(ext(last(sent, 'seeked'), VideoExt.timeFrom)).toBe(10);
    expect(tracker.furthest).toBe(10);
  });

  it('reports a timeupdate jump as a seek instead of counting it as watched', () => {
    const { tracker, sent, send, watch } = setup(100);
    send(tracker.play(0));
    watch(4);
    send(tracker.timeUpdate(60));
    watch(62);
    send(tracker.pause(62));
    expect(verbs(sent)).toEqual(['initialized', 'played', 'seeked', 'paused']);
    expect(ext(last(sent, 'paused'), VideoExt.playedSegments)).toBe('0[.]4[,]60[.]62');
    expect(tracker.progress).toBe(0.06);
  });

  it('reports a play from another position as a seek first', () => {
    const { tracker, sent, send, watch } = setup(100);
    send(tracker.play(0));
    watch(3);
    send(tracker.pause(3));
    send(tracker.play(50));
    expect(verbs(sent).slice(-2)).toEqual(['seeked', 'played']);
    expect(ext(last(sent, 'played'), VideoExt.time)).toBe(50);
  });

  it('counts only the media seconds played while the learner was attending', () => {
    const { tracker, sent, send, watch, setFocused } = setup(100);
    send(tracker.play(0));
    watch(4);
    setFocused(false);
    watch(10);
    setFocused(true);
    watch(12);
    send(tracker.pause(12));
    expect(ext(last(sent, 'paused'), XcreditExt.focusedSeconds)).toBe(6);
  });

  it('does not count media time that jumped past the wall clock as focused', () => {
    const { tracker, sent, send, watch } = setup(100);
    send(tracker.play(0));
    watch(2);
    send(tracker.pause(9));
    expect(ext(last(sent, 'paused'), VideoExt.time)).toBe(2);
    expect(ext(last(sent, 'paused'), XcreditExt.focusedSeconds)).toBe(2);
  });

  it('sends completed once progress reaches the threshold, and a played at the same time keeps counting', () => {
    const { tracker, sent, send, watch, tick } = setup(20, 0.8);
    send(tracker.play(0));
    watch(15.75);
    expect(verbs(sent)).toEqual(['initialized', 'played']);
    watch(16);
    expect(verbs(sent)).toEqual(['initialized', 'played', 'completed', 'played']);
    const completed = last(sent, 'completed');
    expect(completed?.verb.id).toBe(Verbs.completed);
    expect(ext(completed, VideoExt.time)).toBe(16);
    expect(ext(completed, VideoExt.progress)).toBe(0.8);
    expect(ext(completed, VideoExt.playedSegments)).toBe('0[.]16');
    expect(ext(completed, XcreditExt.focusedSeconds)).toBe(16);
    expect(completed?.result).toMatchObject({ completion: true, duration: 'PT16S' });
    expect(ext(last(sent, 'played'), VideoExt.time)).toBe(16);
    watch(19.75);
    tick(250);
    send(tracker.end(20));
    expect(verbs(sent)).toEqual(['initialized', 'played', 'completed', 'played', 'paused']);
    expect(ext(last(sent, 'paused'), VideoExt.time)).toBe(20);
    expect(ext(last(sent, 'paused'), XcreditExt.focusedSeconds)).toBe(4);

    // The server closes the interval at completed; the played reopens it, so all 20 s count.
    const verified = verifyEvents(asServerEvents(sent), { maxRate: 1, slackSeconds: 0, evidenceSeconds: 30, offlineGraceSeconds: 180 });
    expect(verified.verifiedSeconds).toBeCloseTo(20, 6);
    expect(verified.focusedSeconds).toBeCloseTo(20, 6);
  });

  it('sends completed once; watching to the end again is a pause', () => {
    const { tracker, sent, send, watch } = setup(10);
    send(tracker.play(0));
    watch(10);
    send(tracker.end(10));
    send(tracker.play(0));
    watch(10);
    send(tracker.end(10));
    expect(verbs(sent)).toEqual(['initialized', 'played', 'completed', 'played', 'paused', 'seeked', 'played', 'paused']);
  });

  it('sends no completed for a skip to the end; the interval closes with a pause at the end', () => {
    const { tracker, sent, send, watch } = setup(15, 0.8);
    send(tracker.play(0));
    watch(1);
    send(tracker.seek(14.5));
    watch(15);
    send(tracker.end(15));
    expect(verbs(sent)).toEqual(['initialized', 'played', 'seeked', 'paused']);
    expect(ext(last(sent, 'paused'), VideoExt.progress)).toBe(0.1);
    expect(tracker.thresholdReached).toBe(false);
    const verified = verifyEvents(asServerEvents(sent), { maxRate: 1, slackSeconds: 0, evidenceSeconds: 30, offlineGraceSeconds: 180 });
    expect(verified.verifiedSeconds).toBeCloseTo(1.5, 6);
  });

  it('sends completed when a seek back while paused leaves the threshold reached, without reopening', () => {
    const { tracker, sent, send, watch } = setup(10, 0.5);
    send(tracker.play(0));
    watch(4.75);
    send(tracker.pause(4.75));
    send(tracker.seek(5));
    send(tracker.play(5));
    watch(5.25);
    expect(verbs(sent)).toEqual(['initialized', 'played', 'paused', 'seeked', 'played', 'completed', 'played']);
  });

  it('reports what played while the learner was not attending as unattended segments', () => {
    const { tracker, sent, send, watch, setFocused } = setup(100);
    send(tracker.play(0));
    watch(3);
    setFocused(false);
    watch(5);
    setFocused(true);
    watch(6);
    setFocused(false);
    watch(7);
    setFocused(true);
    send(tracker.pause(7));
    const paused = last(sent, 'paused');
    expect(ext(paused, XcreditExt.focusedSeconds)).toBe(4);
    expect(ext(paused, XcreditExt.unattendedSegments)).toBe('3[.]5[,]6[.]7');
    send(tracker.play(7));
    watch(8);
    send(tracker.seek(2));
    expect(ext(last(sent, 'seeked'), XcreditExt.unattendedSegments)).toBe('');
    expect(ext(last(sent, 'played'), XcreditExt.unattendedSegments)).toBeUndefined();
  });

  it('counts segments restored from an earlier session toward progress and the seek lock', () => {
    const { tracker, sent, send, watch } = setup(100);
    tracker.restore([[0, 30], [40, 50]]);
    expect(tracker.progress).toBe(0.4);
    expect(tracker.furthest).toBe(50);
    send(tracker.play(30));
    watch(35);
    send(tracker.pause(35));
    expect(ext(last(sent, 'paused'), VideoExt.playedSegments)).toBe('0[.]30[,]40[.]50[,]30[.]35');
    expect(tracker.progress).toBe(0.45);
  });

  it('tells the learner the threshold is reached as the server will see it, end tolerance included', () => {
    const { tracker, send, watch } = setup(30, 1);
    send(tracker.play(0));
    watch(29.25);
    expect(tracker.thresholdReached).toBe(false);
    watch(29.5);
    expect(tracker.thresholdReached).toBe(true);
  });

  it('terminates with the open interval closed and ignores events after it', () => {
    const { tracker, sent, send, watch } = setup(100);
    send(tracker.play(0));
    watch(7);
    send(tracker.terminate(7));
    const terminated = last(sent, 'terminated');
    expect(ext(terminated, VideoExt.time)).toBe(7);
    expect(ext(terminated, XcreditExt.focusedSeconds)).toBe(7);
    expect(ext(terminated, VideoExt.playedSegments)).toBe('0[.]7');
    expect(tracker.play(7)).toEqual([]);
    expect(tracker.terminate()).toEqual([]);
  });

  it('starts a new session after terminate, keeping progress and the completed flag', () => {
    const { tracker, sent, send, watch } = setup(10, 0.5);
    send(tracker.play(0));
    watch(10);
    send(tracker.end(10));
    send(tracker.terminate());
    expect(tracker.sessionId).toBeNull();
    send(tracker.start({ length: 10, time: 10 }, 'second-session'));
    expect(tracker.sessionId).toBe('second-session');
    expect(tracker.progress).toBe(1);
    send(tracker.play(0));
    watch(10);
    send(tracker.end(10));
    expect(verbs(sent).filter((v) => v === 'completed')).toHaveLength(1);
    expect(verbs(sent).filter((v) => v === 'initialized')).toHaveLength(2);
  });

  it('allows faster media movement only as fast as the rate in force', () => {
    const { tracker, sent, send, tick } = setup(100);
    tracker.setRate(2);
    send(tracker.play(0));
    for (let i = 1; i <= 20; i++) {
      tick(250);
      send(tracker.timeUpdate(i * 0.5));
    }
    send(tracker.pause(10));
    expect(ext(last(sent, 'paused'), VideoExt.playedSegments)).toBe('0[.]10');
  });
});
