import { authorization } from './auth.js';

export interface HeartbeatOptions {
  /** Credits API base, ending with `/`. */
  apiBase: string;
  token: string;
  /** What the player is doing now. */
  state(): { sessionId: string | null; time: number; playing: boolean };
  /** A newer launch took this learner's session over; heartbeats have stopped. */
  onTakenOver(message: string): void;
  everyMs?: number;
  fetch?: typeof fetch;
}

export const HEARTBEAT_MS = 15_000;

/**
 * Tells the server every 15 s that this player is still the learner's active session. When a
 * newer launch has taken over, the server answers 409 `session_taken_over` and the heartbeat
 * stops for good.
 *
 * @example
 * const heartbeat = new Heartbeat({ apiBase, token, state: () => ({ sessionId, time, playing }), onTakenOver: pause });
 * heartbeat.start();
 */
export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private lastBeat = 0;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: HeartbeatOptions) {
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Beats now and then every `everyMs`. */
  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.options.everyMs ?? HEARTBEAT_MS);
  }

  /**
   * Beats now unless one just went: playback starting is the moment a session that was taken
   * over must find out, not up to 15 s later.
   */
  check(): void {
    if (this.timer !== undefined && Date.now() - this.lastBeat > 2000) void this.beat();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One heartbeat; resolves to what the server said. */
  async beat(): Promise<'active' | 'taken-over' | 'unsupported' | 'failed' | 'skipped'> {
    if (this.stopped) return 'failed';
    const { apiBase, token } = this.options;
    const state = this.options.state();
    // No session yet (the video is still loading) or any more (terminated): nothing to report.
    if (!state.sessionId) return 'skipped';
    this.lastBeat = Date.now();
    let res: Response;
    try {
      res = await this.fetch(new URL('launches/current/heartbeat', apiBase).href, {
        method: 'POST',
        headers: { Authorization: authorization(token), 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(state),
      });
    } catch {
      // Offline: the next beat tries again; the outbox keeps the statements meanwhile.
      return 'failed';
    }
    if (res.ok) return 'active';
    const error = await errorOf(res);
    if (res.status === 409 && error.code === 'session_taken_over') {
      this.stop();
      this.options.onTakenOver(error.message);
      return 'taken-over';
    }
    // A server without heartbeats: nothing to keep alive.
    if (res.status === 404 || res.status === 405) {
      this.stop();
      return 'unsupported';
    }
    return 'failed';
  }
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    return { code: String(body.error?.code ?? ''), message: String(body.error?.message ?? `HTTP ${res.status}`) };
  } catch {
    return { code: '', message: `HTTP ${res.status}` };
  }
}
