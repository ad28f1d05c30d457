import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Principal } from '../auth/principal.js';
import { HttpError } from '../http-error.js';
import type { PreparedStatement, StatementWrite } from './statement-writer.js';
import type { XapiVersion } from './version.js';

/** What a validation thread is asked: a JSON statement body, checked and prepared as `prepareWrite` does. */
export interface ValidationTask {
  id: number;
  bytes: Uint8Array;
  /** The principal, its scopes as an array. */
  principal: Record<string, unknown>;
  version: XapiVersion;
  stored: string;
}

export type ValidationAnswer =
  | { id: number; write: StatementWrite }
  | { id: number; error: { status: number; code: string; message: string; issues?: HttpError['issues']; headers?: Record<string, string> } }
  | { id: number; crash: string };

const WORKER = new URL('./validation-worker.js', import.meta.url);

/**
 * Threads that parse, validate and prepare large statement batches off the event loop, so one
 * server process uses more than one core: while a thread checks one batch, the event loop goes
 * on reading requests and talking to the database. Answers, errors included, are those
 * `prepareWrite` gives on the event loop.
 */
export class ValidationPool {
  /**
   * A pool of `threads` threads, or none for 0. The default leaves one core to the event loop:
   * `availableParallelism() - 1`, at most 4. Runs only from the built package (the threads load
   * its JavaScript); from sources, as in unit tests, there is no pool.
   */
  static create(threads = Math.min(4, availableParallelism() - 1), worker: URL = WORKER): ValidationPool | undefined {
    if (threads <= 0 || !existsSync(fileURLToPath(worker))) return undefined;
    return new ValidationPool(threads, worker);
  }

  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, { worker: Worker; resolve: (w: StatementWrite) => void; reject: (e: unknown) => void }>();
  /** When each thread started, and whether it has answered yet. */
  readonly #lives = new WeakMap<Worker, { born: number; answered: boolean }>();
  #next = 0;
  #closed = false;
  #broken: Error | undefined;

  private constructor(
    readonly threads: number,
    private readonly script: URL,
  ) {
    for (let i = 0; i < threads; i++) this.#workers.push(this.#spawn());
  }

  /** Whether the threads take work; when they cannot (closed, or they fail as they start), callers check batches themselves. */
  get available(): boolean {
    return !this.#closed && !this.#broken && this.#workers.length > 0;
  }

  #spawn(): Worker {
    const worker = new Worker(this.script);
    worker.unref();
    this.#lives.set(worker, { born: Date.now(), answered: false });
    worker.on('message', (answer: ValidationAnswer) => {
      this.#lives.get(worker)!.answered = true;
      this.#answer(answer);
    });
    // A thread that dies takes its tasks with it: they fail, and a new thread takes its place.
    worker.on('error', (err) => this.#lost(worker, err));
    worker.on('exit', (code) => this.#lost(worker, new Error(`validation thread exited with code ${code}`)));
    return worker;
  }

  #lost(worker: Worker, err: Error) {
    const at = this.#workers.indexOf(worker);
    if (at < 0) return;
    for (const [id, task] of this.#pending) {
      if (task.worker !== worker) continue;
      this.#pending.delete(id);
      task.reject(err);
    }
    const life = this.#lives.get(worker)!;
    // A thread that dies before doing anything would die again: stop rather than respawn forever.
    if (!this.#closed && !this.#broken && !life.answered && Date.now() - life.born < 5000) {
      this.#broken = err;
      console.error(`xcredit: validation threads stopped (${err.message}); statement batches are checked on the event loop`);
    }
    if (this.#closed || this.#broken) this.#workers.splice(at, 1);
    else this.#workers[at] = this.#spawn();
  }

  #answer(answer: ValidationAnswer) {
    const task = this.#pending.get(answer.id);
    if (!task) return;
    this.#pending.delete(answer.id);
    if ('write' in answer) {
      // Structured cloning turns Buffers into plain Uint8Arrays.
      const statements = answer.write.statements.map((p): PreparedStatement => ({ ...p, json: Buffer.from(p.json.buffer, p.json.byteOffset, p.json.byteLength) }));
      task.resolve({ ...answer.write, statements });
    } else if ('error' in answer) {
      const { status, code, message, issues, headers } = answer.error;
      task.reject(new HttpError(status, code, message, issues, headers ? { headers } : undefined));
    } else task.reject(new Error(answer.crash));
  }

  /** Parses, validates and prepares a JSON statement body on one of the threads. */
  prepare(input: { bytes: Buffer; principal: Principal; version: XapiVersion; stored: Date }): Promise<StatementWrite> {
    if (!this.available) return Promise.reject(new Error(this.#closed ? 'the validation pool is closed' : `the validation threads stopped: ${this.#broken?.message}`));
    const id = ++this.#next;
    const worker = this.#workers[id % this.#workers.length]!;
    const { principal } = input;
    const task: ValidationTask = {
      id,
      bytes: input.bytes,
      principal: principal.kind === 'client' ? { ...principal, scopes: [...principal.scopes] } : principal,
      version: input.version,
      stored: input.stored.toISOString(),
    };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { worker, resolve, reject });
      worker.postMessage(task);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
