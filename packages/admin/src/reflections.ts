import { html, LitElement, nothing } from 'lit';
import { api, ApiError } from './api.js';
import { t, type Lang } from './i18n.js';
import { shared } from './styles.js';

/** Reflections waiting for review, each read in full and approved or returned with a note; the ones reviewed here listed below. */
export class AdminReflections extends LitElement {
  static override properties = { locale: {}, waiting: { state: true }, errors: { state: true }, done: { state: true } };
  static override styles = shared;
  locale: Lang = 'en';
  waiting: any[] = [];
  errors: Record<string, string> = {};
  done: { key: string; learnerId: string; courseTitle: string; status: string; note: string | null }[] = [];

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  async load() {
    this.waiting = (await api('GET', '/reflections?status=submitted')).reflections;
  }

  async review(r: { learnerId: string; courseId: string }, action: 'approve' | 'return') {
    const key = `${r.learnerId}/${r.courseId}`;
    const note = (this.renderRoot.querySelector(`[data-note="${CSS.escape(key)}"]`) as HTMLTextAreaElement).value.trim();
    try {
      const path = `/reflections/${encodeURIComponent(r.learnerId)}/${encodeURIComponent(r.courseId)}/${action}`;
      const reviewed = action === 'approve' ? await api('POST', path) : await api('POST', path, { note });
      this.errors = { ...this.errors, [key]: '' };
      this.done = [...this.done, { key, learnerId: reviewed.learnerId, courseTitle: reviewed.courseTitle, status: reviewed.status, note: reviewed.note }];
      await this.load();
    } catch (err) {
      this.errors = { ...this.errors, [key]: err instanceof ApiError ? err.message : String(err) };
    }
  }

  override render() {
    const l = this.locale;
    return html`<section class="card" id="reflections">
      <h2>${t(l, 'reflectionsWaiting')}</h2>
      <p class="note">${t(l, 'reflectionsNote')}</p>
      ${this.waiting.length
        ? html`<table>
            <thead><tr><th>${t(l, 'learner')}</th><th>${t(l, 'course')}</th><th>${t(l, 'reflectionText')}</th><th>${t(l, 'returnNote')}</th><th></th></tr></thead>
            <tbody>${this.waiting.map((r) => {
              const key = `${r.learnerId}/${r.courseId}`;
              return html`<tr data-reflection=${key}>
                <td><a href="#/learners/${encodeURIComponent(r.learnerId)}">${r.learnerId}</a><br /><span class="muted">${t(l, 'submittedAt')} ${new Date(r.submittedAt).toLocaleDateString(l === 'zh' ? 'zh-CN' : 'en')}</span></td>
                <td>${r.courseTitle}</td>
                <td style="max-width:420px"><p data-text style="white-space:pre-wrap;margin:0">${r.text}</p><span class="muted" data-length>${r.length} ${t(l, 'characters')}${r.minLength ? html` · ${t(l, 'minimum')} ${r.minLength}` : nothing}</span></td>
                <td><textarea data-note=${key} rows="3" style="font-family:inherit;min-width:200px"></textarea>${this.errors[key] ? html`<p class="error" data-error-for=${key}>${this.errors[key]}</p>` : nothing}</td>
                <td style="white-space:nowrap"><button class="primary" data-approve=${key} @click=${() => this.review(r, 'approve')}>${t(l, 'approve')}</button> <button class="danger" data-return=${key} @click=${() => this.review(r, 'return')}>${t(l, 'returnIt')}</button></td>
              </tr>`;
            })}</tbody>
          </table>`
        : html`<p class="muted" id="no-reflections">${t(l, 'noReflections')}</p>`}
      ${this.done.length
        ? html`<h2 style="margin-top:14px">${t(l, 'reviewed')}</h2>
            <ul id="reviewed">${this.done.map(
              (d) => html`<li data-reviewed=${d.key}>${d.learnerId} · ${d.courseTitle}: ${t(l, d.status === 'approved' ? 'reflectionApproved' : 'reflectionReturned')}${d.note ? html` <span class="muted">(${d.note})</span>` : nothing}</li>`,
            )}</ul>`
        : nothing}
    </section>`;
  }
}
customElements.define('xa-reflections', AdminReflections);
