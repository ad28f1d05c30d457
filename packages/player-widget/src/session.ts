import type { PublicQuestion, VideoStatement } from '@xcredit/sdk';
import videojs from 'video.js/core.es.js';
import zhCN from 'video.js/dist/lang/zh-CN.json';
import type { AttentionController, AttentionMonitor, PromptKind } from './attention.js';
import { allowedRates, clampRate, seekTarget } from './guard.js';
import { applyCmi5, type LaunchData } from './cmi5.js';
import type { Connection } from './connection.js';
import { fetchVerified, openSession, parseReply, type HeartbeatBody, type HeartbeatController, type ServerSession, type Verified } from './heartbeat.js';
import type { Lang } from './i18n.js';
import { refusal, type Launch } from './launch.js';
import type { Outbox, OutboxController, OutboxRecord, OutboxRejection } from './outbox.js';
import { answeredStatement, deliveredFeedback, dueQuestion, rearmRetries, type Answer, type AnsweredStatement, type AnswerFeedback } from './questions.js';
import { mediaEvents, mediaState } from './media-state.js';
import { loadResume, saveResume, type ResumeTarget } from './resume.js';
import { VideoTracker } from './tracker.js';

/** Every statement the player sends. */
export type PlayerStatement = VideoStatement | AnsweredStatement;

type Player = ReturnType<typeof videojs>;

videojs.addLanguage('zh-CN', zhCN);

export interface ProgressDetail {
  /** The coverage the server verified (0..1); never a number the page computed or read back. */
  progress: number;
  /** What the server verified (coverage, credits earned of credits); null until it has said. */
  verified: Verified | null;
  /** Played segments in this page, as the tracker reports them. */
  playedSegments: string;
  time: number;
  duration: number;
  /** Verified coverage has reached the course's completion threshold. */
  completed: boolean;
  /** In-video questions answered in this page, and how many the course has. */
  answered: number;
  questions: number;
}

export interface ReadyDetail {
  learnerId: string;
  courseId: string;
  duration: number;
}

/** What a session tells the element; the element turns it into events and text. */
export interface SessionHooks {
  statement(statement: PlayerStatement): void;
  progress(detail: ProgressDetail): void;
  ready(detail: ReadyDetail): void;
  /** The video itself failed (source missing, unsupported, network). */
  mediaError(message: string): void;
  rejected(rejection: OutboxRejection): void;
  seekLocked(): void;
  rateLimited(maxRate: number): void;
  /** "Are you still there?" or the server's attention check opened (`timedOut`: the video was paused for want of an answer) or closed (null). */
  prompt(prompt: { kind: PromptKind; timedOut: boolean } | null): void;
  /** A question is due (the video is paused), or was answered/dismissed (null). */
  question(question: PublicQuestion | null): void;
  /** A newer launch took the learner's session over; the player has stopped. */
  takenOver(message: string): void;
  /** Playback continues from an earlier session at `time`. */
  resumed(time: number): void;
}

export interface SessionOptions {
  launch: Launch;
  /** Element in the shadow root the player is built in. */
  mount: HTMLElement;
  /** The launch's xAPI endpoint, credits API and credential. */
  connection: Connection;
  src: string;
  /** WebVTT captions to offer. */
  captions?: { src: string; lang: string; label: string } | undefined;
  /** A cmi5 launch: statements follow the LMS's context template and cmi5's rules. */
  cmi5?: LaunchData | undefined;
  lang: Lang;
  hooks: SessionHooks;
  /** The element's heartbeat, attention watch and outbox, which the session drives for its launch. */
  controllers: { heartbeat: HeartbeatController; attention: AttentionController; outbox: OutboxController };
  /** Epoch milliseconds, for everything the session times (statements, heartbeats, prompts); injected so tests control it. */
  now?: () => number;
}

const PROGRESS_EVERY_MS = 1000;
const RESUME_EVERY_MS = 10_000;
const HAVE_FUTURE_DATA = 3;
/** Resuming this close to the end starts over instead. */
const RESUME_END_MARGIN = 2;

/**
 * One learner watching one video: the video.js player, the tracker that turns its events into
 * statements, the guard that applies the course policy, and the outbox that delivers.
 */
export class PlayerSession {
  private readonly launch: Launch;
  private readonly hooks: SessionHooks;
  private readonly tracker: VideoTracker;
  private readonly listeners = new AbortController();
  private outbox: Outbox | null = null;
  private player: Player | null = null;
  private video: HTMLVideoElement | null = null;
  private wantPlay = false;
  private playWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private pendingSeek: number | null = null;
  private scrubSeekPending = false;
  private lastProgressAt = 0;
  private readyFired = false;
  private playerReady = false;
  private disposed = false;
  /** The player session the server issued; null before it answers and after `terminated`. */
  private serverSession: ServerSession | null = null;
  private verified: Verified | null = null;
  /** The attention check on screen, to answer with its nonce. */
  private check: { nonce: string; sessionId: string } | null = null;
  private lastNonce = '';
  /** Wrongly answered questions the server lets the learner retry after rewatching a part. */
  private readonly retries = new Map<string, { from: number; to: number }>();
  private readonly resumeTarget: ResumeTarget;
  private lastResumeSave = 0;
  /** Question ids shown in this page. */
  private readonly asked = new Set<string>();
  private readonly answered = new Set<string>();
  private openQuestion: PublicQuestion | null = null;
  private lastPlayTime = 0;
  private takenOver = false;
  private resumeAt: number | null = null;
  private lastRate = 1;
  private readonly now: () => number;
  private readonly startedAt: number;

  constructor(private readonly options: SessionOptions) {
    this.launch = options.launch;
    this.hooks = options.hooks;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.tracker = new VideoTracker({
      launch: {
        actor: this.launch.actor,
        registration: this.launch.registration,
        activityId: this.launch.activityId,
        title: this.launch.course.title,
        completionThreshold: this.launch.policy.gates.coverage,
        userAgent: navigator.userAgent,
      },
      now: this.now,
      focused: () => document.visibilityState === 'visible' && document.hasFocus() && (this.attention?.attending ?? true),
    });
    this.resumeTarget = { activityId: this.launch.activityId, agent: this.launch.actor };
  }

  /** The course's in-video questions, in order. */
  get launchQuestions(): readonly PublicQuestion[] {
    return this.launch.questions;
  }

  /** The coverage the server verified. */
  get progress(): number {
    return this.verified?.coverage ?? 0;
  }

  /** The launch's attention monitor, once the tracker has started. */
  private get attention(): AttentionMonitor | null {
    return this.options.controllers.attention.monitor;
  }

  private get heartbeat(): HeartbeatController {
    return this.options.controllers.heartbeat;
  }

  /**
   * Opens the outbox (sending what earlier pages left), asks the server for a player session
   * (retrying while it cannot be reached) and for what it verified so far, then builds the player.
   * A refused session throws a `LaunchError`; a taken-over launch tells the hooks and builds nothing.
   */
  async start(): Promise<void> {
    const { connection, controllers } = this.options;
    const [, resume, session, verified] = await Promise.all([
      // Assigned at once: what earlier pages left is sent (and closed on dispose) while the session is awaited.
      controllers.outbox
        .open({
          endpoint: connection.endpoint,
          token: connection.token,
          onRejected: (r, record) => this.onRefused(r, record),
          onReply: (record, reply) => this.onReply(record, reply),
        })
        .then((o) => {
          // Disposed meanwhile: dispose found no outbox to close.
          if (this.disposed) void controllers.outbox.close(o);
          else this.outbox = o;
        }),
      loadResume(connection, this.resumeTarget),
      this.openServerSession(),
      fetchVerified(connection),
    ]);
    this.verified ??= verified;
    if (this.disposed || !session) return;
    if ('status' in session) throw refusal(session.status, session.message);
    this.heartbeat.attach({
      everyMs: session.heartbeatSeconds * 1000,
      now: this.now,
      state: () => ({ sessionId: this.tracker.sessionId, time: this.tracker.time, playing: this.tracker.playing }),
      send: (body) => void this.outbox?.enqueue(body, this.apiUrl('heartbeat')),
    });
    // The resume document only chooses where playback starts (and what the seek lock allows): progress is the server's.
    if (resume) {
      this.tracker.restore(resume.segments);
      const length = this.launch.course.lengthSeconds;
      if (resume.time > 0 && (length <= 0 || resume.time < length - RESUME_END_MARGIN)) this.resumeAt = resume.time;
    }
    this.buildPlayer();
    this.listenToPage();
  }

  /** Plays once the player can; resolves when playback has begun. */
  play(): Promise<void> {
    if (this.blocked()) return Promise.resolve();
    this.wantPlay = true;
    const started = new Promise<void>((resolve, reject) => this.playWaiters.push({ resolve, reject }));
    this.tryPlay();
    return started;
  }

  pause(): void {
    this.wantPlay = false;
    this.settlePlayWaiters();
    this.player?.pause();
  }

  seek(seconds: number): void {
    if (this.video && this.tracker.active) this.video.currentTime = seconds;
    else this.pendingSeek = seconds;
  }

  flush(): Promise<void> {
    return this.outbox?.flush() ?? Promise.resolve();
  }

  setLanguage(lang: Lang): void {
    this.player?.language(lang);
  }

  /**
   * The learner answered "are you still there?" or the server's attention check (which goes back
   * with its nonce); playback resumes if the prompt had paused it.
   */
  confirmPresence(): void {
    if (!this.attention?.prompt) return;
    if (this.check) void this.outbox?.enqueue(this.check, this.apiUrl('attention'));
    this.check = null;
    const pausedForIt = this.attention.answer();
    this.hooks.prompt(null);
    if (pausedForIt && !this.blocked()) void this.player?.play();
  }

  /**
   * Sends the learner's answer as an `answered` statement, delivers it, then asks the server
   * how it scored (null when the server cannot say).
   */
  async answer(question: PublicQuestion, answer: Answer): Promise<AnswerFeedback | null> {
    const statement = answeredStatement(
      question,
      answer,
      { actor: this.launch.actor, registration: this.launch.registration, activityId: this.launch.activityId, title: this.launch.course.title, sessionId: this.tracker.sessionId },
      { id: crypto.randomUUID(), timestamp: new Date(this.now()).toISOString() },
    );
    this.answered.add(question.id);
    this.record([statement]);
    this.emitProgress(true);
    // The verdict waits for this statement's own delivery, not for everything queued meanwhile (heartbeats).
    const feedback = await deliveredFeedback(this.outbox, this.options.connection, statement.id, question.id);
    if (feedback?.retryAfterRewatch && !feedback.correct && (feedback.attemptsLeft ?? 0) > 0) this.retries.set(question.id, feedback.retryAfterRewatch);
    return feedback;
  }

  /** Closes the question overlay and continues; an answer-to-continue question must be answered first. */
  closeQuestion(): void {
    const q = this.openQuestion;
    if (!q || (q.answerToContinue && !this.answered.has(q.id))) return;
    this.openQuestion = null;
    this.hooks.question(null);
    if (!this.blocked()) void this.player?.play();
  }

  /** Ends the session: `terminated`, a last send, and the player gone. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.heartbeat.stop();
    this.options.controllers.attention.unwatch();
    const wasActive = this.tracker.active;
    this.record(this.tracker.terminate(this.mediaTime()));
    if (wasActive) void this.saveResume(true);
    this.listeners.abort();
    this.settlePlayWaiters();
    this.player?.dispose();
    this.player = null;
    const outbox = this.outbox;
    if (outbox) await this.options.controllers.outbox.close(outbox);
  }

  private buildPlayer(): void {
    const { mount, src, lang } = this.options;
    const policy = this.launch.policy;
    const video = document.createElement('video');
    video.className = 'video-js';
    video.setAttribute('playsinline', '');
    video.preload = 'auto';
    // Picture-in-picture would keep a "watching" video playing while the page is hidden.
    video.disablePictureInPicture = true;
    mount.append(video);
    this.video = video;
    this.listenToMedia(video);

    const player = videojs(video, {
      controls: true,
      preload: 'auto',
      language: lang,
      playbackRates: allowedRates(policy.maxRate),
      sources: [{ src, type: mimeType(src) }],
      controlBar: { pictureInPictureToggle: false },
      // video.js drops the controls that do not fit a narrow player (a phone) instead of overflowing.
      responsive: true,
      userActions: { hotkeys: true },
    });
    this.player = player;
    player.on('error', () => this.hooks.mediaError(player.error()?.message ?? 'media error'));
    player.on('timeupdate', () => this.settleScrubSeek());
    player.ready(() => {
      const captions = this.options.captions;
      // video.js reads the captions itself (an XHR: a file on another origin needs CORS).
      if (captions) player.addRemoteTextTrack({ kind: 'captions', src: captions.src, srclang: captions.lang, label: captions.label }, false);
      for (const type of mediaEvents('textTracks')) player.textTracks().addEventListener(type, () => this.interacted());
      this.playerReady = true;
      this.maybeReady();
    });
  }

  private listenToMedia(video: HTMLVideoElement): void {
    const on = (type: string, fn: () => void) => video.addEventListener(type, fn, { signal: this.listeners.signal });
    on('loadedmetadata', () => this.begin());
    on('canplay', () => this.tryPlay());
    on('play', () => {
      // A question to answer or a session taken over: playback may not go on.
      if (this.blocked()) {
        video.pause();
        return;
      }
      this.settleScrubSeek();
      this.lastPlayTime = video.currentTime;
      this.record(this.tracker.play(this.mediaTime()));
      this.heartbeat.beat();
    });
    on('pause', () => {
      // At the end the browser pauses before `ended`; `ended` reports that moment.
      if (!video.ended) this.record(this.tracker.pause(this.mediaTime()));
      // Queued behind the pause: its answer shows what the server verified of the viewing so far.
      this.heartbeat.beat();
      this.emitProgress(true);
      void this.saveResume(false);
    });
    on('seeking', () => this.onSeeking());
    on('seeked', () => {
      this.settleScrubSeek();
      this.lastPlayTime = video.currentTime;
      this.emitProgress(true);
      void this.saveResume(false);
    });
    on('timeupdate', () => {
      // During a seek currentTime is already the destination; the seek reports it.
      if (video.seeking || this.player?.scrubbing()) return;
      this.record(this.tracker.timeUpdate(video.currentTime));
      this.attention?.tick(!video.paused);
      if (!video.paused) this.checkQuestions(video.currentTime);
      this.emitProgress(false);
      if (!video.paused && this.now() - this.lastResumeSave >= RESUME_EVERY_MS) void this.saveResume(false);
    });
    for (const type of mediaEvents('video')) on(type, () => this.interacted());
    on('ended', () => {
      this.record(this.tracker.end(video.currentTime));
      this.heartbeat.beat();
      this.emitProgress(true);
      void this.saveResume(false);
    });
    on('ratechange', () => this.onRateChange());
  }

  private listenToPage(): void {
    const signal = this.listeners.signal;
    document.addEventListener(
      'visibilitychange',
      () => {
        if (document.visibilityState === 'hidden' && this.launch.policy.pauseWhenHidden) this.player?.pause();
      },
      { signal },
    );
    window.addEventListener(
      'pagehide',
      () => {
        const wasActive = this.tracker.active;
        this.record(this.tracker.terminate(this.mediaTime()));
        // `terminated` ended that session; a page restored from the back/forward cache asks for a new one.
        this.serverSession = null;
        this.outbox?.flushOnExit();
        if (wasActive) void this.saveResume(true);
      },
      { signal },
    );
    for (const type of mediaEvents('player')) this.player?.on(type, () => this.interacted());
    // Back from the back/forward cache: the old session was terminated, so begin a new one.
    window.addEventListener('pageshow', (e) => e.persisted && void this.openServerSession().then(() => this.begin()), { signal });
  }

  /** Starts the tracker on the server's session once the video length is known. */
  private begin(): void {
    const video = this.video;
    const session = this.serverSession;
    if (!video || !session || video.readyState < 1 || this.tracker.active || this.disposed) return;
    const length = Number.isFinite(video.duration) && video.duration > 0 ? video.duration : this.launch.course.lengthSeconds;
    this.record(this.tracker.start({ length, time: video.currentTime, ...mediaState({ video, player: this.player }) }, session.sessionId));
    this.tracker.setRate(video.playbackRate);
    if (!this.attention) {
      const policy = this.launch.policy;
      this.options.controllers.attention.watch(
        {
          idleSeconds: policy.idleSeconds,
          now: this.now,
          promptTimeoutSeconds: policy.promptTimeoutSeconds,
          onPrompt: (kind) => this.hooks.prompt({ kind, timedOut: false }),
          onTimeout: (kind) => {
            this.player?.pause();
            this.hooks.prompt({ kind, timedOut: true });
          },
        },
        () => !video.paused,
      );
    }
    if (!video.paused) this.record(this.tracker.play(video.currentTime));
    // The first heartbeat goes as soon as there is a session to report, then every heartbeatSeconds.
    this.heartbeat.start();
    if (this.resumeAt !== null && this.pendingSeek === null) {
      this.pendingSeek = this.resumeAt;
      this.hooks.resumed(this.resumeAt);
      this.resumeAt = null;
    }
    if (this.pendingSeek !== null) {
      video.currentTime = this.pendingSeek;
      this.lastPlayTime = this.pendingSeek;
      this.pendingSeek = null;
    }
    this.maybeReady();
  }

  private maybeReady(): void {
    if (this.readyFired || !this.playerReady || !this.tracker.active) return;
    this.readyFired = true;
    this.hooks.ready({ learnerId: this.launch.learnerId, courseId: this.launch.courseId, duration: this.tracker.length });
    this.emitProgress(true);
    this.tryPlay();
  }

  /** Playback may not go on: a question waits for its answer, or the session was taken over. */
  private blocked(): boolean {
    return this.takenOver || this.openQuestion !== null;
  }

  private checkQuestions(time: number): void {
    const from = this.lastPlayTime;
    this.lastPlayTime = time;
    rearmRetries(this.retries, this.asked, time);
    if (this.openQuestion) return;
    const q = dueQuestion(this.launch.questions, this.asked, from, time);
    if (!q) return;
    this.asked.add(q.id);
    this.openQuestion = q;
    this.player?.pause();
    this.hooks.question(q);
  }

  private onTakenOver(message: string): void {
    if (this.takenOver) return;
    this.takenOver = true;
    this.wantPlay = false;
    this.heartbeat.stop();
    this.player?.pause();
    this.hooks.takenOver(message);
  }

  /**
   * Asks the server for a player session until it answers: with backoff while it cannot be
   * reached (earlier pages' statements keep waiting in the outbox meanwhile). Null once disposed
   * or taken over; a refusal comes back as it is.
   */
  private async openServerSession(): Promise<ServerSession | { status: number; message: string } | null> {
    for (let attempt = 0; !this.disposed; attempt++) {
      const got = await openSession(this.options.connection);
      if (this.disposed) break;
      if (got && 'sessionId' in got) return (this.serverSession = got);
      if (got?.code === 'session_taken_over') {
        this.onTakenOver(got.message);
        break;
      }
      if (got) return got;
      await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1000 * 2 ** attempt) * (0.8 + 0.4 * Math.random())));
    }
    return null;
  }

  /** A heartbeat of this launch was answered: show what the server verified, and its check (an attention answer's reply has neither). */
  private onReply(record: OutboxRecord, reply: unknown): void {
    if (record.token !== this.options.connection.token) return;
    const { verified, nonce } = parseReply(reply);
    // A check still open comes back in later answers until the server has the learner's.
    if (nonce && nonce !== this.lastNonce && this.attention && !this.takenOver) {
      this.lastNonce = nonce;
      this.check = { nonce, sessionId: (record.statement as HeartbeatBody).sessionId };
      this.attention.check();
      this.hooks.prompt(this.attention.prompt);
    }
    if (verified) {
      this.verified = verified;
      this.emitProgress(true);
    }
  }

  /** The server refused something queued: a takeover of this launch stops the player; refused statements are shown. */
  private onRefused(rejection: OutboxRejection, record: OutboxRecord): void {
    if (rejection.code === 'session_taken_over') {
      if (record.token === this.options.connection.token) this.onTakenOver(rejection.message);
    } else if (!rejection.url) this.hooks.rejected(rejection);
  }

  private apiUrl(path: 'heartbeat' | 'attention'): string {
    return this.options.connection.apiUrl(`launches/current/${path}`);
  }

  private interacted(): void {
    const video = this.video;
    if (!video || !this.tracker.active) return;
    this.record(this.tracker.interacted(this.mediaTime(), mediaState({ video, player: this.player })));
  }

  private saveResume(keepalive: boolean): Promise<boolean> {
    this.lastResumeSave = this.now();
    return saveResume(this.options.connection, this.resumeTarget, { time: this.tracker.time, segments: this.tracker.segments }, { keepalive });
  }

  private tryPlay(): void {
    const player = this.player;
    const video = this.video;
    if (!this.wantPlay || !player || !video || !this.playerReady || video.readyState < HAVE_FUTURE_DATA) return;
    if (this.blocked()) return this.settlePlayWaiters();
    this.wantPlay = false;
    const waiters = this.playWaiters.splice(0);
    Promise.resolve(player.play()).then(
      () => waiters.forEach((w) => w.resolve()),
      (error: unknown) => waiters.forEach((w) => w.reject(error)),
    );
  }

  private settlePlayWaiters(): void {
    for (const w of this.playWaiters.splice(0)) w.resolve();
  }

  private onSeeking(): void {
    const video = this.video;
    if (!video) return;
    const to = video.currentTime;
    const allowed = seekTarget(to, this.tracker.furthest, this.launch.policy);
    if (allowed !== to) {
      // Sending the seek back fires `seeking` again, and that seek is the one reported.
      video.currentTime = allowed;
      this.hooks.seekLocked();
      return;
    }
    // A drag on the seek bar seeks on every mouse move; report where it ends, once.
    if (this.player?.scrubbing()) {
      this.scrubSeekPending = true;
      return;
    }
    this.record(this.tracker.seek(to));
  }

  private settleScrubSeek(): void {
    const video = this.video;
    if (!this.scrubSeekPending || !video || this.player?.scrubbing()) return;
    this.scrubSeekPending = false;
    this.record(this.tracker.seek(video.currentTime));
  }

  private onRateChange(): void {
    const video = this.video;
    if (!video) return;
    const max = this.launch.policy.maxRate;
    if (video.defaultPlaybackRate > max) video.defaultPlaybackRate = clampRate(video.defaultPlaybackRate, max);
    if (video.playbackRate > max) {
      // Setting it fires ratechange again, with the allowed rate.
      video.playbackRate = clampRate(video.playbackRate, max);
      this.hooks.rateLimited(max);
      return;
    }
    const changed = Math.abs(video.playbackRate - this.lastRate) > 1e-9;
    this.lastRate = video.playbackRate;
    this.tracker.setRate(video.playbackRate);
    if (changed) this.interacted();
  }

  /** Media time to report: during a seek, where media was before it, not the destination. */
  private mediaTime(): number {
    const video = this.video;
    if (!video) return this.tracker.time;
    return video.seeking || this.player?.scrubbing() ? this.tracker.time : video.currentTime;
  }

  private record(statements: PlayerStatement[]): void {
    const cmi5 = this.options.cmi5;
    for (const original of statements) {
      const statement = cmi5 ? applyCmi5(original, cmi5, (this.now() - this.startedAt) / 1000) : original;
      if (!statement) continue;
      this.hooks.statement(statement);
      void this.outbox?.enqueue(statement);
    }
  }

  private emitProgress(force: boolean): void {
    const now = this.now();
    if (!this.tracker.active || (!force && now - this.lastProgressAt < PROGRESS_EVERY_MS)) return;
    this.lastProgressAt = now;
    const verified = this.verified;
    this.hooks.progress({
      progress: verified?.coverage ?? 0,
      verified,
      playedSegments: this.tracker.playedSegments,
      time: this.tracker.time,
      duration: this.tracker.length,
      completed: (verified?.coverage ?? 0) >= this.launch.policy.gates.coverage,
      answered: this.answered.size,
      questions: this.launch.questions.length,
    });
  }
}

const MIME_BY_EXTENSION: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  ogv: 'video/ogg',
  mov: 'video/quicktime',
  m3u8: 'application/x-mpegURL',
  // HLS and DASH play only in the streaming build (xcredit-player-streaming.js).
  mpd: 'application/dash+xml',
};

/** video.js refuses a source whose type it cannot guess; signed URLs often have no extension. */
function mimeType(src: string): string {
  const path = src.split(/[?#]/)[0] ?? '';
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return MIME_BY_EXTENSION[ext] ?? 'video/mp4';
}
