import { DEFAULT_POLICY } from '@xcredit/sdk';
import { describe, expect, it, vi } from 'vitest';
import { apiBaseFor, LaunchError, loadLaunch, normalizeEndpoint, parseLaunch } from './launch.js';

const launchBody = {
  learnerId: 'e-1001',
  courseId: 'fire-safety',
  actor: { objectType: 'Agent', account: { homePage: 'https://acme.example', name: 'e-1001' } },
  registration: '0c6c3a3e-2f7d-4a51-8f0e-6f4b2f0d9e21',
  activityId: 'https://acme.example/courses/fire-safety',
  course: { title: 'Fire safety', lengthSeconds: 15, videoUrl: '/demo/demo.mp4' },
  policy: { ...DEFAULT_POLICY, maxRate: 1.5, seekLock: false },
  expiresAt: '2030-01-01T00:00:00Z',
};

describe('apiBaseFor', () => {
  it('puts the credits API beside the xAPI endpoint, with or without a trailing slash', () => {
    expect(apiBaseFor('http://localhost:3000/xapi')).toBe('http://localhost:3000/api/v1/');
    expect(apiBaseFor('http://localhost:3000/xapi/')).toBe('http://localhost:3000/api/v1/');
    expect(apiBaseFor('https://lrs.acme.example/tenant-a/xapi')).toBe('https://lrs.acme.example/tenant-a/api/v1/');
  });

  it('takes the api-base attribute as given, ending it with a slash', () => {
    expect(apiBaseFor('http://localhost:3000/xapi', 'https://api.acme.example/v1')).toBe('https://api.acme.example/v1/');
  });

  it('normalizes the endpoint for `${endpoint}/statements`', () => {
    expect(normalizeEndpoint(' http://localhost:3000/xapi// ')).toBe('http://localhost:3000/xapi');
  });

  it('resolves a relative endpoint against the page, as the demo page writes it', () => {
    expect(normalizeEndpoint('/xapi', 'http://localhost:3000/demo')).toBe('http://localhost:3000/xapi');
    expect(apiBaseFor(normalizeEndpoint('/xapi', 'http://localhost:3000/demo'))).toBe('http://localhost:3000/api/v1/');
  });
});

describe('loadLaunch', () => {
  it('sends the token as a bearer and returns the launch', async () => {
    const fetch = vi.fn(async () => Response.json(launchBody));
    const launch = await loadLaunch('http://localhost:3000/api/v1/', 'tok', { fetch: fetch as unknown as typeof globalThis.fetch });
    expect(fetch).toHaveBeenCalledWith('http://localhost:3000/api/v1/launches/current', expect.objectContaining({ headers: expect.objectContaining({ Authorization: 'Bearer tok' }) }));
    expect(launch.course.videoUrl).toBe('/demo/demo.mp4');
    expect(launch.policy.maxRate).toBe(1.5);
    expect(launch.policy.seekLock).toBe(false);
  });

  it.each([
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'not-found'],
    [502, 'network'],
  ])('turns HTTP %i into a %s error carrying the server message', async (status, code) => {
    const fetch = async () => Response.json({ message: 'launch token expired' }, { status });
    const error = await loadLaunch('http://x.test/api/v1/', 'tok', { fetch }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LaunchError);
    expect(error).toMatchObject({ code, status, message: 'launch token expired' });
  });

  it('turns an unreachable server into a network error', async () => {
    const fetch = async () => {
      throw new TypeError('Failed to fetch');
    };
    await expect(loadLaunch('http://x.test/api/v1/', 'tok', { fetch })).rejects.toMatchObject({ code: 'network' });
  });
});

describe('parseLaunch', () => {
  it('names the field that is wrong', () => {
    expect(() => parseLaunch({ ...launchBody, course: { ...launchBody.course, title: 3 } })).toThrow('course.title must be a non-empty string');
    expect(() => parseLaunch({ ...launchBody, policy: { maxRate: 'fast' } })).toThrow('policy.maxRate must be a number');
  });

  it('takes course media only from http(s) URLs or paths, never a script URL', () => {
    const withMedia = (videoUrl: string, captionsUrl?: string) => parseLaunch({ ...launchBody, course: { ...launchBody.course, videoUrl, ...(captionsUrl ? { captionsUrl } : {}) } });
    expect(withMedia('https://cdn.example/v.mp4', '/captions/a.vtt').course).toMatchObject({ videoUrl: 'https://cdn.example/v.mp4', captionsUrl: '/captions/a.vtt' });
    expect(() => withMedia('javascript:alert(1)')).toThrow('course.videoUrl must be an http(s) URL or a path starting with /');
    expect(() => withMedia('/v.mp4', 'data:text/vtt,WEBVTT')).toThrow('course.captionsUrl must be an http(s) URL or a path starting with /');
  });

  it('fills policy fields the server left out with the defaults, seek lock included', () => {
    const launch = parseLaunch({ ...launchBody, policy: { maxRate: 1.25 } });
    const d = DEFAULT_POLICY;
    expect(launch.policy).toEqual({ gates: { coverage: d.gates.coverage }, maxRate: 1.25, seekLock: d.seekLock, pauseWhenHidden: d.pauseWhenHidden, idleSeconds: d.idleSeconds, promptTimeoutSeconds: d.promptTimeoutSeconds });
  });
});

describe('launch errors and questions', () => {
  it("shows the server's own message from its { error: { status, code, message } } shape", async () => {
    const fetch = vi.fn(async () => Response.json({ error: { status: 401, code: 'unauthorized', message: 'launch token expired at 2026-01-01' } }, { status: 401 }));
    const error = await loadLaunch('http://localhost:3000/api/v1/', 'tok', { fetch: fetch as unknown as typeof globalThis.fetch }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LaunchError);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401, message: 'launch token expired at 2026-01-01' });
  });

  it('reads the questions in time order and no launch without them fails', () => {
    const q = (id: string, at: number) => ({ id, at, type: 'true-false', prompt: { en: id }, answerToContinue: true, revealAnswer: false });
    expect(parseLaunch({ ...launchBody, questions: [q('b', 20), q('a', 5)] }).questions.map((x) => x.id)).toEqual(['a', 'b']);
    expect(parseLaunch(launchBody).questions).toEqual([]);
    expect(() => parseLaunch({ ...launchBody, questions: [{ ...q('a', 5), type: 'essay' }] })).toThrow(/questions\[0\]\.type/);
  });
});
