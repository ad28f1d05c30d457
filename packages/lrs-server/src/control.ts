import { createHash } from 'node:crypto';
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStoreCommand, prepareStoreCommand, UsageError, type CommandContext } from './commands.js';

/** What a command run by the server printed, and how it ended (0 done, 1 failed, 2 usage). */
export interface CommandResult {
  code: number;
  out: string;
  err: string;
}

/**
 * The socket a server holding an embedded data folder takes CLI commands on, so `xcredit
 * create-client` while `xcredit start` runs writes through the one process that owns the folder.
 * A Unix socket in the data folder, readable by its owner only: whoever may use it may already
 * read and write the database files.
 */
export function controlPath(dataDir: string): string | null {
  // A Windows named pipe is open to every local user, so there the CLI asks to stop the server instead.
  if (process.platform === 'win32') return null;
  const inFolder = join(dataDir, 'xcredit.sock');
  // Socket paths are limited to about 100 bytes; a deep folder gets one in the temp folder.
  return Buffer.byteLength(inFolder) < 100 ? inFolder : join(tmpdir(), `xcredit-${hash(dataDir)}.sock`);
}

/** Serves CLI commands on `path`, one at a time, against the server's own store. */
export async function startControl(path: string, context: Omit<CommandContext, 'print' | 'progress'>): Promise<{ close(): Promise<void> }> {
  let queue: Promise<unknown> = Promise.resolve();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const run = async (): Promise<CommandResult> => {
        let argv: unknown;
        try {
          argv = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { argv?: unknown }).argv;
        } catch {
          return { code: 2, out: '', err: 'malformed command' };
        }
        if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) return { code: 2, out: '', err: 'malformed command' };
        const [command = '', ...args] = argv as string[];
        if (!isStoreCommand(command)) return { code: 2, out: '', err: `"${command}" is not a command the server runs` };
        const lines: string[] = [];
        try {
          await prepareStoreCommand(command, args)({ ...context, print: (line) => lines.push(line) });
          return { code: 0, out: lines.join('\n'), err: '' };
        } catch (err) {
          return { code: err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1, out: lines.join('\n'), err: err instanceof Error ? err.message : String(err) };
        }
      };
      const result = queue.then(run);
      queue = result.catch(() => undefined);
      void result.then((r) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r)));
    });
  });
  // Holding the folder's lock, any socket file left here is from a process that is gone.
  unlinkQuietly(path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        unlinkQuietly(path);
      }),
  };
}

/** Asks the server listening on `path` to run `argv`. */
export function sendCommand(path: string, argv: string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: path, path: '/', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CommandResult);
        } catch {
          reject(new Error(`the server on ${path} gave no answer; did it stop?`));
        }
      });
      res.on('error', reject);
    });
    req.on('error', (err) => reject(new Error(`could not reach the running server on ${path}: ${err.message}`)));
    req.end(JSON.stringify({ argv }));
  });
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function unlinkQuietly(path: string) {
  try {
    unlinkSync(path);
  } catch {
    // Not there.
  }
}
