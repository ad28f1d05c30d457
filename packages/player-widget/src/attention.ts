import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Why the player asks the learner to confirm they are there. */
export type PromptKind = 'idle' | 'check';

export interface AttentionOptions {
  /** Seconds without input while playing before the idle prompt; 0 turns it off. */
  idleSeconds: number;
  /** Seconds to answer a prompt before the video pauses. */
  promptTimeoutSeconds: number;
  now?: () => number;
  /** A prompt appeared. */
  onPrompt(kind: PromptKind): void;
  /** The prompt went unanswered for promptTimeoutSeconds: pause the video. */
  onTimeout(kind: PromptKind): void;
}

/**
 * Decides when to ask "are you still there?": after `idleSeconds` without input while playing,
 * and when the server issues an attention check (`check()`; the server alone decides when). While
 * a prompt is open the learner is not attending, so that media time is never counted as focused.
 *
 * @example
 * const monitor = new AttentionMonitor({ idleSeconds: 300, promptTimeoutSeconds: 60, onPrompt, onTimeout });
 * monitor.input(); // on keydown, pointer and touch input
 * monitor.tick(!video.paused); // on timeupdate and every second
 */
export class AttentionMonitor {
  private readonly now: () => number;
  private lastInput: number;
  private open: { kind: PromptKind; since: number; timedOut: boolean } | null = null;

  constructor(private readonly options: AttentionOptions) {
    this.now = options.now ?? Date.now;
    this.lastInput = this.now();
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

  /** The server issued an attention check: ask now (an idle prompt already open becomes the check). */
  check(): void {
    if (this.open) this.open.kind = 'check';
    else this.show('check', this.now());
  }

  /** Call on timeupdate and on a timer; opens the idle prompt and times prompts out. */
  tick(playing: boolean): void {
    const now = this.now();
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

const INPUT_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'] as const;

/**
 * The element's attention watch: the learner's input anywhere in the page (listened to while the
 * element is in the page), one launch's {@link AttentionMonitor}, and the timer that times its
 * prompts out while media is stalled or paused (timeupdate alone would not see it).
 *
 * @example
 * readonly attention = new AttentionController(this); // in the element
 * attention.watch({ idleSeconds: 300, promptTimeoutSeconds: 60, onPrompt, onTimeout }, () => !video.paused);
 */
export class AttentionController implements ReactiveController {
  private current: AttentionMonitor | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  private listening: AbortController | null = null;

  constructor(host: ReactiveControllerHost) {
    host.addController(this);
  }

  /** The launch's monitor; null before `watch` and after `unwatch`. */
  get monitor(): AttentionMonitor | null {
    return this.current;
  }

  /** Watches a launch from now on; `playing` is asked every second. */
  watch(options: AttentionOptions, playing: () => boolean): AttentionMonitor {
    this.unwatch();
    const monitor = new AttentionMonitor(options);
    this.current = monitor;
    this.timer = setInterval(() => monitor.tick(playing()), 1000);
    return monitor;
  }

  /** The launch ended: no more prompts. */
  unwatch(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.current = null;
  }

  hostConnected(): void {
    this.listening = new AbortController();
    const options = { signal: this.listening.signal, capture: true, passive: true };
    for (const type of INPUT_EVENTS) window.addEventListener(type, (e) => e.isTrusted && this.current?.input(), options);
  }

  hostDisconnected(): void {
    this.listening?.abort();
    this.listening = null;
    this.unwatch();
  }
}
