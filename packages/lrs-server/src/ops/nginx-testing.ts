import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's nginx site for xcredit. */
export const NGINX_SITE = fileURLToPath(new URL('../../../../deploy/nginx/xcredit.conf', import.meta.url));
const NGINX = '/usr/sbin/nginx';

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something accepts connections on the port. */
export async function listening(port: number, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Debian's nginx in the foreground, with a temporary prefix of its own (the system's nginx is
 * not touched), serving `deploy/nginx/xcredit.conf` with its upstream servers replaced by these
 * ports and its `listen` by a free port on 127.0.0.1.
 *
 * @example
 * const nginx = await startNginx([3001, 3002, 3003]);
 * await fetch(`${nginx.url}/readyz`);
 * await nginx.stop();
 */
export async function startNginx(upstreams: number[]): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const prefix = mkdtempSync(join(tmpdir(), 'xcredit-nginx-'));
  // nginx's workers run as nobody when the master is root: they must reach the prefix.
  chmodSync(prefix, 0o755);
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, d));
  const port = await freePort();
  const site = readFileSync(NGINX_SITE, 'utf8');
  const first = /^\s*server 127\.0\.0\.1:\d+(.*)$/m.exec(site);
  if (!first) throw new Error(`${NGINX_SITE} has no "server 127.0.0.1:PORT …" upstream line to replace`);
  const options = first[1]!;
  const adapted = site
    .replace(/^(\s*server 127\.0\.0\.1:\d+.*\n)+/m, upstreams.map((p) => `    server 127.0.0.1:${p}${options}\n`).join(''))
    .replace(/^\s*listen 80;$/m, `    listen 127.0.0.1:${port};`);
  if (!adapted.includes(`listen 127.0.0.1:${port};`)) throw new Error(`${NGINX_SITE} has no "listen 80;" line to replace`);
  writeFileSync(join(prefix, 'xcredit.conf'), adapted);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${prefix}/${k === 'client_body' ? 'body' : k};`).join('\n');
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `daemon off;\nworker_processes 1;\npid ${prefix}/nginx.pid;\nerror_log ${prefix}/error.log warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n${temp}\n  include ${prefix}/xcredit.conf;\n}\n`,
  );
  const child = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => {
    try {
      return readFileSync(join(prefix, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  await Promise.race([listening(port), exited.then(() => Promise.reject(new Error(`nginx exited: ${stderr} ${log()}`)))]);
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
