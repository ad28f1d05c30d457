import { readErrorBody } from '@xcredit/sdk/contracts/wire';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { memoryOnlyStore, openOutboxStore, takeExitJournal, writeExitJournal, type OutboxRecord, type OutboxStore } from './outbox-store.js';

export type { OutboxRecord } from './outbox-store.js';
import { apiHeaders, xapiHeaders } from './connection.js';

export interface OutboxOptions {
  /** xAPI endpoint, e.g. `http://localhost:3000/xapi`. */
  endpoint: string;
  /** Launch token new statements are sent with. */
  token: string;
  /** Defaults to `globalThis.indexedDB`; `null` keeps statements in memory only. */
  indexedDB?: IDBFactory | null;
  /** Synchronous store for what `pagehide` could not put in IndexedDB; defaults to localStorage. */
  exitStorage?: Storage | null;
  fetch?: typeof fetch;
  /** Wait after the first queued statement before sending, to batch what follows it. */
  debounceMs?: number;
  batchSize?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** 0–1, for backoff jitter. */
  random?: () => number;
  /** The server refused statements (or a call) for good; they are gone from the outbox. `record`: the first refused. */
  onRejected?: (rejection: OutboxRejection, record: OutboxRecord) => void;
  /** A credits API call queued with a `url` was answered; `reply` is its JSON body (null if none). */
  onReply?: (record: OutboxRecord, reply: unknown) => void;
  /** Pending count or the failing flag changed. */
  onStatus?: (status: OutboxStatus) => void;
}

export interface OutboxRejection {
  message: string;
  /** The server's error code (`session_taken_over`, `unknown_session`, …), or ''. */
  code: string;
  status: number;
  statementIds: string[];
  /** Set when the refused request was a credits API call queued with a `url` (`statementIds` then holds its queue id). */
  url?: string | undefined;
}

export interface OutboxStatus {
  pending: number;
  /** The last attempt failed and a retry is scheduled. */
  failing: boolean;
}

type Outcome = 'sent' | 'retry' | 'rejected';

/** Keepalive requests share a 64 KiB budget per page; stay under it with headroom. */
export const KEEPALIVE_BUDGET_BYTES = 60_000;

let seq = 0;

/**
 * The element's outbox: the one open for the current launch, what it still holds while sends fail
 * (`offline`, rendered by the host), and a send as soon as the browser is back online (listened
 * to while the element is in the page).
 *
 * @example
 * readonly outbox = new OutboxController(this); // in the element
 * const box = await outbox.open({ endpoint, token, onReply }); // by the launch's session
 * await outbox.close(box); // sends what it can, then closes
 */
export class OutboxController implements ReactiveController {
  private current: Outbox | null = null;
  private offlineCount = 0;
  private listening: AbortController | null = null;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  /** Statements and calls held while sending fails (0 while sends succeed). */
  get offline(): number {
    return this.offlineCount;
  }

  /** Statements and calls the current launch's outbox has not had acknowledged. */
  get pending(): number {
    return this.current?.pending ?? 0;
  }

  /** Opens a launch's outbox; what earlier pages left for its endpoint is sent. */
  async open(options: OutboxOptions): Promise<Outbox> {
    let outbox: Outbox | null = null;
    outbox = await Outbox.open({
      ...options,
      onStatus: (s) => {
        if (outbox && this.current === outbox) this.setOffline(s.failing ? s.pending : 0);
        options.onStatus?.(s);
      },
    });
    this.current = outbox;
    return outbox;
  }

  /** Sends what the current outbox holds; resolves when it is empty or the attempt failed. */
  flush(): Promise<void> {
    return this.current?.flush() ?? Promise.resolve();
  }

  /** Sends what `outbox` holds, then closes it; what is left stays stored for the next page. */
  async close(outbox: Outbox): Promise<void> {
    if (this.current === outbox) {
      this.current = null;
      this.setOffline(0);
    }
    await outbox.flush();
    outbox.close();
  }

  hostConnected(): void {
    this.listening = new AbortController();
    window.addEventListener('online', () => void this.flush(), { signal: this.listening.signal });
  }

  hostDisconnected(): void {
    this.listening?.abort();
    this.listening = null;
  }

  private setOffline(count: number): void {
    if (count === this.offlineCount) return;
    this.offlineCount = count;
    this.host.requestUpdate();
  }
}

/**
 * A durable queue of xAPI statements and credits API calls (heartbeats, attention answers).
 * Each is stored before it is sent, statements in batches, all in the order queued, retried
 * with backoff under the same id, and removed only once the server acknowledged it; what a
 * closed page left behind is sent by the next one.
 *
 * @example
 * const outbox = await Outbox.open({ endpoint: 'http://localhost:3000/xapi', token });
 * await outbox.enqueue(statement);
 * await outbox.flush();
 */
export class Outbox {
  private readonly queue = new Map<string, OutboxRecord>();
  /** Ids whose IndexedDB write has committed. */
  private readonly stored = new Set<string>();
  private readonly exitStorage: Storage | null;
  private readonly fetch: typeof fetch;
  private readonly debounceMs: number;
  private readonly batchSize: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly random: () => number;
  private chain: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = 0;
  private failures = 0;
  private retryAfterMs = 0;
  private closed = false;

  private constructor(
    private readonly options: OutboxOptions,
    private store: OutboxStore,
  ) {
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.debounceMs = options.debounceMs ?? 300;
    this.batchSize = options.batchSize ?? 50;
    this.baseBackoffMs = options.baseBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.random = options.random ?? Math.random;
    this.exitStorage = options.exitStorage === undefined ? defaultExitStorage() : options.exitStorage;
  }

  /** Opens the outbox and schedules sending whatever earlier pages left for this endpoint. */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const factory = options.indexedDB === undefined ? globalThis.indexedDB : options.indexedDB;
    const outbox = new Outbox({ ...options, endpoint: trimSlash(options.endpoint) }, await openOutboxStore(factory));
    try {
      for (const record of await outbox.store.forEndpoint(outbox.endpoint)) {
        outbox.queue.set(record.id, record);
        outbox.stored.add(record.id);
      }
    } catch (error) {
      outbox.lose(error);
    }
    const journaled = takeExitJournal(outbox.exitStorage, outbox.endpoint).filter((r) => !outbox.queue.has(r.id));
    for (const record of journaled.sort((a, b) => a.queuedAt - b.queuedAt || a.seq - b.seq)) {
      outbox.queue.set(record.id, record);
      void outbox.persist(record);
    }
    if (outbox.queue.size > 0) outbox.schedule(0);
    return outbox;
  }

  get endpoint(): string {
    return this.options.endpoint;
  }

  /** Statements not yet acknowledged by the server. */
  get pending(): number {
    return this.queue.size;
  }

  /** True while the statement (or call) with this id waits for the server's acknowledgement. */
  holds(id: string): boolean {
    return this.queue.has(id);
  }

  get failing(): boolean {
    return this.failures > 0;
  }

  /** False when IndexedDB is unavailable and statements survive only as long as the page. */
  get durable(): boolean {
    return this.store.durable;
  }

  /**
   * Queues a statement: in memory at once (so a keepalive flush on the way out includes it),
   * then in IndexedDB; resolves when it is stored. With `url`, queues a JSON POST of `statement`
   * to the credits API instead (a heartbeat, an attention answer), sent as soon as the outbox can.
   */
  async enqueue(statement: object, url?: string): Promise<void> {
    const record: OutboxRecord = { id: url ? crypto.randomUUID() : (statement as { id: string }).id, endpoint: this.endpoint, token: this.options.token, statement, queuedAt: Date.now(), seq: ++seq, url };
    this.queue.set(record.id, record);
    this.status();
    if (!this.failing) this.schedule(url ? 0 : this.debounceMs);
    await this.persist(record);
  }

  /** Sends everything queued now; resolves when the outbox is empty or an attempt failed. */
  flush(): Promise<void> {
    this.clearTimer();
    this.chain = this.chain.then(() => this.drain());
    return this.chain;
  }

  /**
   * Last chance on `pagehide`: journals what IndexedDB has not committed yet (synchronously, to
   * localStorage) and sends what fits in the keepalive budget without waiting. Nothing is
   * removed unless the response still arrives; the next page resends the rest under the same ids.
   */
  flushOnExit(): void {
    this.clearTimer();
    writeExitJournal(this.exitStorage, this.endpoint, [...this.queue.values()].filter((r) => !this.stored.has(r.id)));
    let budget = KEEPALIVE_BUDGET_BYTES;
    // Credits API calls wait for the next page; the budget goes to statements.
    const records = [...this.queue.values()].filter((r) => !r.url);
    let i = 0;
    while (i < records.length) {
      const token = records[i]!.token;
      const chunk: OutboxRecord[] = [];
      let bytes = 2;
      while (i < records.length && records[i]!.token === token && chunk.length < this.batchSize) {
        const size = byteLength(JSON.stringify(records[i]!.statement)) + 1;
        if (bytes + size > budget) break;
        bytes += size;
        chunk.push(records[i]!);
        i++;
      }
      if (chunk.length === 0) return;
      budget -= bytes;
      void this.post(token, chunk, true).then(
        (res) => (res.outcome === 'sent' ? this.remove(chunk) : undefined),
        () => undefined,
      );
    }
  }

  /** Stops timers; queued statements stay stored for the next page. */
  close(): void {
    this.closed = true;
    this.clearTimer();
    this.store.close();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.size > 0 && !this.closed) {
        const outcome = await this.send(this.nextBatch());
        if (outcome === 'retry') {
          this.failures++;
          this.status();
          this.schedule(this.backoff());
          return;
        }
        if (this.failures > 0) {
          this.failures = 0;
          this.status();
        }
      }
    } catch (error) {
      // A bug here must not wedge the chain; the statements stay queued for the next flush.
      console.error('[xcredit] outbox', error);
    }
  }

  /** The oldest statements that share a token, in queue order; a credits API call goes alone. */
  private nextBatch(): OutboxRecord[] {
    const batch: OutboxRecord[] = [];
    for (const record of this.queue.values()) {
      if (batch.length === this.batchSize || (batch[0] && (record.token !== batch[0].token || record.url || batch[0].url))) break;
      batch.push(record);
    }
    return batch;
  }

  private async send(batch: OutboxRecord[]): Promise<Outcome> {
    const res = await this.post(batch[0]!.token, batch, false);
    if (res.outcome === 'sent') {
      await this.remove(batch);
      if (batch[0]!.url) this.options.onReply?.(batch[0]!, res.reply);
      return 'sent';
    }
    if (res.outcome === 'retry') {
      this.retryAfterMs = res.retryAfterMs;
      return 'retry';
    }
    // One malformed statement must not take its batch down with it: find it alone.
    if (batch.length > 1 && (res.status === 400 || res.status === 413)) {
      for (const record of batch) {
        if ((await this.send([record])) === 'retry') return 'retry';
      }
      return 'sent';
    }
    await this.remove(batch);
    const url = batch[0]!.url;
    const rejection: OutboxRejection = { message: res.message, code: res.code, status: res.status, statementIds: batch.map((r) => r.id), url };
    console.warn(`[xcredit] the server refused ${url ?? `${batch.length} statement(s)`} (HTTP ${res.status}): ${res.message}`);
    this.options.onRejected?.(rejection, batch[0]!);
    return 'rejected';
  }

  private async post(token: string, batch: OutboxRecord[], keepalive: boolean): Promise<PostResult> {
    const url = batch[0]!.url;
    let res: Response;
    try {
      res = await this.fetch(url ?? `${this.endpoint}/statements`, {
        method: 'POST',
        keepalive,
        headers: { ...(url ? apiHeaders(token) : xapiHeaders(token)), 'Content-Type': 'application/json' },
        body: JSON.stringify(url ? batch[0]!.statement : batch.map((r) => r.statement)),
      });
    } catch {
      return { outcome: 'retry', status: 0, code: '', message: 'network error', retryAfterMs: 0 };
    }
    if (res.ok) return { outcome: 'sent', status: res.status, code: '', message: '', retryAfterMs: 0, reply: url ? await res.json().catch(() => null) : null };
    const { code, message } = await readError(res);
    if (res.status >= 500 || res.status === 408 || res.status === 429 || res.status < 400) {
      return { outcome: 'retry', status: res.status, code, message, retryAfterMs: retryAfter(res) };
    }
    return { outcome: 'rejected', status: res.status, code, message, retryAfterMs: 0 };
  }

  private async persist(record: OutboxRecord): Promise<void> {
    try {
      await this.store.put(record);
      if (this.store.durable && this.queue.has(record.id)) this.stored.add(record.id);
    } catch (error) {
      this.lose(error);
    }
  }

  private async remove(records: OutboxRecord[]): Promise<void> {
    for (const r of records) {
      this.queue.delete(r.id);
      this.stored.delete(r.id);
    }
    this.status();
    try {
      await this.store.delete(records.map((r) => r.id));
    } catch (error) {
      this.lose(error);
    }
  }

  private backoff(): number {
    const exp = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** (this.failures - 1));
    const jittered = exp * (0.8 + 0.4 * this.random());
    return Math.min(this.maxBackoffMs, Math.max(jittered, this.retryAfterMs));
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    const at = Date.now() + delayMs;
    // An earlier send already planned covers this one; never postpone it.
    if (this.timer !== undefined && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** IndexedDB failed mid-session (quota, eviction): keep going from memory. */
  private lose(error: unknown): void {
    if (!this.store.durable) return;
    this.stored.clear();
    console.warn('[xcredit] IndexedDB failed; statements are kept in memory only until sent', error);
    this.store = memoryOnlyStore;
  }

  private status(): void {
    this.options.onStatus?.({ pending: this.queue.size, failing: this.failing });
  }
}

interface PostResult {
  outcome: Outcome;
  status: number;
  code: string;
  message: string;
  retryAfterMs: number;
  reply?: unknown;
}

/** The server's own words for a refusal: a JSON `message`/`error` (and its `code`), else the text. */
export async function readError(res: Response): Promise<{ code: string; message: string }> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    // The body is optional; the status alone still explains the refusal.
  }
  const { code = '', message } = readErrorBody(text);
  return { code, message: message ?? (text.trim().slice(0, 500) || `HTTP ${res.status} ${res.statusText}`.trim()) };
}

function retryAfter(res: Response): number {
  const seconds = Number(res.headers.get('Retry-After'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

function defaultExitStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    // Sandboxed frames throw on access.
    return null;
  }
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');
const encoder = new TextEncoder();
const byteLength = (s: string) => encoder.encode(s).length;
