import { html, LitElement, nothing } from 'lit';
import { api, ApiError } from './api.js';
import { t, type Lang } from './i18n.js';
import { shared } from './styles.js';

/** Pending growth awards, approved or rejected with a reason. */
export class AdminAwards extends LitElement {
  static override properties = { locale: {}, awards: { state: true }, errors: { state: true }, done: { state: true } };
  static override styles = shared;
  locale: Lang = 'en';
  awards: any[] = [];
  errors: Record<string, string> = {};
  done: { awardId: string; title: string; status: string }[] = [];

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  async load() {
    this.awards = (await api('GET', '/awards?status=pending')).awards;
  }

  async decide(awardId: string, action: 'approve' | 'reject') {
    const reason = (this.renderRoot.querySelector(`[data-reason="${awardId}"]`) as HTMLInputElement).value.trim();
    try {
      const award = await api('POST', `/awards/${awardId}/${action}`, reason ? { reason } : {});
      this.errors = { ...this.errors, [awardId]: '' };
      this.done = [...this.done, { awardId, title: award.title, status: award.status }];
      await this.load();
    } catch (err) {
      this.errors = { ...this.errors, [awardId]: err instanceof ApiError ? err.message : String(err) };
    }
  }

  override render() {
    const l = this.locale;
    return html`<section class="card" id="pending">
      <h2>${t(l, 'pending')}</h2>
      ${this.awards.length
        ? html`<table>
            <thead><tr><th>${t(l, 'learner')}</th><th>${t(l, 'title')}</th><th>${t(l, 'credits')}</th><th>${t(l, 'reason')}</th><th></th></tr></thead>
            <tbody>${this.awards.map(
              (a) => html`<tr data-award=${a.awardId}>
                <td><a href="#/learners/${encodeURIComponent(a.learnerId)}">${a.learnerId}</a></td><td>${a.title}</td><td>${a.credits}</td>
                <td><input data-reason=${a.awardId} placeholder=${t(l, 'reasonPlaceholder')} style="width:100%" />${this.errors[a.awardId] ? html`<p class="error" data-error-for=${a.awardId}>${this.errors[a.awardId]}</p>` : nothing}</td>
                <td style="white-space:nowrap"><button class="primary" @click=${() => this.decide(a.awardId, 'approve')} data-approve=${a.awardId}>${t(l, 'approve')}</button> <button class="danger" @click=${() => this.decide(a.awardId, 'reject')} data-reject=${a.awardId}>${t(l, 'reject')}</button></td>
              </tr>`,
            )}</tbody>
          </table>`
        : html`<p class="muted">${t(l, 'noPending')}</p>`}
      ${this.done.length ? html`<ul id="decided">${this.done.map((d) => html`<li>${d.title}: ${t(l, d.status === 'approved' ? 'approved' : 'rejected')}</li>`)}</ul>` : nothing}
    </section>`;
  }
}
customElements.define('xa-awards', AdminAwards);
