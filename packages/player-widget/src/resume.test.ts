import { describe, expect, it, vi } from 'vitest';
import { RESUME_STATE_ID } from '@xcredit/sdk';
import { Connection } from './connection.js';
import { loadResume, parseResume, saveResume } from './resume.js';

const target = { activityId: 'https://acme.example/courses/a', agent: { account: { homePage: 'https://acme.example', name: 'e-1' } } };
const connect = (fetch: unknown) => new Connection({ endpoint: 'http://localhost:3000/xapi', apiBase: 'http://localhost:3000/api/v1/', token: 'tok', fetch: fetch as typeof globalThis.fetch });

describe('resume state', () => {
  it('is kept per learner and course in the State API, without a registration', async () => {
    const fetch = vi.fn(async () => new Response(null, { status: 204 }));
    await saveResume(connect(fetch), target, { time: 42.12345, segments: [[0, 30], [20, 42.12345]] });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    const u = new URL(url);
    expect(u.pathname).toBe('/xapi/activities/state');
    expect(u.searchParams.get('stateId')).toBe(RESUME_STATE_ID);
    expect(u.searchParams.get('activityId')).toBe(target.activityId);
    expect(JSON.parse(u.searchParams.get('agent')!)).toEqual(target.agent);
    expect(u.searchParams.has('registration')).toBe(false);
    expect(init.method).toBe('PUT');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(JSON.parse(String(init.body))).toEqual({ time: 42.123, segments: [[0, 42.123]] });
  });

  it('loads what was saved, and nothing from a missing or broken document', async () => {
    const ok = vi.fn(async () => Response.json({ time: 12, segments: [[0, 12], [5, 'x']] }));
    expect(await loadResume(connect(ok), target)).toEqual({ time: 12, segments: [[0, 12]] });
    const missing = vi.fn(async () => new Response(null, { status: 404 }));
    expect(await loadResume(connect(missing), target)).toBeNull();
    expect(parseResume({ time: -1 })).toBeNull();
    expect(parseResume('x')).toBeNull();
  });
});
