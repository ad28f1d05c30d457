import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Connection } from './connection.js';
import { readError } from './outbox.js';

/** A heartbeat as the player sends it: what it is doing, and when (the client's clock) it said so. */
export interface HeartbeatBody {
  sessionId: string;
  /** Media seconds. */
  time: number;
  playing: boolean;
  /** ISO time the heartbeat was made; one queued offline keeps it. */
  sentAt: string;
}

/** What the server has verified of the learner's course so far: the only progress the player shows. */
export interface Verified {
  /** 0..1 of the video. */
  coverage: number;
  /** Credits earned, of `credits`. */
  earned: number;
  credits: number;
}

/** A player session the server issued for this launch. */
export interface ServerSession {
  sessionId: string;
  heartbeatSeconds: number;
}

export interface HeartbeatOptions {
  everyMs: number;
  /** Epoch milliseconds; injected so tests control the clock. */
  now?: () => number;
  /** What the player is doing now; no session id, no heartbeat. */
  state(): { sessionId: string | null; time: number; playing: boolean };
  /** Delivers a heartbeat (through the durable outbox, so one made offline still arrives). */
  send(body: HeartbeatBody): void;
}

/**
 * Makes a heartbeat every `everyMs` while the player has a session, playing or not: the
 * server's evidence that playing happened while it was claimed, and the moment it answers with
 * what it verified, an attention check, or that a newer launch took over.
 *
 * @example
 * const heartbeat = new Heartbeat({ everyMs: 15_000, state: () => ({ sessionId, time, playing }), send: (b) => void outbox.enqueue(b, url) });
 * heartbeat.start();
 */
export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(private readonly options: HeartbeatOptions) {}

  /** Beats now and then every `everyMs`. */
  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.beat();
    this.timer = setInterval(() => this.beat(), this.options.everyMs);
  }

  /** For good (taken over, disposed). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One heartbeat now (also when playback starts, for a taken-over session to find out, and on a
   * pause, to show what the server verified); false when there is no session to report.
   */
  beat(): boolean {
    const { sessionId, time, playing } = this.options.state();
    if (this.stopped || !sessionId) return false;
    this.options.send({ sessionId, time, playing, sentAt: new Date((this.options.now ?? Date.now)()).toISOString() });
    return true;
  }
}

/**
 * The element's heartbeat: one launch's {@link Heartbeat} at a time, stopped for good when the
 * element leaves the page, so no timer outlives the player.
 *
 * @example
 * readonly heartbeat = new HeartbeatController(this); // in the element
 * heartbeat.attach({ everyMs: 15_000, state, send }); // by the launch's session
 */
export class HeartbeatController implements ReactiveController {
  private heartbeat: Heartbeat | null = null;

  constructor(host: ReactiveControllerHost) {
    host.addController(this);
  }

  /** Beats for a launch from now on (after `start()`); the launch before stops. */
  attach(options: HeartbeatOptions): void {
    this.heartbeat?.stop();
    this.heartbeat = new Heartbeat(options);
  }

  /** Beats now and then every `everyMs`. */
  start(): void {
    this.heartbeat?.start();
  }

  /** One heartbeat now, if there is a session to report. */
  beat(): void {
    this.heartbeat?.beat();
  }

  /** For good: taken over, or the launch ended. */
  stop(): void {
    this.heartbeat?.stop();
    this.heartbeat = null;
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.stop();
  }
}

/**
 * Asks the server for a player session (`POST launches/current/sessions`). Null when the server
 * could not be reached or failed (try again later); a refusal (`409 session_taken_over`, 401, …)
 * comes back as `{ status, code, message }`.
 *
 * @example
 * const session = await openSession(connection);
 */
export async function openSession(connection: Connection): Promise<ServerSession | { status: number; code: string; message: string } | null> {
  let res: Response;
  try {
    res = await connection.api('launches/current/sessions', { method: 'POST' });
  } catch {
    return null;
  }
  if (res.status >= 500 || res.status === 408 || res.status === 429) return null;
  if (!res.ok) return { status: res.status, ...(await readError(res)) };
  const body = (await res.json().catch(() => null)) as Partial<ServerSession> | null;
  return body?.sessionId ? { sessionId: String(body.sessionId), heartbeatSeconds: Number(body.heartbeatSeconds) || 15 } : null;
}

/**
 * The learner's verified standing in the course (`GET launches/current/credits`); null when the
 * server cannot say.
 *
 * @example
 * const verified = await fetchVerified(connection);
 */
export async function fetchVerified(connection: Connection): Promise<Verified | null> {
  try {
    const res = await connection.api('launches/current/credits');
    return res.ok ? parseVerified(await res.json()) : null;
  } catch {
    return null;
  }
}

/** `{ coverage, earned, credits }` when a value has them all as numbers, else null. */
export function parseVerified(value: unknown): Verified | null {
  const v = value as Partial<Verified> | null;
  // Number.isFinite is false for anything but a finite number.
  if (!v || ![v.coverage, v.earned, v.credits].every(Number.isFinite)) return null;
  return { coverage: Math.min(1, v.coverage!), earned: v.earned!, credits: v.credits! };
}

/**
 * What a heartbeat answer tells the player: what the server verified, and the nonce of an
 * attention check to show (answered with it; the window is the policy's `promptTimeoutSeconds`).
 */
export function parseReply(reply: unknown): { verified: Verified | null; nonce: string | null } {
  const r = reply as { verified?: unknown; attentionCheck?: { nonce?: unknown } } | null;
  const nonce = r?.attentionCheck?.nonce;
  return { verified: parseVerified(r?.verified), nonce: typeof nonce === 'string' && nonce ? nonce : null };
}
