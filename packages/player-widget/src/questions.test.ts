import { describe, expect, it, vi } from 'vitest';
import { INTERACTION_ACTIVITY_TYPE, statement as statementSchema, VideoExt, XcreditExt, type PublicQuestion } from '@xcredit/sdk';
import { IDBFactory } from 'fake-indexeddb';
import { Connection } from './connection.js';
import { Outbox } from './outbox.js';
import { answeredStatement, deliveredFeedback, dueQuestion, fetchFeedback, rearmRetries } from './questions.js';

const ctx = {
  actor: { objectType: 'Agent', account: { homePage: 'https://acme.example', name: 'e-1001' } },
  registration: '0c6c3a3e-2f7d-4a51-8f0e-6f4b2f0d9e21',
  activityId: 'https://acme.example/courses/fire-safety',
  title: 'Fire safety',
  sessionId: '6f0c3a3e-2f7d-4a51-8f0e-6f4b2f0d9e21',
};
const meta = { id: '7a0c3a3e-2f7d-4a51-8f0e-6f4b2f0d9e21', timestamp: '2026-01-01T00:00:00.000Z' };
const choice: PublicQuestion = {
  id: 'q1',
  at: 10,
  type: 'multiple-choice',
  prompt: { en: 'Which put out a grease fire?', 'zh-CN': '哪些能扑灭油火？' },
  choices: [
    { id: 'lid', text: { en: 'A lid', 'zh-CN': '锅盖' } },
    { id: 'water', text: { en: 'Water', 'zh-CN': '水' } },
    { id: 'ext', text: { en: 'A class K extinguisher', 'zh-CN': 'K 类灭火器' } },
  ],
  answerToContinue: true,
  revealAnswer: false,
};

describe('answeredStatement', () => {
  it('is a valid xAPI cmi.interaction answer under the video, with the response and no score', () => {
    const s = answeredStatement(choice, ['lid', 'ext'], ctx, meta);
    expect(statementSchema.safeParse(s).success).toBe(true);
    expect(s.object.id).toBe('https://acme.example/courses/fire-safety/questions/q1');
    expect(s.object.definition).toMatchObject({ type: INTERACTION_ACTIVITY_TYPE, interactionType: 'choice', description: { 'en-US': 'Which put out a grease fire?', 'zh-CN': '哪些能扑灭油火？' } });
    expect(s.object.definition.choices).toEqual([
      { id: 'lid', description: { 'en-US': 'A lid', 'zh-CN': '锅盖' } },
      { id: 'water', description: { 'en-US': 'Water', 'zh-CN': '水' } },
      { id: 'ext', description: { 'en-US': 'A class K extinguisher', 'zh-CN': 'K 类灭火器' } },
    ]);
    expect(s.object.definition).not.toHaveProperty('correctResponsesPattern');
    expect(s.result).toEqual({ response: 'lid[,]ext', extensions: { [XcreditExt.questionTime]: 10 } });
    expect(s.context.registration).toBe(ctx.registration);
    expect(s.context.contextActivities.parent[0]?.id).toBe(ctx.activityId);
    expect(s.context.extensions[VideoExt.sessionId]).toBe(ctx.sessionId);
  });

  it('formats true/false and fill-in responses', () => {
    expect(answeredStatement({ ...choice, type: 'true-false', choices: undefined } as PublicQuestion, false, ctx, meta).result.response).toBe('false');
    const fill = answeredStatement({ ...choice, type: 'fill-in', choices: undefined } as PublicQuestion, ' Lid ', ctx, meta);
    expect(fill.object.definition.interactionType).toBe('fill-in');
    expect(fill.result.response).toBe(' Lid ');
  });
});

describe('dueQuestion', () => {
  it('triggers when playback crosses the question time, not when a seek jumps over it, and once', () => {
    expect(dueQuestion([choice], new Set(), 9.8, 10.05)?.id).toBe('q1');
    expect(dueQuestion([choice], new Set(), 2, 12)).toBeUndefined();
    expect(dueQuestion([choice], new Set(['q1']), 9.8, 10.05)).toBeUndefined();
    expect(dueQuestion([choice], new Set(), 10.1, 10.3)).toBeUndefined();
  });
});

const connect = (fetch: unknown) => new Connection({ endpoint: 'http://localhost:3000/xapi', apiBase: 'http://localhost:3000/api/v1/', token: 'tok', fetch: fetch as typeof globalThis.fetch });

describe('fetchFeedback', () => {
  it('reads the server verdict and the revealed answers', async () => {
    const fetch = vi.fn(async () => Response.json({ answered: true, correct: false, correctResponses: ['lid[,]ext'] }));
    const fb = await fetchFeedback(connect(fetch), 'q 1');
    expect(fb).toEqual({ answered: true, correct: false, correctResponses: ['lid[,]ext'] });
    expect((fetch.mock.calls[0] as unknown as [string])[0]).toBe('http://localhost:3000/api/v1/launches/current/answers/q%201');
  });

  it('reads the attempts left and the part to rewatch after a wrong answer', async () => {
    const fetch = vi.fn(async () => Response.json({ answered: true, correct: false, attemptsLeft: 2, retryAfterRewatch: { from: 0, to: 10 } }));
    const fb = await fetchFeedback(connect(fetch), 'q1');
    expect(fb).toEqual({ answered: true, correct: false, attemptsLeft: 2, retryAfterRewatch: { from: 0, to: 10 } });
  });

  it('is null when the server cannot say', async () => {
    const fetch = vi.fn(async () => new Response('nope', { status: 404 }));
    expect(await fetchFeedback(connect(fetch), 'q1')).toBeNull();
  });
});

describe('deliveredFeedback', () => {
  /** A server that takes statements and answers the verdict, and fails heartbeats (503) or, `offline`, everything. */
  function server(offline = false) {
    const posted: string[] = [];
    const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
      const to = String(url);
      if (offline) throw new TypeError('Failed to fetch');
      if (to.endsWith('/statements')) {
        const ids = (JSON.parse(String(init?.body)) as { id: string }[]).map((s) => s.id);
        posted.push(...ids);
        return Response.json(ids);
      }
      if (to.endsWith('/heartbeat')) return Response.json({ error: { status: 503, code: 'unavailable', message: 'busy' } }, { status: 503 });
      return Response.json({ answered: true, correct: true });
    });
    return { fetch: fetch as unknown as typeof globalThis.fetch, posted };
  }
  const openBox = (fetch: typeof globalThis.fetch) =>
    Outbox.open({ endpoint: 'http://localhost:3000/xapi', token: 'tok', indexedDB: new IDBFactory(), exitStorage: null, debounceMs: 10_000, baseBackoffMs: 10_000, fetch });

  it('gives the verdict once the answer is delivered, though a heartbeat queued with it still waits', async () => {
    const lrs = server();
    const box = await openBox(lrs.fetch);
    const answer = answeredStatement(choice, ['lid'], ctx, meta);
    await box.enqueue(answer);
    // Made while the answer goes out; the server fails it, so it stays queued after the flush.
    await box.enqueue({ sessionId: ctx.sessionId, time: 10, playing: false, sentAt: meta.timestamp }, 'http://localhost:3000/api/v1/launches/current/heartbeat');
    const feedback = await deliveredFeedback(box, connect(lrs.fetch), answer.id, 'q1');
    expect(lrs.posted).toEqual([answer.id]);
    expect(box.pending).toBe(1);
    expect(feedback).toEqual({ answered: true, correct: true });
    box.close();
  });

  it('is null while the answer itself is still queued', async () => {
    const lrs = server(true);
    const box = await openBox(lrs.fetch);
    const answer = answeredStatement(choice, ['lid'], ctx, meta);
    await box.enqueue(answer);
    expect(await deliveredFeedback(box, connect(lrs.fetch), answer.id, 'q1')).toBeNull();
    expect(box.holds(answer.id)).toBe(true);
    box.close();
  });
});

describe('rearmRetries', () => {
  it('asks a wrongly answered question again once playback is back at the start of its part, not before', () => {
    const retries = new Map([['q2', { from: 10, to: 20 }]]);
    const asked = new Set(['q1', 'q2']);
    rearmRetries(retries, asked, 15);
    expect(asked.has('q2')).toBe(true);
    expect(dueQuestion([choice, { ...choice, id: 'q2', at: 20 }], asked, 19.8, 20.05)).toBeUndefined();
    rearmRetries(retries, asked, 10.5);
    expect(asked).toEqual(new Set(['q1']));
    expect(retries.size).toBe(0);
    expect(dueQuestion([choice, { ...choice, id: 'q2', at: 20 }], asked, 19.8, 20.05)?.id).toBe('q2');
  });
});
