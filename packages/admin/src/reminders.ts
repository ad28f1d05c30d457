import { html, LitElement, nothing } from 'lit';
import { api, ApiError } from './api.js';
import { t, type Lang } from './i18n.js';
import { shared } from './styles.js';

/** The tenant's mail server and reminder rules, and every reminder sent with its delivery. */
export class AdminReminders extends LitElement {
  static override properties = { locale: {}, settings: { state: true }, log: { state: true }, errors: { state: true }, notice: { state: true } };
  static override styles = shared;
  locale: Lang = 'en';
  settings: any = null;
  log: any[] = [];
  errors = new Map<string, string[]>();
  notice = '';

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  async load() {
    this.settings = await api('GET', '/reminders/settings').catch((err) => (err instanceof ApiError && err.status === 404 ? null : Promise.reject(err)));
    this.log = (await api('GET', '/reminders')).reminders;
  }

  private save = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const text = (k: string) => String(f.get(k) ?? '').trim();
    const body = {
      enabled: f.get('enabled') === 'on',
      host: text('host'),
      port: Number(text('port')),
      secure: f.get('secure') === 'on',
      ...(text('user') ? { user: text('user') } : {}),
      ...(text('password') ? { password: String(f.get('password')) } : {}),
      from: text('from'),
      language: text('language'),
      deadlineDays: Number(text('deadlineDays')),
    };
    try {
      this.settings = await api('PUT', '/reminders/settings', body);
      this.errors = new Map();
      this.notice = t(this.locale, 'saved');
    } catch (err) {
      this.notice = '';
      this.errors = err instanceof ApiError ? err.byField() : new Map([['', [String(err)]]]);
    }
  };

  private sweep = async () => {
    const { queued } = await api('POST', '/reminders/sweep');
    this.notice = `${t(this.locale, 'remindBatch')}: ${queued}`;
    await this.load();
  };

  override render() {
    const l = this.locale;
    const s = this.settings ?? { enabled: false, host: '', port: 587, secure: false, user: '', from: '', language: 'en', deadlineDays: 30, hasPassword: false };
    const err = (field: string) => (this.errors.get(field) ?? []).map((m) => html`<p class="error" data-error-for=${field}>${m}</p>`);
    const field = (name: string, label: string, input: unknown) => html`<p><label>${label}<br />${input}</label>${err(name)}</p>`;
    return html`<div class="grid">
      <section class="card" id="mail-settings">
        <h2>${t(l, 'mailSettings')}</h2>
        <form @submit=${this.save}>
          <p><label><input type="checkbox" name="enabled" .checked=${s.enabled} /> ${t(l, 'mailEnabled')}</label></p>
          ${field('host', t(l, 'host'), html`<input name="host" .value=${s.host} />`)}
          ${field('port', t(l, 'port'), html`<input name="port" type="number" .value=${String(s.port)} />`)}
          <p><label><input type="checkbox" name="secure" .checked=${s.secure} /> ${t(l, 'secure')}</label></p>
          ${field('user', t(l, 'user'), html`<input name="user" autocomplete="off" .value=${s.user ?? ''} />`)}
          ${field('password', t(l, 'password'), html`<input name="password" type="password" autocomplete="new-password" placeholder=${s.hasPassword ? t(l, 'passwordKept') : ''} />`)}
          ${field('from', t(l, 'fromAddress'), html`<input name="from" .value=${s.from} />`)}
          ${field('language', t(l, 'mailLanguage'), html`<select name="language" .value=${s.language}><option value="en">English</option><option value="zh">中文</option></select>`)}
          ${field('deadlineDays', t(l, 'deadlineDays'), html`<input name="deadlineDays" type="number" .value=${String(s.deadlineDays)} />`)}
          ${err('')}
          <button class="primary" type="submit" id="save-mail">${t(l, 'save')}</button> <button type="button" id="sweep" @click=${this.sweep}>${t(l, 'sweepNow')}</button>
          ${this.notice ? html`<span class="ok" id="mail-notice">${this.notice}</span>` : nothing}
        </form>
      </section>
      <section class="card" id="send-log" style="grid-column: 1 / -1">
        <h2>${t(l, 'sendLog')}</h2>
        <table>
          <thead><tr><th>${t(l, 'when')}</th><th>${t(l, 'recipient')}</th><th>${t(l, 'kind')}</th><th>${t(l, 'subject')}</th><th>${t(l, 'delivery')}</th></tr></thead>
          <tbody>${this.log.map(
            (r) => html`<tr data-reminder=${r.reminderId}>
              <td>${(r.sentAt ?? r.createdAt).slice(0, 16).replace('T', ' ')}</td>
              <td>${r.learnerId ? html`<a href="#/learners/${encodeURIComponent(r.learnerId)}">${r.recipient}</a>` : r.recipient}</td>
              <td>${r.kind}</td><td>${r.subject}</td>
              <td class=${r.status === 'delivered' ? 'ok' : r.status === 'failed' ? 'error' : 'muted'}>${r.status}${r.lastError ? html`<br /><span class="error">${r.lastError}</span>` : nothing}</td>
            </tr>`,
          )}</tbody>
        </table>
      </section>
    </div>`;
  }
}
customElements.define('xa-reminders', AdminReminders);
