import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KEEPALIVE_BUDGET_BYTES, Outbox, type OutboxOptions } from './outbox.js';

const ENDPOINT = 'http://lrs.test/xapi';

interface Call {
  url: string;
  ids: string[];
  token: string;
  keepalive: boolean;
  headers: Record<string, string>;
}

/** A fake LRS: answers each POST with the next scripted reply (the last one repeats). */
function fakeLrs(...replies: (number | 'network' | ((ids: string[]) => number))[]) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    const ids = (JSON.parse(String(init?.body)) as { id: string }[]).map((s) => s.id);
    const headers = init?.headers as Record<string, string>;
    calls.push({ url: String(url), ids, token: headers.Authorization ?? '', keepalive: init?.keepalive === true, headers });
    const reply = replies[Math.min(calls.length - 1, replies.length - 1)]!;
    if (reply === 'network') throw new TypeError('Failed to fetch');
    const status = typeof reply === 'function' ? reply(ids) : reply;
    return status === 200
      ? new Response(JSON.stringify(ids), { status, headers: { 'Content-Type': 'application/json' } })
      : new Response(JSON.stringify({ message: `refused with ${status}` }), { status, headers: { 'Content-Type': 'application/json' } });
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

const statement = (id: string, padding = 0) => ({ id, verb: { id: 'https://w3id.org/xapi/video/verbs/played' }, pad: 'x'.repeat(padding) });
const open: Outbox[] = [];
async function outbox(options: Partial<OutboxOptions> & Pick<OutboxOptions, 'fetch'>) {
  const o = await Outbox.open({ endpoint: ENDPOINT, token: 'tok-1', indexedDB: new IDBFactory(), exitStorage: null, debounceMs: 20, baseBackoffMs: 20, maxBackoffMs: 200, random: () => 0.5, ...options });
  open.push(o);
  return o;
}

afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

describe('Outbox', () => {
  it('sends queued statements as one batch with the xAPI headers, after the debounce', async () => {
    const lrs = fakeLrs(200);
    const box = await outbox({ fetch: lrs.fetch });
    // Queued together (in memory at once): the debounce holds the first until the second joins it.
    const stored = [box.enqueue(statement('a')), box.enqueue(statement('b'))];
    expect(lrs.calls).toHaveLength(0);
    await Promise.all(stored);
    await vi.waitFor(() => expect(box.pending).toBe(0));
    expect(lrs.calls).toHaveLength(1);
    expect(lrs.calls[0]).toMatchObject({ url: `${ENDPOINT}/statements`, ids: ['a', 'b'], token: 'Bearer tok-1', keepalive: false });
    expect(lrs.calls[0]?.headers).toMatchObject({ 'X-Experience-API-Version': '1.0.3', 'Content-Type': 'application/json' });
  });

  it('splits more than 50 statements into batches, in queue order', async () => {
    const lrs = fakeLrs(200);
    const box = await outbox({ fetch: lrs.fetch, debounceMs: 1000 });
    for (let i = 0; i < 120; i++) void box.enqueue(statement(`s${i}`));
    await box.flush();
    expect(lrs.calls.map((c) => c.ids.length)).toEqual([50, 50, 20]);
    expect(lrs.calls.flatMap((c) => c.ids)).toEqual(Array.from({ length: 120 }, (_, i) => `s${i}`));
  });

  it('retries a 503 with backoff under the same ids until the LRS takes them', async () => {
    const lrs = fakeLrs(503, 'network', 200);
    const statuses: boolean[] = [];
    // The first send is the explicit flush, whatever the machine's speed.
    const box = await outbox({ fetch: lrs.fetch, onStatus: (s) => statuses.push(s.failing), debounceMs: 60_000 });
    await box.enqueue(statement('a'));
    await box.enqueue(statement('b'));
    await box.flush();
    expect(box.pending).toBe(2);
    expect(box.failing).toBe(true);
    await vi.waitFor(() => expect(box.pending).toBe(0), { timeout: 2000 });
    expect(lrs.calls.map((c) => c.ids)).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b']]);
    await vi.waitFor(() => expect(box.failing).toBe(false));
    expect(statuses).toContain(true);
    expect(statuses.at(-1)).toBe(false);
  });

  it('drops a statement the LRS refuses with 400 and reports the server message', async () => {
    const lrs = fakeLrs(400);
    const onRejected = vi.fn();
    const box = await outbox({ fetch: lrs.fetch, onRejected });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await box.enqueue(statement('bad'));
    await box.flush();
    expect(box.pending).toBe(0);
    expect(onRejected).toHaveBeenCalledWith({ message: 'refused with 400', code: '', status: 400, statementIds: ['bad'], url: undefined }, expect.objectContaining({ id: 'bad' }));
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
    await new Promise((r) => setTimeout(r, 100));
    expect(lrs.calls).toHaveLength(1);
  });

  it('drops only the refused statement of a batch and delivers the others', async () => {
    const lrs = fakeLrs((ids) => (ids.includes('bad') ? 400 : 200));
    const onRejected = vi.fn();
    const box = await outbox({ fetch: lrs.fetch, onRejected });
    vi.spyOn(console, 'warn').mockImplementationOnce(() => {});
    for (const id of ['a', 'bad', 'c']) await box.enqueue(statement(id));
    await box.flush();
    expect(box.pending).toBe(0);
    expect(onRejected).toHaveBeenCalledTimes(1);
    expect(onRejected.mock.calls[0]?.[0]).toMatchObject({ statementIds: ['bad'] });
    expect(lrs.calls.filter((c) => c.ids.length === 1 && c.ids[0] !== 'bad').flatMap((c) => c.ids)).toEqual(['a', 'c']);
  });

  it('treats 408 and 429 as "try again", not as refusals', async () => {
    const lrs = fakeLrs(429, 408, 200);
    const onRejected = vi.fn();
    const box = await outbox({ fetch: lrs.fetch, onRejected });
    await box.enqueue(statement('a'));
    await vi.waitFor(() => expect(box.pending).toBe(0), { timeout: 2000 });
    expect(lrs.calls).toHaveLength(3);
    expect(onRejected).not.toHaveBeenCalled();
  });

  it('keeps statements across a reload and sends them from the next page', async () => {
    const db = new IDBFactory();
    const down = fakeLrs('network');
    const first = await outbox({ fetch: down.fetch, indexedDB: db, baseBackoffMs: 60_000, maxBackoffMs: 60_000 });
    await first.enqueue(statement('a'));
    await first.enqueue(statement('b'));
    await first.flush();
    expect(first.pending).toBe(2);
    first.close();

    const up = fakeLrs(200);
    const second = await outbox({ fetch: up.fetch, indexedDB: db, token: 'tok-2' });
    expect(second.pending).toBe(2);
    await vi.waitFor(() => expect(second.pending).toBe(0));
    // Each statement goes with the token it was written under.
    expect(up.calls).toEqual([expect.objectContaining({ ids: ['a', 'b'], token: 'Bearer tok-1' })]);
    second.close();

    const third = await outbox({ fetch: up.fetch, indexedDB: db });
    expect(third.pending).toBe(0);
  });

  it('leaves statements for another endpoint alone', async () => {
    const db = new IDBFactory();
    const first = await outbox({ fetch: fakeLrs('network').fetch, indexedDB: db, endpoint: 'http://other.test/xapi', debounceMs: 60_000 });
    await first.enqueue(statement('elsewhere'));
    first.close();
    const second = await outbox({ fetch: fakeLrs(200).fetch, indexedDB: db });
    expect(second.pending).toBe(0);
  });

  it('works from memory when IndexedDB is unavailable', async () => {
    const lrs = fakeLrs(200);
    const box = await outbox({ fetch: lrs.fetch, indexedDB: null });
    expect(box.durable).toBe(false);
    await box.enqueue(statement('a'));
    await box.flush();
    expect(lrs.calls.flatMap((c) => c.ids)).toEqual(['a']);
  });

  it('on the way out, sends with keepalive within the budget and keeps the rest for the next page', async () => {
    const lrs = fakeLrs(200);
    const box = await outbox({ fetch: lrs.fetch, debounceMs: 60_000 });
    for (let i = 0; i < 100; i++) await box.enqueue(statement(`s${i}`, 1000));
    box.flushOnExit();
    const sent = lrs.calls.flatMap((c) => c.ids);
    expect(lrs.calls.every((c) => c.keepalive)).toBe(true);
    const bodyBytes = (lrs.fetch as unknown as ReturnType<typeof vi.fn>).mock.calls.reduce((sum, [, init]) => sum + String((init as RequestInit).body).length, 0);
    expect(bodyBytes).toBeLessThanOrEqual(KEEPALIVE_BUDGET_BYTES);
    expect(sent.length).toBeGreaterThan(40);
    expect(sent).toEqual(Array.from({ length: sent.length }, (_, i) => `s${i}`));
    await vi.waitFor(() => expect(box.pending).toBe(100 - sent.length));
  });

  it('journals what IndexedDB has not committed on the way out, and the next page sends it', async () => {
    const storage = memoryStorage();
    const db = new IDBFactory();
    const down = fakeLrs(503);
    const first = await outbox({ fetch: down.fetch, indexedDB: db, exitStorage: storage, debounceMs: 60_000 });
    await first.enqueue(statement('stored'));
    // A page being torn down: the write begins but never commits.
    void first.enqueue(statement('last-words'));
    first.flushOnExit();
    first.close();
    expect(JSON.parse(storage.getItem(`xcredit-outbox-exit:${ENDPOINT}`) ?? '[]').map((r: { id: string }) => r.id)).toEqual(['last-words']);

    const up = fakeLrs(200);
    const second = await outbox({ fetch: up.fetch, indexedDB: db, exitStorage: storage });
    await vi.waitFor(() => expect(second.pending).toBe(0));
    expect(up.calls.flatMap((c) => c.ids)).toEqual(['stored', 'last-words']);
    expect(storage.getItem(`xcredit-outbox-exit:${ENDPOINT}`)).toBeNull();
  });
});

const HEARTBEAT = 'http://lrs.test/api/v1/launches/current/heartbeat';
const beat = (sentAt: string) => ({ sessionId: 's-1', time: 3, playing: true, sentAt });

/** A fake server for statements and credits API calls: every request in order, as `ids` or `url body`. */
function fakeServer(reply: (url: string, body: unknown) => number | 'network' | Response) {
  const calls: string[] = [];
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    const body: unknown = JSON.parse(String(init?.body));
    calls.push(Array.isArray(body) ? body.map((s: { id: string }) => s.id).join(',') : `${String(url).split('/').pop()} ${(body as { sentAt?: string; nonce?: string }).sentAt ?? (body as { nonce?: string }).nonce}`);
    const r = reply(String(url), body);
    if (r === 'network') throw new TypeError('Failed to fetch');
    return typeof r === 'number' ? Response.json(Array.isArray(body) ? [] : { active: true }, { status: r }) : r;
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

describe('Outbox credits API calls (heartbeats, attention answers)', () => {
  it('delivers calls and statements in the order queued, each call alone with its body, and hands back the answer', async () => {
    const server = fakeServer((url) => (url === HEARTBEAT ? Response.json({ active: true, verified: { coverage: 0.5, earned: 0, credits: 1 } }) : 200));
    const replies: unknown[] = [];
    const box = await outbox({ fetch: server.fetch, debounceMs: 60_000, onReply: (record, reply) => replies.push([record.url, record.token, reply]) });
    await box.enqueue(statement('a'));
    await box.enqueue(statement('b'));
    await box.enqueue(beat('2025-03-01T09:00:15.000Z'), HEARTBEAT);
    await box.enqueue(statement('c'));
    await vi.waitFor(() => expect(box.pending).toBe(0));
    expect(server.calls).toEqual(['a,b', 'heartbeat 2025-03-01T09:00:15.000Z', 'c']);
    const init = (server.fetch as unknown as ReturnType<typeof vi.fn>).mock.calls[1]?.[1] as RequestInit;
    expect(JSON.parse(String(init.body))).toEqual(beat('2025-03-01T09:00:15.000Z'));
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok-1');
    expect(replies).toEqual([[HEARTBEAT, 'tok-1', { active: true, verified: { coverage: 0.5, earned: 0, credits: 1 } }]]);
  });

  it('keeps heartbeats made offline, with the time each was made, across a reload, and delivers them in order once back online', async () => {
    const db = new IDBFactory();
    const down = fakeServer(() => 'network');
    const first = await outbox({ fetch: down.fetch, indexedDB: db, baseBackoffMs: 60_000, maxBackoffMs: 60_000 });
    await first.enqueue(statement('played'));
    await first.enqueue(beat('2025-03-01T09:00:15.000Z'), HEARTBEAT);
    await first.enqueue(beat('2025-03-01T09:00:30.000Z'), HEARTBEAT);
    await first.enqueue(statement('paused'));
    await first.enqueue(beat('2025-03-01T09:00:45.000Z'), HEARTBEAT);
    await first.flush();
    expect(first.pending).toBe(5);
    first.close();

    const up = fakeServer(() => 200);
    const second = await outbox({ fetch: up.fetch, indexedDB: db, token: 'tok-2' });
    await vi.waitFor(() => expect(second.pending).toBe(0));
    expect(up.calls).toEqual(['played', 'heartbeat 2025-03-01T09:00:15.000Z', 'heartbeat 2025-03-01T09:00:30.000Z', 'paused', 'heartbeat 2025-03-01T09:00:45.000Z']);
    // Each goes with the launch token it was made under.
    const tokens = (up.fetch as unknown as ReturnType<typeof vi.fn>).mock.calls.map(([, init]) => ((init as RequestInit).headers as Record<string, string>).Authorization);
    expect(new Set(tokens)).toEqual(new Set(['Bearer tok-1']));
  });

  it('retries a call the server could not take, and reports one it refused with the code and record', async () => {
    let n = 0;
    const server = fakeServer(() => (++n === 1 ? 503 : Response.json({ error: { status: 409, code: 'session_taken_over', message: 'a newer launch took over' } }, { status: 409 })));
    const onRejected = vi.fn();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const box = await outbox({ fetch: server.fetch, onRejected });
    await box.enqueue(beat('2025-03-01T09:00:15.000Z'), HEARTBEAT);
    await vi.waitFor(() => expect(onRejected).toHaveBeenCalled(), { timeout: 2000 });
    expect(box.pending).toBe(0);
    warn.mockRestore();
    expect(server.calls).toEqual(['heartbeat 2025-03-01T09:00:15.000Z', 'heartbeat 2025-03-01T09:00:15.000Z']);
    expect(onRejected).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'a newer launch took over', code: 'session_taken_over', status: 409, url: HEARTBEAT }),
      expect.objectContaining({ url: HEARTBEAT, token: 'tok-1' }),
    );
  });

  it('on the way out sends statements only; calls wait for the next page', async () => {
    const server = fakeServer(() => 200);
    const box = await outbox({ fetch: server.fetch, debounceMs: 60_000 });
    await box.enqueue(statement('a'));
    void box.enqueue(beat('2025-03-01T09:00:15.000Z'), HEARTBEAT);
    box.flushOnExit();
    expect(server.calls).toEqual(['a']);
    await vi.waitFor(() => expect(box.pending).toBe(1));
  });
});

/** localStorage as a Map. */
function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, v),
  };
}
