import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connection } from './connection.js';
import { fetchVerified, Heartbeat, openSession, parseReply, parseVerified, type HeartbeatBody } from './heartbeat.js';

const apiBase = 'http://localhost:3000/api/v1/';
/** The launch's connection, with `f` as its fetch. */
const connect = (f: unknown) => new Connection({ endpoint: 'http://localhost:3000/xapi', apiBase, token: 'tok', fetch: f as typeof globalThis.fetch });

describe('Heartbeat', () => {
  function setup(state: { sessionId: string | null; time: number; playing: boolean }) {
    const sent: HeartbeatBody[] = [];
    const hb = new Heartbeat({ everyMs: 15_000, state: () => state, send: (b) => sent.push(b) });
    return { hb, sent };
  }
  beforeEach(() => void vi.useFakeTimers({ now: Date.parse('2025-03-01T09:00:00Z') }));
  afterEach(() => void vi.useRealTimers());

  it('makes a heartbeat with the session, media time, playing state and the moment it was made', () => {
    const { hb, sent } = setup({ sessionId: 's-1', time: 12.345, playing: true });
    expect(hb.beat()).toBe(true);
    vi.advanceTimersByTime(15_000);
    hb.beat();
    expect(sent).toEqual([
      { sessionId: 's-1', time: 12.345, playing: true, sentAt: '2025-03-01T09:00:00.000Z' },
      { sessionId: 's-1', time: 12.345, playing: true, sentAt: '2025-03-01T09:00:15.000Z' },
    ]);
  });

  it('waits for a session before it reports one', () => {
    const { hb, sent } = setup({ sessionId: null, time: 0, playing: false });
    expect(hb.beat()).toBe(false);
    expect(sent).toEqual([]);
  });

  it('beats at start and every interval, playing or not, and never after stop()', () => {
    const { hb, sent } = setup({ sessionId: 's-1', time: 0, playing: false });
    hb.start();
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(30_000);
    expect(sent).toHaveLength(3);
    hb.stop();
    vi.advanceTimersByTime(60_000);
    expect(hb.beat()).toBe(false);
    expect(sent).toHaveLength(3);
  });
});

describe('openSession', () => {
  it('asks the server for a session with the launch token and takes the id and interval it gives', async () => {
    const fetch = vi.fn(async () => Response.json({ sessionId: '7d1e5c1a-0000-4000-8000-000000000001', heartbeatSeconds: 15 }, { status: 201 }));
    expect(await openSession(connect(fetch))).toEqual({ sessionId: '7d1e5c1a-0000-4000-8000-000000000001', heartbeatSeconds: 15 });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://localhost:3000/api/v1/launches/current/sessions');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
  });

  it('is null (try again) when the server cannot be reached, fails, or answers without an id', async () => {
    expect(await openSession(connect(vi.fn().mockRejectedValue(new TypeError('Failed to fetch'))))).toBeNull();
    expect(await openSession(connect(vi.fn(async () => new Response('down', { status: 503 }))))).toBeNull();
    expect(await openSession(connect(vi.fn(async () => Response.json({}, { status: 201 }))))).toBeNull();
  });

  it('returns a refusal with its code: a takeover, an expired token', async () => {
    const taken = vi.fn(async () => Response.json({ error: { status: 409, code: 'session_taken_over', message: 'a newer launch took over' } }, { status: 409 }));
    expect(await openSession(connect(taken))).toEqual({ status: 409, code: 'session_taken_over', message: 'a newer launch took over' });
    const expired = vi.fn(async () => Response.json({ error: { status: 401, code: 'unauthorized', message: 'the launch token expired' } }, { status: 401 }));
    expect(await openSession(connect(expired))).toMatchObject({ status: 401, message: 'the launch token expired' });
  });
});

describe('what the server verified', () => {
  it('reads coverage, credits earned and credits from the credits answer at start', async () => {
    const fetch = vi.fn(async () => Response.json({ courseId: 'c', coverage: 0.04, earned: 0, credits: 2, attention: 1 }));
    expect(await fetchVerified(connect(fetch))).toEqual({ coverage: 0.04, earned: 0, credits: 2 });
    expect((fetch.mock.calls[0] as unknown as [string])[0]).toBe('http://localhost:3000/api/v1/launches/current/credits');
    expect(await fetchVerified(connect(vi.fn(async () => new Response('', { status: 404 }))))).toBeNull();
    expect(await fetchVerified(connect(vi.fn().mockRejectedValue(new TypeError('offline'))))).toBeNull();
  });

  it('reads the heartbeat answer: verified numbers and an attention check', () => {
    const reply = {
      active: true,
      expiresAt: '2025-03-01T10:00:00Z',
      verified: { coverage: 1, watchedSeconds: 20, earned: 1, credits: 1 },
      attentionCheck: { nonce: 'n-1', expiresAt: '2025-03-01T09:01:00Z', windowSeconds: 60 },
    };
    expect(parseReply(reply)).toEqual({ verified: { coverage: 1, earned: 1, credits: 1 }, nonce: 'n-1' });
    expect(parseReply({ active: true })).toEqual({ verified: null, nonce: null });
    expect(parseReply(null)).toEqual({ verified: null, nonce: null });
  });

  it('takes nothing that is not a number, and never more than all of the video', () => {
    expect(parseVerified({ coverage: '1', earned: 1, credits: 1 })).toBeNull();
    expect(parseVerified({ coverage: Number.NaN, earned: 1, credits: 1 })).toBeNull();
    expect(parseVerified({ coverage: 1.2, earned: 1, credits: 1 })).toEqual({ coverage: 1, earned: 1, credits: 1 });
  });
});
