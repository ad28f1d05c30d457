import { html, LitElement, nothing } from 'lit';
import { api, ApiError } from './api.js';
import { t, type Lang } from './i18n.js';
import { shared } from './styles.js';

const time = (iso: string | null) => (iso ? new Date(iso).toLocaleString(undefined, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }) : '—');
/** A `datetime-local` value (the browser's zone) as ISO 8601 with its offset; '' stays '' for the server to name. */
const isoOf = (local: string) => (local && !Number.isNaN(Date.parse(local)) ? new Date(local).toISOString() : local);

/**
 * Offline training: sessions of offline courses (`#/training`), and one session run by its trainer
 * (`#/training/<id>`): open it, show its rotating QR code, watch learners check in and out, close it.
 */
export class AdminTraining extends LitElement {
  static override properties = { locale: {}, sessionId: {}, sessions: { state: true }, courses: { state: true }, session: { state: true }, code: { state: true }, errors: { state: true }, notice: { state: true } };
  static override styles = shared;
  locale: Lang = 'en';
  sessionId = '';
  sessions: any[] = [];
  courses: any[] = [];
  session: any = null;
  code: any = null;
  errors = new Map<string, string[]>();
  notice = '';
  private timer: ReturnType<typeof setInterval> | undefined;

  override connectedCallback() {
    super.connectedCallback();
    // The code changes every 30 s on the server's clock; asking every 5 s shows each new one within 5 s.
    this.timer = setInterval(() => void this.refresh(), 5000);
  }

  override disconnectedCallback() {
    clearInterval(this.timer);
    super.disconnectedCallback();
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('sessionId')) {
      this.session = null;
      this.code = null;
      this.errors = new Map();
      this.notice = '';
      void this.load();
    }
  }

  private async load() {
    if (!this.sessionId) {
      [this.sessions, this.courses] = [(await api('GET', '/training-sessions')).sessions, (await api('GET', '/catalog')).courses];
      return;
    }
    await this.refresh();
  }

  private async refresh() {
    if (!this.sessionId) return;
    this.session = await api('GET', `/training-sessions/${encodeURIComponent(this.sessionId)}`);
    this.code = this.session.status === 'open' ? await api('GET', `/training-sessions/${encodeURIComponent(this.sessionId)}/code`) : null;
  }

  private create = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const text = (k: string) => String(f.get(k) ?? '').trim();
    const body = {
      courseId: text('courseId'),
      startsAt: isoOf(text('startsAt')),
      endsAt: isoOf(text('endsAt')),
      location: text('location'),
      trainer: text('trainer'),
      minShare: Number(text('minShare')) / 100,
      graceMinutes: Number(text('graceMinutes')),
    };
    try {
      const made = await api('POST', '/training-sessions', body);
      this.errors = new Map();
      location.hash = `#/training/${made.sessionId}`;
    } catch (err) {
      this.errors = err instanceof ApiError ? err.byField() : new Map([['', [String(err)]]]);
    }
  };

  private act = (action: 'open' | 'close') => async () => {
    try {
      await api('POST', `/training-sessions/${encodeURIComponent(this.sessionId)}/${action}`);
      this.notice = t(this.locale, action === 'open' ? 'sessionOpened' : 'sessionClosed');
      this.errors = new Map();
    } catch (err) {
      this.errors = err instanceof ApiError ? err.byField() : new Map([['', [String(err)]]]);
    }
    await this.refresh();
  };

  override render() {
    return this.sessionId ? this.renderSession() : this.renderList();
  }

  private renderList() {
    const l = this.locale;
    const err = (field: string) => (this.errors.get(field) ?? []).map((m) => html`<p class="error" data-error-for=${field}>${m}</p>`);
    const field = (name: string, label: string, input: unknown) => html`<p><label>${label}<br />${input}</label>${err(name)}</p>`;
    return html`<div class="grid">
      <section class="card" id="new-session">
        <h2>${t(l, 'newSession')}</h2>
        <p class="note">${t(l, 'sessionNote')}</p>
        <form @submit=${this.create}>
          ${field('courseId', t(l, 'course'), html`<select name="courseId">${this.courses.map((c) => html`<option value=${c.courseId}>${c.title} (${c.courseId})</option>`)}</select>`)}
          ${field('startsAt', t(l, 'startsAt'), html`<input name="startsAt" type="datetime-local" />`)}
          ${field('endsAt', t(l, 'endsAt'), html`<input name="endsAt" type="datetime-local" />`)}
          ${field('location', t(l, 'location'), html`<input name="location" />`)}
          ${field('trainer', t(l, 'trainer'), html`<input name="trainer" />`)}
          ${field('minShare', t(l, 'minShare'), html`<input name="minShare" type="number" min="1" max="100" value="80" />`)}
          ${field('graceMinutes', t(l, 'graceMinutes'), html`<input name="graceMinutes" type="number" min="0" max="120" value="5" />`)}
          ${err('')}
          <button class="primary" type="submit" id="create-session">${t(l, 'createSession')}</button>
        </form>
      </section>
      <section class="card" id="sessions" style="grid-column: 1 / -1">
        <h2>${t(l, 'trainingSessions')}</h2>
        <table>
          <thead><tr><th>${t(l, 'course')}</th><th>${t(l, 'startsAt')}</th><th>${t(l, 'location')}</th><th>${t(l, 'trainer')}</th><th>${t(l, 'sessionStatus')}</th><th>${t(l, 'checkedIn')}</th></tr></thead>
          <tbody>${this.sessions.map(
            (s) => html`<tr data-session=${s.sessionId}>
              <td><a href="#/training/${s.sessionId}">${s.courseTitle}</a></td><td>${time(s.startsAt)}</td><td>${s.location}</td><td>${s.trainer}</td>
              <td>${t(l, `status_${s.status as 'open'}`)}</td><td>${s.checkedIn}</td>
            </tr>`,
          )}</tbody>
        </table>
      </section>
    </div>`;
  }

  private renderSession() {
    const l = this.locale;
    const s = this.session;
    if (!s) return html`<p class="muted">…</p>`;
    const errors = [...this.errors.values()].flat().map((m) => html`<p class="error">${m}</p>`);
    return html`<div class="grid">
      <section class="card" id="session" data-status=${s.status}>
        <h2>${s.courseTitle}</h2>
        <p>${time(s.startsAt)} – ${time(s.endsAt)} · ${s.location} · ${t(l, 'trainer')}: ${s.trainer}</p>
        <p class="note">${t(l, 'minAttendance')}: ${Math.round(s.minShare * 100)} % · ${t(l, 'grace')}: ${s.graceMinutes} min · ${s.credits} ${t(l, 'creditsUnit')}</p>
        <p>${t(l, 'sessionStatus')}: <strong id="session-status">${t(l, `status_${s.status as 'open'}`)}</strong></p>
        ${s.status === 'scheduled' ? html`<button class="primary" id="open-session" @click=${this.act('open')}>${t(l, 'openSession')}</button> ` : nothing}
        ${s.status !== 'closed' ? html`<button class="danger" id="close-session" @click=${this.act('close')}>${t(l, 'closeSession')}</button>` : nothing}
        ${this.notice ? html`<span class="ok" id="session-notice">${this.notice}</span>` : nothing} ${errors}
      </section>
      ${this.code
        ? html`<section class="card" id="checkin-code" style="text-align:center">
            <h2>${t(l, 'scanToCheckIn')}</h2>
            <img id="qr" alt=${t(l, 'scanToCheckIn')} width="300" height="300" src=${`data:image/svg+xml;charset=utf-8,${encodeURIComponent(this.code.svg)}`} data-url=${this.code.url} />
            <p class="note">${t(l, 'codeRotates')}</p>
            <p style="word-break: break-all; font-size: 0.75rem"><a id="checkin-link" href=${this.code.url} target="_blank" rel="noopener">${this.code.url}</a></p>
          </section>`
        : nothing}
      <section class="card" id="attendance" style="grid-column: 1 / -1">
        <h2>${t(l, 'attendance')}</h2>
        <table>
          <thead><tr><th>${t(l, 'learner')}</th><th>${t(l, 'checkInAt')}</th><th>${t(l, 'checkOutAt')}</th><th>${t(l, 'lateMin')}</th><th>${t(l, 'earlyMin')}</th><th>${t(l, 'attendedMin')}</th><th>${t(l, 'credited')}</th><th>${t(l, 'why')}</th></tr></thead>
          <tbody>${s.attendance.map(
            (a: any) => html`<tr data-learner=${a.learnerId} data-status=${a.status}>
              <td><a href="#/learners/${encodeURIComponent(a.learnerId)}">${a.learnerId}</a></td>
              <td>${time(a.checkedInAt)}</td><td>${time(a.checkedOutAt)}</td>
              <td class=${a.lateMinutes > 0 ? 'error' : ''} data-late=${a.lateMinutes}>${a.lateMinutes > 0 ? a.lateMinutes : '—'}</td>
              <td class=${a.earlyMinutes > 0 ? 'error' : ''} data-early=${a.earlyMinutes ?? ''}>${a.earlyMinutes > 0 ? a.earlyMinutes : '—'}</td>
              <td>${a.attendedMinutes ?? '—'} / ${a.sessionMinutes}</td>
              <td class=${a.status === 'credited' ? 'ok' : a.status === 'not_credited' ? 'error' : 'muted'} data-credits=${a.credits ?? ''}>${a.credits ?? t(l, 'status_present')}</td>
              <td class="muted">${a.explanation ?? ''}</td>
            </tr>`,
          )}</tbody>
        </table>
        ${s.attendance.length ? nothing : html`<p class="muted">${t(l, 'noAttendance')}</p>`}
      </section>
    </div>`;
  }
}
customElements.define('xa-training', AdminTraining);
