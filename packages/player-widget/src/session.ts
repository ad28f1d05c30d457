import type { VideoStatement } from '@xcredit/sdk';
import videojs from 'video.js/core.es.js';
import zhCN from 'video.js/dist/lang/zh-CN.json';
import { allowedRates, clampRate, seekTarget } from './guard.js';
import type { Lang } from './i18n.js';
import type { Launch } from './launch.js';
import { Outbox, type OutboxRejection, type OutboxStatus } from './outbox.js';
import { VideoTracker } from './tracker.js';

type Player = ReturnType<typeof videojs>;

videojs.addLanguage('zh-CN', zhCN);

export interface ProgressDetail {
  /** |union of played segments| / duration, three decimals. */
  progress: number;
  playedSegments: string;
  time: number;
  duration: number;
  /** Progress has reached the course's completion threshold. */
  completed: boolean;
}

export interface ReadyDetail {
  learnerId: string;
  courseId: string;
  duration: number;
}

/** What a session tells the element; the element turns it into events and text. */
export interface SessionHooks {
  statement(statement: VideoStatement): void;
  progress(detail: ProgressDetail): void;
  ready(detail: ReadyDetail): void;
  /** The video itself failed (source missing, unsupported, network). */
  mediaError(message: string): void;
  rejected(rejection: OutboxRejection): void;
  outbox(status: OutboxStatus): void;
  seekLocked(): void;
  rateLimited(maxRate: number): void;
}

export interface SessionOptions {
  launch: Launch;
  /** Element in the shadow root the player is built in. */
  mount: HTMLElement;
  endpoint: string;
  token: string;
  src: string;
  lang: Lang;
  hooks: SessionHooks;
}

const PROGRESS_EVERY_MS = 1000;
const HAVE_FUTURE_DATA = 3;

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

  constructor(private readonly options: SessionOptions) {
    this.launch = options.launch;
    this.hooks = options.hooks;
    this.tracker = new VideoTracker({
      launch: {
        actor: this.launch.actor,
        registration: this.launch.registration,
        activityId: this.launch.activityId,
        title: this.launch.course.title,
        completionThreshold: this.launch.policy.gates.coverage,
        userAgent: navigator.userAgent,
      },
      focused: () => document.visibilityState === 'visible' && document.hasFocus(),
    });
  }

  get progress(): number {
    return this.tracker.progress;
  }

  get pending(): number {
    return this.outbox?.pending ?? 0;
  }

  /** Opens the outbox (sending what earlier pages left), then builds the player. */
  async start(): Promise<void> {
    const { endpoint, token, hooks } = this.options;
    this.outbox = await Outbox.open({
      endpoint,
      token,
      onRejected: (r) => hooks.rejected(r),
      onStatus: (s) => hooks.outbox(s),
    });
    if (this.disposed) return;
    this.buildPlayer();
    this.listenToPage();
  }

  /** Plays once the player can; resolves when playback has begun. */
  play(): Promise<void> {
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

  /** Ends the session: `terminated`, a last send, and the player gone. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.record(this.tracker.terminate(this.mediaTime()));
    this.listeners.abort();
    this.settlePlayWaiters();
    this.player?.dispose();
    this.player = null;
    const outbox = this.outbox;
    if (outbox) {
      await outbox.flush();
      outbox.close();
    }
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
      userActions: { hotkeys: true },
    });
    this.player = player;
    player.on('error', () => this.hooks.mediaError(player.error()?.message ?? 'media error'));
    player.on('timeupdate', () => this.settleScrubSeek());
    player.ready(() => {
      this.playerReady = true;
      this.maybeReady();
    });
  }

  private listenToMedia(video: HTMLVideoElement): void {
    const on = (type: string, fn: () => void) => video.addEventListener(type, fn, { signal: this.listeners.signal });
    on('loadedmetadata', () => this.begin());
    on('canplay', () => this.tryPlay());
    on('play', () => {
      this.settleScrubSeek();
      this.record(this.tracker.play(this.mediaTime()));
    });
    on('pause', () => {
      // At the end the browser pauses before `ended`; `ended` reports that moment.
      if (!video.ended) this.record(this.tracker.pause(this.mediaTime()));
      this.emitProgress(true);
    });
    on('seeking', () => this.onSeeking());
    on('seeked', () => {
      this.settleScrubSeek();
      this.emitProgress(true);
    });
    on('timeupdate', () => {
      // During a seek currentTime is already the destination; the seek reports it.
      if (video.seeking || this.player?.scrubbing()) return;
      this.record(this.tracker.timeUpdate(video.currentTime));
      this.emitProgress(false);
    });
    on('ended', () => {
      this.record(this.tracker.end(video.currentTime));
      this.emitProgress(true);
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
        this.record(this.tracker.terminate(this.mediaTime()));
        this.outbox?.flushOnExit();
      },
      { signal },
    );
    // Back from the back/forward cache: the old session was terminated, so begin a new one.
    window.addEventListener('pageshow', (e) => e.persisted && this.begin(), { signal });
    window.addEventListener('online', () => void this.outbox?.flush(), { signal });
  }

  /** Starts the tracker session once the video length is known. */
  private begin(): void {
    const video = this.video;
    if (!video || this.tracker.active || this.disposed) return;
    const length = Number.isFinite(video.duration) && video.duration > 0 ? video.duration : this.launch.course.lengthSeconds;
    const textTrack = [...video.textTracks].find((t) => t.mode === 'showing');
    this.record(
      this.tracker.start({
        length,
        time: video.currentTime,
        speed: video.playbackRate,
        volume: video.muted ? 0 : video.volume,
        ccEnabled: textTrack !== undefined,
        ccLang: textTrack?.language || undefined,
        fullScreen: this.player?.isFullscreen() ?? false,
        screenSize: `${screen.width}x${screen.height}`,
        videoPlaybackSize: `${video.clientWidth}x${video.clientHeight}`,
      }),
    );
    this.tracker.setRate(video.playbackRate);
    if (!video.paused) this.record(this.tracker.play(video.currentTime));
    if (this.pendingSeek !== null) {
      video.currentTime = this.pendingSeek;
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

  private tryPlay(): void {
    const player = this.player;
    const video = this.video;
    if (!this.wantPlay || !player || !video || !this.playerReady || video.readyState < HAVE_FUTURE_DATA) return;
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
    this.tracker.setRate(video.playbackRate);
  }

  /** Media time to report: during a seek, where media was before it, not the destination. */
  private mediaTime(): number {
    const video = this.video;
    if (!video) return this.tracker.time;
    return video.seeking || this.player?.scrubbing() ? this.tracker.time : video.currentTime;
  }

  private record(statements: VideoStatement[]): void {
    for (const statement of statements) {
      this.hooks.statement(statement);
      void this.outbox?.enqueue(statement);
    }
  }

  private emitProgress(force: boolean): void {
    const now = Date.now();
    if (!this.tracker.active || (!force && now - this.lastProgressAt < PROGRESS_EVERY_MS)) return;
    this.lastProgressAt = now;
    this.hooks.progress({
      progress: this.tracker.progress,
      playedSegments: this.tracker.playedSegments,
      time: this.tracker.time,
      duration: this.tracker.length,
      completed: this.tracker.thresholdReached,
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
};

/** video.js refuses a source whose type it cannot guess; signed URLs often have no extension. */
function mimeType(src: string): string {
  const path = src.split(/[?#]/)[0] ?? '';
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return MIME_BY_EXTENSION[ext] ?? 'video/mp4';
}
