import nodemailer from 'nodemailer';
import type { Clock } from '../clock.js';
import type { Db } from '../db/index.js';
import { PermanentJobError, type JobHandler } from '../jobs/outbox.js';
import { OutboundError, resolveGuarded, type OutboundPolicy } from '../net/outbound.js';
import { unsubscribeUrl } from './reminders.js';
import { transportSettings } from './settings.js';

/** After this many failed tries a reminder is marked failed and no longer retried (about half an hour of backing off). */
export const MAIL_MAX_ATTEMPTS = 12;

/**
 * The outbox handler that sends one reminder over SMTP with the tenant's settings. Each try is
 * recorded on the reminder (attempts, last error); a failure is thrown back so the outbox retries it
 * with backoff, and a reminder already delivered is never sent again.
 */
export function mailHandler(db: Db, secretKey: string, clock: Clock, publicUrl: () => string, outbound: OutboundPolicy): JobHandler {
  return async (job) => {
    const reminderId = String(job.payload.reminderId);
    const r = await db.selectFrom('reminders').selectAll().where('tenant_id', '=', job.tenantId).where('id', '=', reminderId).executeTakeFirst();
    if (!r || r.status !== 'queued') return;
    const fail = async (message: string, permanent: boolean) => {
      await db.updateTable('reminders').set({ attempts: job.attempt, last_error: message.slice(0, 1000), ...(permanent ? { status: 'failed' } : {}) }).where('tenant_id', '=', job.tenantId).where('id', '=', reminderId).execute();
    };
    const settings = await transportSettings(db, job.tenantId, secretKey);
    if (!settings) {
      await fail('mail is off for this tenant', true);
      throw new PermanentJobError('mail is off for this tenant');
    }
    // The mail server is a host an administrator typed: connect only to an address the policy allows,
    // resolved once here, and name the host for TLS. A refused address is not retried.
    let address: string;
    try {
      address = await resolveGuarded(outbound, settings.host);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const refused = err instanceof OutboundError && err.code === 'forbidden_address';
      const permanent = refused || job.attempt >= MAIL_MAX_ATTEMPTS;
      await fail(refused ? `mail server refused: ${message}` : message, permanent);
      throw permanent ? new PermanentJobError(message) : err;
    }
    const transport = nodemailer.createTransport({
      host: address,
      servername: settings.host.replace(/^\[(.*)\]$/, '$1'),
      port: settings.port,
      secure: settings.secure,
      ...(settings.user ? { auth: { user: settings.user, pass: settings.password ?? '' } } : {}),
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
    });
    try {
      const host = new URL(publicUrl()).hostname || 'xcredit';
      const headers: Record<string, string> = { 'X-Xcredit-Reminder': `${r.kind}; ${r.id}` };
      if (r.learner_id) headers['List-Unsubscribe'] = `<${unsubscribeUrl({ config: { publicUrl: publicUrl() }, secretKey }, job.tenantId, r.learner_id)}>`;
      const info = await transport.sendMail({ from: settings.from, to: r.recipient, subject: r.subject, text: r.body, messageId: `<reminder-${r.id}@${host}>`, headers });
      await db
        .updateTable('reminders')
        .set({ status: 'delivered', attempts: job.attempt, last_error: null, message_id: info.messageId ?? null, sent_at: clock() })
        .where('tenant_id', '=', job.tenantId)
        .where('id', '=', reminderId)
        .execute();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const permanent = job.attempt >= MAIL_MAX_ATTEMPTS;
      await fail(message, permanent);
      throw permanent ? new PermanentJobError(message) : err;
    } finally {
      transport.close();
    }
  };
}
