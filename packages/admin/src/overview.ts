import { html, LitElement, nothing } from 'lit';
import { api, ApiError } from './api.js';
import { barChart, columnChart, stackedBar } from './charts.js';
import { t, type Lang } from './i18n.js';
import { shared } from './styles.js';

/** Charts of the year: progress against target by department, standings, study hours, hot courses, and the at-risk list. */
export class AdminOverview extends LitElement {
  static override properties = { locale: {}, period: {}, data: { state: true }, error: { state: true }, notice: { state: true } };
  static override styles = shared;
  locale: Lang = 'en';
  period = '';
  data: { summary: any; study: any; hot: any; risk: any } | null = null;
  error = '';
  notice = '';

  override updated(changed: Map<string, unknown>) {
    if (changed.has('period') && this.period) void this.load();
  }

  async load() {
    const q = `period=${this.period}`;
    try {
      const [summary, study, hot, risk] = await Promise.all([
        api('GET', `/reports/summary?groupBy=department&${q}`),
        api('GET', `/reports/study-time?${q}`),
        api('GET', `/reports/hot-courses?limit=8&${q}`),
        api('GET', `/reports/at-risk?limit=20&${q}`),
      ]);
      this.data = { summary, study, hot, risk };
      this.error = '';
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  private async remindOne(learnerId: string) {
    try {
      const { reminder, created } = await api('POST', `/learners/${encodeURIComponent(learnerId)}/remind?period=${this.period}`);
      this.notice = `${t(this.locale, created ? 'remindQueued' : 'remindAlready')} ${reminder.recipient}`;
    } catch (err) {
      this.notice = err instanceof ApiError ? err.message : String(err);
    }
  }

  private remindAll = async () => {
    const department = (this.renderRoot.querySelector('#remind-department') as HTMLSelectElement).value;
    try {
      const r = await api('POST', '/reminders/at-risk', { period: this.period, ...(department ? { department } : {}) });
      const l = this.locale;
      this.notice = `${t(l, 'remindBatch')}: ${r.queued.length}${r.already.length ? ` · ${t(l, 'remindAlready')} ${r.already.length}` : ''}${r.skipped.length ? ` · ${r.skipped.length} ${t(l, 'remindSkipped')}` : ''}`;
    } catch (err) {
      this.notice = err instanceof ApiError ? err.message : String(err);
    }
  };

  override render() {
    const l = this.locale;
    if (this.error) return html`<p class="error">${this.error}</p>`;
    if (!this.data) return html`<p class="muted">…</p>`;
    const { summary, study, hot, risk } = this.data;
    const total = summary.total ?? { met: 0, onTrack: 0, atRisk: 0, learners: 0, withTarget: 0 };
    return html`<div class="grid">
      <section class="card" id="progress">
        <h2>${t(l, 'progress')}</h2>
        <p class="note">${t(l, 'progressNote')}</p>
        ${summary.rows.length ? barChart(summary.rows.map((r: any) => ({ label: r.group ?? '—', value: r.averageEarned, target: r.averageTarget })), { label: t(l, 'progress') }) : html`<p class="muted">${t(l, 'noData')}</p>`}
      </section>
      <section class="card" id="standing">
        <h2>${t(l, 'status')}</h2>
        ${stackedBar(
          [
            { label: t(l, 'met'), value: total.met, cls: 'met' },
            { label: t(l, 'onTrack'), value: total.onTrack, cls: 'on_track' },
            { label: t(l, 'atRisk'), value: total.atRisk, cls: 'at_risk' },
            { label: t(l, 'noTarget'), value: total.learners - total.withTarget, cls: 'no_target' },
          ],
          { label: t(l, 'status') },
        )}
      </section>
      <section class="card" id="study">
        <h2>${t(l, 'studyHours')}</h2>
        ${columnChart(study.rows.map((r: any) => ({ label: r.bucket === 'none' ? '0' : r.bucket, value: r.learners })), { label: t(l, 'studyHours') })}
      </section>
      <section class="card" id="hot">
        <h2>${t(l, 'hotCourses')}</h2>
        ${hot.rows.length ? barChart(hot.rows.map((r: any) => ({ label: r.title, value: r.launches })), { label: t(l, 'hotCourses') }) : html`<p class="muted">${t(l, 'noData')}</p>`}
      </section>
      <section class="card" id="at-risk" style="grid-column: 1 / -1">
        <h2>${t(l, 'atRiskList')} (${risk.atRisk})</h2>
        <p>
          <label for="remind-department">${t(l, 'remindAll')}</label>
          <select id="remind-department">
            <option value="">${t(l, 'allDepartments')}</option>
            ${summary.rows.filter((r: any) => r.group).map((r: any) => html`<option value=${r.group}>${r.group}</option>`)}
          </select>
          <button class="primary" id="remind-all" @click=${this.remindAll}>${t(l, 'remind')}</button>
          ${this.notice ? html`<span class="ok" id="remind-result">${this.notice}</span>` : nothing}
        </p>
        ${risk.rows.length
          ? html`<table>
              <thead><tr><th>${t(l, 'learner')}</th><th>${t(l, 'department')}</th><th>${t(l, 'earned')}</th><th>${t(l, 'target')}</th><th>${t(l, 'projected')}</th><th>${t(l, 'daysLeft')}</th><th></th></tr></thead>
              <tbody>${risk.rows.map(
                (r: any) => html`<tr>
                  <td><a href="#/learners/${encodeURIComponent(r.learnerId)}">${r.displayName ?? r.learnerId}</a></td>
                  <td>${r.department ?? '—'}</td><td>${r.earned}</td><td>${r.target}</td><td>${r.projected}</td><td>${r.daysLeft}</td>
                  <td><button data-remind=${r.learnerId} @click=${() => this.remindOne(r.learnerId)}>${t(l, 'remind')}</button></td>
                </tr>`,
              )}</tbody>
            </table>`
          : html`<p class="muted">${t(l, 'nobody')}</p>`}
      </section>
    </div>`;
  }
}
customElements.define('xa-overview', AdminOverview);
