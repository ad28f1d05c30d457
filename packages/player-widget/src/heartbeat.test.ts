import { describe, expect, it, vi } from 'vitest';
import { Heartbeat } from './heartbeat.js';

const apiBase = 'http://localhost:3000/api/v1/';

describe('Heartbeat', () => {
  it('posts the session, time and playing state with the launch token', async () => {
    const fetch = vi.fn(async () => Response.json({ active: true }));
    const hb = new Heartbeat({ apiBase, token: 'tok', state: () => ({ sessionId: 's-1', time: 12.5, playing: true }), onTakenOver: () => {}, fetch: fetch as unknown as typeof globalThis.fetch });
    expect(await hb.beat()).toBe('active');
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://localhost:3000/api/v1/launches/current/heartbeat');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(JSON.parse(String(init.body))).toEqual({ sessionId: 's-1', time: 12.5, playing: true });
  });

  it('stops and reports a takeover on 409 session_taken_over', async () => {
    const onTakenOver = vi.fn();
    const fetch = vi.fn(async () => Response.json({ error: { status: 409, code: 'session_taken_over', message: 'a newer launch took over' } }, { status: 409 }));
    const hb = new Heartbeat({ apiBase, token: 'tok', state: () => ({ sessionId: 's-1', time: 0, playing: false }), onTakenOver, fetch: fetch as unknown as typeof globalThis.fetch });
    expect(await hb.beat()).toBe('taken-over');
    expect(onTakenOver).toHaveBeenCalledWith('a newer launch took over');
    expect(await hb.beat()).toBe('failed');
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('waits for a session before it reports one', async () => {
    const fetch = vi.fn(async () => Response.json({ active: true }));
    const hb = new Heartbeat({ apiBase, token: 'tok', state: () => ({ sessionId: null, time: 0, playing: false }), onTakenOver: () => {}, fetch: fetch as unknown as typeof globalThis.fetch });
    expect(await hb.beat()).toBe('skipped');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('keeps going through network failures and other errors', async () => {
    const onTakenOver = vi.fn();
    const fetch = vi
      .fn()
      .mockRejectedValueOnce(new TypeError('Failed to fetch'))
      .mockResolvedValueOnce(Response.json({ error: { status: 409, code: 'conflict', message: 'x' } }, { status: 409 }))
      .mockResolvedValueOnce(Response.json({ active: true }));
    const hb = new Heartbeat({ apiBase, token: 'tok', state: () => ({ sessionId: 's-1', time: 0, playing: false }), onTakenOver, fetch: fetch as unknown as typeof globalThis.fetch });
    expect(await hb.beat()).toBe('failed');
    expect(await hb.beat()).toBe('failed');
    expect(await hb.beat()).toBe('active');
    expect(onTakenOver).not.toHaveBeenCalled();
  });
});
