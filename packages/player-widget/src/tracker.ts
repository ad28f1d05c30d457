import {
  buildVideoStatement,
  coverageTolerance,
  coveredSeconds,
  formatPlayedSegments,
  type Segment,
  type VideoSessionContext,
  type VideoStatement,
  type VideoStatementData,
  type VideoVerb,
  VerbDisplay,
  Verbs,
  VideoExt,
  XcreditExt,
} from '@xcredit/sdk';

/** What the launch says about the learner and course; the same for every session of a page. */
export type TrackerLaunch = Omit<VideoSessionContext, 'length' | 'sessionId'>;

/** The media state at the start of a session, for the `initialized` statement: the video's length (seconds) and the profile's state facts. */
export type MediaSnapshot = { length: number } & Pick<VideoStatementData, 'time' | 'speed' | 'volume' | 'ccEnabled' | 'ccLang' | 'fullScreen' | 'screenSize' | 'videoPlaybackSize'>;

export interface TrackerOptions {
  launch: TrackerLaunch;
  /** Epoch milliseconds; injected so tests control the clock. */
  now?: () => number;
  uuid?: () => string;
  /** Whether the learner is attending right now (page visible and focused, not idle). */
  focused?: () => boolean;
}

/** Media seconds of difference below which two times are the same position. */
const SAME_POSITION = 0.25;

/**
 * Turns media events into Video Profile statements and keeps the played segments.
 *
 * Every method takes the media time the event happened at and returns the statements it
 * produced, in order. Times that cannot be right (a pause reported at a seek's destination,
 * a timeupdate that jumped) are not trusted: the tracker closes intervals at the last time it
 * saw media advance plausibly and reports the jump as a seek, so the server never receives
 * a claim the learner did not watch.
 *
 * @example
 * const tracker = new VideoTracker({ launch });
 * send(tracker.start({ length: 600 }, sessionIdFromTheServer));
 * send(tracker.play(0));
 * send(tracker.timeUpdate(0.25));
 * send(tracker.pause(0.4));
 */
export class VideoTracker {
  private readonly launch: TrackerLaunch;
  private readonly now: () => number;
  private readonly uuid: () => string;
  private readonly focused: () => boolean;

  private ctx: VideoSessionContext | null = null;
  private closed: Segment[] = [];
  private openStart: number | null = null;
  private lastTime = 0;
  private lastWall = 0;
  private rate = 1;
  private focusedInInterval = 0;
  /** Parts of the open interval played while the learner was not attending. */
  private unattended: Segment[] = [];
  private completedSent = false;

  constructor(options: TrackerOptions) {
    this.launch = options.launch;
    this.now = options.now ?? Date.now;
    this.uuid = options.uuid ?? (() => crypto.randomUUID());
    this.focused = options.focused ?? (() => true);
  }

  /** True between `start` and `terminate`. */
  get active(): boolean {
    return this.ctx !== null;
  }

  get playing(): boolean {
    return this.openStart !== null;
  }

  /** The last media time the tracker trusts. */
  get time(): number {
    return this.lastTime;
  }

  get length(): number {
    return this.ctx?.length ?? 0;
  }

  get sessionId(): string | null {
    return this.ctx?.sessionId ?? null;
  }

  /** Played segments in the order they were watched, the one playing now included. */
  get segments(): Segment[] {
    const open = this.openStart !== null && this.lastTime > this.openStart ? [[this.openStart, this.lastTime] as const] : [];
    return [...this.closed, ...open];
  }

  get playedSegments(): string {
    return formatPlayedSegments(this.segments);
  }

  /** |union of played segments| / length, three decimals. */
  get progress(): number {
    const length = this.length;
    if (length <= 0) return 0;
    return Math.round(Math.min(1, coveredSeconds(this.segments) / length) * 1000) / 1000;
  }

  /**
   * Progress has reached the completion threshold, forgiving the end-of-video tolerance the
   * server forgives, so the learner sees "completed" when the server will agree.
   */
  get thresholdReached(): boolean {
    const length = this.length;
    if (length <= 0) return false;
    const need = Math.min(this.launch.completionThreshold * length, length - coverageTolerance(length));
    return coveredSeconds(this.segments) >= need - 1e-9;
  }

  /** The furthest media time watched, for the seek lock. */
  get furthest(): number {
    return this.segments.reduce((max, [, end]) => Math.max(max, end), 0);
  }

  /**
   * Begins the session the server issued (`sessionId`) and returns its `initialized` statement.
   * Segments and the completed flag carry over from an earlier session of the same page (a page
   * restored from the back/forward cache), so progress and completion are not reported twice.
   */
  start(media: MediaSnapshot, sessionId: string): VideoStatement[] {
    this.ctx = { ...this.launch, length: media.length, sessionId };
    this.openStart = null;
    this.lastTime = this.clamp(media.time ?? 0);
    this.lastWall = this.now();
    if (media.speed !== undefined) this.rate = media.speed;
    const { length: _length, time: _time, ...state } = media;
    return [buildVideoStatement('initialized', this.ctx, { ...state, id: this.uuid(), timestamp: this.stamp() })];
  }

  /**
   * Adds segments watched in an earlier session (resume state) to the played segments, so
   * progress and the seek lock count them. Call before `start`.
   */
  restore(segments: readonly Segment[]): void {
    const valid = segments.filter(([s, e]) => Number.isFinite(s) && Number.isFinite(e) && e > s && s >= 0);
    this.closed = [...valid.map(([s, e]) => [s, e] as Segment), ...this.closed];
  }

  /** Playback started or resumed at `time`. */
  play(time: number): VideoStatement[] {
    if (!this.ctx) return [];
    const t = this.clamp(time);
    if (this.playing) return this.isJump(t) ? this.seek(t) : [];
    const out = this.isJump(t) ? this.seek(t) : [];
    this.open(t);
    out.push(this.statement('played', { time: t }));
    return out;
  }

  /** Playback paused; `time` is believed only if media could have got there. */
  pause(time: number): VideoStatement[] {
    if (!this.ctx) return [];
    const t = this.clamp(time);
    if (!this.playing) return this.isJump(t) ? this.seek(t) : [];
    const at = this.closeAt(t);
    const attention = this.close(at);
    return [this.statement('paused', { time: at, ...this.progressData() }, attention), ...this.checkCompletion()];
  }

  /** A seek to `to` from the last trusted time; playback continues if it was playing. */
  seek(to: number): VideoStatement[] {
    if (!this.ctx) return [];
    const target = this.clamp(to);
    const from = this.lastTime;
    if (Math.abs(target - from) < 0.01) return [];
    const wasPlaying = this.playing;
    const attention = wasPlaying ? this.close(from) : undefined;
    const data: Partial<VideoStatementData> = { timeFrom: from, timeTo: target, ...this.progressData() };
    const out = [this.statement('seeked', data, attention)];
    this.lastTime = target;
    this.lastWall = this.now();
    // The server reopens the interval at time-to when the seek happened while playing.
    if (wasPlaying) this.open(target);
    out.push(...this.checkCompletion());
    return out;
  }

  /** Media time moved (timeupdate); a jump no playback could make is a seek. */
  timeUpdate(time: number): VideoStatement[] {
    if (!this.ctx) return [];
    const t = this.clamp(time);
    if (this.isJump(t)) return this.seek(t);
    if (!this.playing) {
      this.lastTime = t;
      this.lastWall = this.now();
      return [];
    }
    this.advance(t);
    return this.checkCompletion();
  }

  /**
   * The media reached its end: the playing interval ends there with `paused` (the Video
   * Profile's `completed` is sent once, when progress reaches the completion threshold).
   */
  end(time: number): VideoStatement[] {
    if (!this.ctx || !this.playing) return [];
    const at = this.closeAt(this.clamp(time));
    const attention = this.close(at);
    return [this.statement('paused', { time: at, ...this.progressData() }, attention), ...this.checkCompletion()];
  }

  /** Ends the session (page hidden for good, element removed); later events are ignored. */
  terminate(time?: number): VideoStatement[] {
    if (!this.ctx) return [];
    const data: Partial<VideoStatementData> = {};
    let at = this.lastTime;
    let attention: Attention | undefined;
    if (this.playing) {
      at = this.closeAt(this.clamp(time ?? this.lastTime));
      attention = this.close(at);
    }
    const out = [...this.checkCompletion(), this.statement('terminated', { time: at, ...this.progressData(), ...data }, attention)];
    this.ctx = null;
    return out;
  }

  /**
   * The learner changed volume, speed, full screen or captions: the Video Profile's
   * `interacted`, with the media state after the change in its context.
   */
  interacted(time: number, state: Omit<MediaSnapshot, 'length' | 'time'>): VideoStatement[] {
    if (!this.ctx) return [];
    const built = buildVideoStatement('initialized', this.ctx, { ...state, id: this.uuid(), timestamp: this.stamp() });
    const statement: VideoStatement = {
      ...built,
      verb: { id: Verbs.interacted, display: { 'en-US': VerbDisplay.interacted } },
      result: { extensions: { [VideoExt.time]: Math.round(this.clamp(time) * 1000) / 1000 } },
    };
    return [statement];
  }

  /** The playback rate now in force; bounds how far media can move between two events. */
  setRate(rate: number): void {
    if (Number.isFinite(rate) && rate > 0) this.rate = rate;
  }

  /**
   * `completed`, once, as soon as progress reaches the completion threshold. While playing it
   * closes the interval (the server reads `completed` that way) and a `played` at the same time
   * reopens it, so the learner's viewing goes on being counted.
   */
  private checkCompletion(): VideoStatement[] {
    if (this.completedSent || !this.ctx || !this.thresholdReached) return [];
    this.completedSent = true;
    const wasPlaying = this.playing;
    const at = this.lastTime;
    const attention = wasPlaying ? this.close(at) : undefined;
    const out = [this.statement('completed', { time: at, ...this.progressData(), durationSeconds: this.playingSeconds() }, attention)];
    if (wasPlaying) {
      this.open(at);
      out.push(this.statement('played', { time: at }));
    }
    return out;
  }

  private open(t: number): void {
    this.openStart = t;
    this.lastTime = t;
    this.lastWall = this.now();
    this.focusedInInterval = 0;
    this.unattended = [];
  }

  /** Closes the open interval at `at` and returns how much of it had the learner's attention. */
  private close(at: number): Attention {
    this.advance(at);
    const start = this.openStart ?? at;
    if (at > start) this.closed.push([start, at]);
    this.openStart = null;
    const focusedSeconds = Math.min(this.focusedInInterval, Math.max(0, at - start));
    const unattendedSegments = formatPlayedSegments(this.unattended);
    this.focusedInInterval = 0;
    this.unattended = [];
    return { focusedSeconds, unattendedSegments };
  }

  private advance(t: number): void {
    const delta = t - this.lastTime;
    if (delta <= 0 || delta > this.maxStep()) return;
    if (this.focused()) this.focusedInInterval += delta;
    else this.markUnattended(this.lastTime, t);
    this.lastTime = t;
    this.lastWall = this.now();
  }

  private markUnattended(from: number, to: number): void {
    const last = this.unattended.at(-1);
    if (last && Math.abs(last[1] - from) < 1e-6) this.unattended[this.unattended.length - 1] = [last[0], to];
    else this.unattended.push([from, to]);
  }

  /** Where to close an interval asked to close at `t`: there if reachable, else where media last was. */
  private closeAt(t: number): number {
    const delta = t - this.lastTime;
    return delta > 0 && delta <= this.maxStep() ? t : this.lastTime;
  }

  private isJump(t: number): boolean {
    const delta = t - this.lastTime;
    if (delta < -SAME_POSITION) return true;
    return this.playing ? delta > this.maxStep() : delta > SAME_POSITION;
  }

  /** The most media time playback can cover since the last trusted time, with timer jitter. */
  private maxStep(): number {
    const wallSeconds = Math.max(0, (this.now() - this.lastWall) / 1000);
    return wallSeconds * Math.max(1, this.rate) * 1.25 + 1;
  }

  private progressData(): Pick<VideoStatementData, 'progress' | 'playedSegments'> {
    return { progress: this.progress, playedSegments: this.playedSegments };
  }

  private playingSeconds(): number {
    return this.segments.reduce((sum, [s, e]) => sum + (e - s), 0);
  }

  private clamp(t: number): number {
    if (!Number.isFinite(t) || t < 0) return 0;
    const length = this.length;
    return length > 0 ? Math.min(t, length) : t;
  }

  private stamp(): string {
    return new Date(this.now()).toISOString();
  }

  private statement(verb: VideoVerb, data: Partial<VideoStatementData>, attention?: Attention): VideoStatement {
    if (!this.ctx) throw new Error('no session');
    const full = { ...data, id: this.uuid(), timestamp: this.stamp() };
    if (attention) full.focusedSeconds = attention.focusedSeconds;
    const statement = buildVideoStatement(verb, this.ctx, full);
    if (attention && statement.result) statement.result.extensions[XcreditExt.unattendedSegments] = attention.unattendedSegments;
    return statement;
  }
}

/** How much of a closed interval the learner attended to. */
interface Attention {
  focusedSeconds: number;
  /** Played-segments string of what played while the learner was not attending. */
  unattendedSegments: string;
}
