import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { TestServer } from '@xcredit/lrs-server/testing';

export interface Received {
  from: string;
  to: string[];
  mail: ParsedMail;
}

/**
 * A real SMTP server on a loopback port for tests: it speaks SMTP over TCP, checks the login
 * (`user`/`password`), and keeps every message it accepts, parsed. `stop()` takes it down and
 * `start()` brings it back on the same port, so a test can let the mail server fail and recover.
 *
 * @example
 * const box = await startMailbox({ user: 'credits', password: 'pw' });
 * // … point the tenant's mail settings at 127.0.0.1:box.port …
 * await box.close();
 */
export async function startMailbox(auth: { user: string; password: string }, options: { down?: boolean } = {}) {
  const received: Received[] = [];
  let server: SMTPServer | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = new SMTPServer({
        logger: false,
        disabledCommands: ['STARTTLS'],
        allowInsecureAuth: true,
        authMethods: ['PLAIN', 'LOGIN'],
        onAuth(a, _session, cb) {
          if (a.username === auth.user && a.password === auth.password) cb(null, { user: a.username });
          else cb(new Error('535 authentication failed'));
        },
        onData(stream, session, cb) {
          simpleParser(stream).then(
            (mail) => {
              received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), mail });
              cb();
            },
            (err: Error) => cb(err),
          );
        },
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = ((s as unknown as { server: { address(): AddressInfo } }).server.address()).port;
        server = s;
        resolve();
      });
    });
  const stop = () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())).then(() => void (server = undefined));
  await listen();
  if (options.down) await stop();
  return {
    received,
    get port() {
      return port;
    },
    /** Messages sent to one address. */
    to: (address: string) => received.filter((r) => r.to.includes(address)),
    start: listen,
    stop,
    close: stop,
  };
}
export type Mailbox = Awaited<ReturnType<typeof startMailbox>>;

/**
 * Waits (up to 40 s) until `box` has `count` messages for `address`, running the server's outbox
 * between looks; the messages to that address.
 *
 * @example
 * const [mail] = await arrived(box, server, 'ana@hospital.example', 1);
 * expect(mail!.mail.subject).toContain('credits');
 */
export async function arrived(box: Mailbox, server: Pick<TestServer, 'outbox'>, address: string, count: number): Promise<Received[]> {
  const end = Date.now() + 40_000;
  while (box.to(address).length < count) {
    if (Date.now() > end) throw new Error(`no mail for ${address}`);
    await server.outbox.drain();
    await new Promise((r) => setTimeout(r, 250));
  }
  return box.to(address);
}
