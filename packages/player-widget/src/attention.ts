/** Why the player asks the learner to confirm they are there. */
export type PromptKind = 'idle' | 'check';

export interface AttentionOptions {
  /** Seconds without input while playing before the idle prompt; 0 turns it off. */
  idleSeconds: number;
  /** Seconds to answer a prompt before the video pauses. */
  promptTimeoutSeconds: number;
  /** Attention checks at random media times. */
  attentionChecks: number;
  /** Video length in seconds, to place the checks. */
  length: number;
  now?: () => number;
  random?: () => number;
  /** A prompt appeared. */
  onPrompt(kind: PromptKind): void;
  /** The prompt went unanswered for promptTimeoutSeconds: pause the video. */
  onTimeout(kind: PromptKind): void;
}

/**
 * Decides when to ask "are you still there?": after `idleSeconds` without input while playing,
 * and at `attentionChecks` random media times. While a prompt is open the learner is not
 * attending, so that media time is never counted as focused.
 *
 * @example
 * const monitor = new AttentionMonitor({ idleSeconds: 300, promptTimeoutSeconds: 60, attentionChecks: 2, length: 600, onPrompt, onTimeout });
 * monitor.input(); // on keydown, pointer and touch input
 * monitor.tick(video.currentTime, !video.paused); // on timeupdate and every second
 */
export class AttentionMonitor {
  private readonly now: () => number;
  private lastInput: number;
  private checks: number[];
  private open: { kind: PromptKind; since: number; timedOut: boolean } | null = null;
  private lastMedia = 0;

  constructor(private readonly options: AttentionOptions) {
    this.now = options.now ?? Date.now;
    this.lastInput = this.now();
    this.checks = checkTimes(options.attentionChecks, options.length, options.random ?? Math.random);
  }

  /** Media times of the attention checks not shown yet. */
  get pendingChecks(): readonly number[] {
    return this.checks;
  }

  /** The prompt on screen, if any. */
  get prompt(): { kind: PromptKind; timedOut: boolean } | null {
    return this.open ? { kind: this.open.kind, timedOut: this.open.timedOut } : null;
  }

  /** False while a prompt waits for an answer. */
  get attending(): boolean {
    return this.open === null;
  }

  /** The learner did something (key, pointer, touch): they are not idle. */
  input(): void {
    this.lastInput = this.now();
  }

  /** Call on timeupdate and on a timer; opens prompts and times them out. */
  tick(mediaTime: number, playing: boolean): void {
    const now = this.now();
    const previous = this.lastMedia;
    this.lastMedia = mediaTime;
    if (this.open) {
      if (!this.open.timedOut && now - this.open.since >= this.options.promptTimeoutSeconds * 1000) {
        this.open.timedOut = true;
        this.options.onTimeout(this.open.kind);
      }
      return;
    }
    if (!playing) {
      // Time spent paused is not idle time while playing.
      this.lastInput = Math.max(this.lastInput, now - 1000);
      return;
    }
    // A check is due when playback crosses its time (not when a seek jumps over it).
    const due = this.checks.findIndex((t) => previous < t && t <= mediaTime && mediaTime - previous < 2);
    if (due >= 0) {
      this.checks.splice(due, 1);
      return this.show('check', now);
    }
    const idleSeconds = this.options.idleSeconds;
    if (idleSeconds > 0 && now - this.lastInput >= idleSeconds * 1000) this.show('idle', now);
  }

  /** The learner answered the prompt; returns whether the video had been paused for it. */
  answer(): boolean {
    const timedOut = this.open?.timedOut ?? false;
    this.open = null;
    this.lastInput = this.now();
    return timedOut;
  }

  private show(kind: PromptKind, now: number): void {
    this.open = { kind, since: now, timedOut: false };
    this.options.onPrompt(kind);
  }
}

/**
 * `count` random media times between 10% and 90% of the video, at least a few seconds apart
 * where the length allows, in order.
 *
 * @example
 * checkTimes(2, 600, Math.random); // e.g. [131.2, 402.9]
 */
export function checkTimes(count: number, length: number, random: () => number): number[] {
  if (!(count > 0) || !(length > 0)) return [];
  const from = length * 0.1;
  const span = length * 0.8;
  // One time in each of `count` equal slices: random, yet never bunched together.
  const slice = span / count;
  return Array.from({ length: Math.floor(count) }, (_, i) => Math.round((from + slice * i + slice * (0.1 + 0.8 * random())) * 1000) / 1000);
}
