import cluster, { type Worker } from 'node:cluster';

/** What a worker tells the primary once it listens: enough for the start banner. */
export interface WorkerReady {
  type: 'xcredit:ready';
  url: string;
  engine: string;
  location: string;
  validationThreads: number;
  lti: { status: string; reason?: string | undefined };
  /** Set by the one worker that made the first administrator. */
  firstAdmin: { key: string; secret: string } | null;
}

export interface PrimaryOptions {
  /** Worker processes to keep running. */
  count: number;
  /** Seconds a worker may take to stop on SIGTERM before it is killed (its own shutdown wait, plus a margin). */
  shutdownSeconds: number;
  /** Called once every worker listens for the first time. */
  onReady(ready: WorkerReady[]): void;
  log?: (line: string) => void;
}

const isReady = (m: unknown): m is WorkerReady => typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'xcredit:ready';

/**
 * `xcredit start --workers N`, in the primary process: forks N workers of this same command that
 * share one port (node:cluster hands each connection to one of them), starts a new worker when one
 * dies (waiting longer each time workers keep dying), and on SIGTERM or SIGINT stops every worker
 * gracefully and exits 0 once all have. A worker failing before the first start completes stops
 * the whole start with exit code 1: a bad configuration is not retried forever.
 *
 * @example
 * if (cluster.isPrimary) await runPrimary({ count: 4, shutdownSeconds: 25, onReady: (ready) => console.log(ready[0]!.url) });
 */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const log = options.log ?? ((line: string) => console.error(line));
  const ready = new Map<number, WorkerReady>();
  let started = false;
  let stopping = false;
  const recentDeaths: number[] = [];

  return new Promise<number>((resolve) => {
    const fork = () => {
      const worker = cluster.fork();
      worker.on('message', (m: unknown) => {
        if (!isReady(m)) return;
        ready.set(worker.id, m);
        if (!started && ready.size === options.count) {
          started = true;
          options.onReady([...ready.values()]);
        }
      });
      return worker;
    };

    const stopAll = (code: number) => {
      if (stopping) return;
      stopping = true;
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
      if (alive.length === 0) return resolve(code);
      const force = setTimeout(() => alive.forEach((w) => w.isDead() || w.process.kill('SIGKILL')), (options.shutdownSeconds + 5) * 1000);
      let left = alive.length;
      let worst = code;
      for (const w of alive) {
        // A worker still starting has nothing in flight: the signal ending it is no failure.
        const serving = ready.has(w.id);
        w.once('exit', (exitCode, signal) => {
          if (exitCode !== 0 && (serving || signal !== 'SIGTERM')) {
            log(`xcredit: worker process ${w.process.pid} stopped with ${signal ?? `code ${exitCode}`}`);
            worst = worst || 1;
          }
          if (--left === 0) {
            clearTimeout(force);
            resolve(worst);
          }
        });
        w.process.kill('SIGTERM');
      }
    };

    cluster.on('exit', (worker, code, signal) => {
      const wasReady = ready.delete(worker.id);
      if (stopping) return;
      if (!started && !wasReady) {
        log(`xcredit: a worker (process ${worker.process.pid}) exited before it was ready (${signal ?? `code ${code}`}); stopping`);
        return stopAll(1);
      }
      const now = Date.now();
      recentDeaths.push(now);
      while (recentDeaths.length && recentDeaths[0]! < now - 60_000) recentDeaths.shift();
      // A worker dying once is replaced at once; workers dying again and again, ever more slowly.
      const delay = recentDeaths.length <= 1 ? 0 : Math.min(30_000, 250 * 2 ** (recentDeaths.length - 2));
      log(`xcredit: worker process ${worker.process.pid} died (${signal ?? `code ${code}`}); starting another${delay ? ` in ${delay} ms` : ''}`);
      setTimeout(() => stopping || fork(), delay);
    });

    process.once('SIGTERM', () => stopAll(0));
    process.once('SIGINT', () => stopAll(0));
    for (let i = 0; i < options.count; i++) fork();
  });
}

/** In a worker: tells the primary it listens. */
export function reportReady(ready: Omit<WorkerReady, 'type'>): void {
  process.send?.({ type: 'xcredit:ready', ...ready } satisfies WorkerReady);
}

/** `--workers` as given: a whole number from 1 to 64. */
export function parseWorkers(value: string): number | string {
  if (!/^\d+$/.test(value)) return `--workers "${value}" must be a whole number of processes, e.g. --workers 4`;
  const n = Number(value);
  if (n < 1 || n > 64) return `--workers ${n} must be between 1 and 64`;
  return n;
}
