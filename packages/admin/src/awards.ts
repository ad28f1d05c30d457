import { html, LitElement, nothing } from 'lit';
import { api, ApiError } from './api.js';
import { t, type Lang } from './i18n.js';
import { shared } from './styles.js';

/** Pending growth awards with their category and evidence, approved or rejected with a reason; the growth categories and their yearly caps. */
export class AdminAwards extends LitElement {
  static override properties = { locale: {}, awards: { state: true }, categories: { state: true }, errors: { state: true }, done: { state: true } };
  static override styles = shared;
  locale: Lang = 'en';
  awards: any[] = [];
  categories: any[] = [];
  errors: Record<string, string> = {};
  done: { awardId: string; title: string; status: string; creditedCredits: number | null; capNote: string | null }[] = [];

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  async load() {
    const [pending, categories] = await Promise.all([api('GET', '/awards?status=pending'), api('GET', '/growth-categories')]);
    // Each pending award with its evidence files.
    this.awards = await Promise.all(pending.awards.map((a: any) => api('GET', `/awards/${a.awardId}`)));
    this.categories = categories.categories;
  }

  async decide(awardId: string, action: 'approve' | 'reject') {
    const reason = (this.renderRoot.querySelector(`[data-reason="${awardId}"]`) as HTMLInputElement).value.trim();
    try {
      const award = await api('POST', `/awards/${awardId}/${action}`, reason ? { reason } : {});
      this.errors = { ...this.errors, [awardId]: '' };
      this.done = [...this.done, { awardId, title: award.title, status: award.status, creditedCredits: award.creditedCredits, capNote: award.capNote }];
      await this.load();
    } catch (err) {
      this.errors = { ...this.errors, [awardId]: err instanceof ApiError ? err.message : String(err) };
    }
  }

  private saveCategory = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const f = new FormData(form);
    const id = String(f.get('categoryId') ?? '').trim();
    const cap = String(f.get('yearlyCap') ?? '').trim();
    try {
      await api('PUT', `/growth-categories/${encodeURIComponent(id)}`, { name: String(f.get('name') ?? '').trim(), yearlyCap: cap === '' ? null : Number(cap) });
      this.errors = { ...this.errors, category: '' };
      form.reset();
      await this.load();
    } catch (err) {
      this.errors = { ...this.errors, category: err instanceof ApiError ? err.message : String(err) };
    }
  };

  private evidence(a: any) {
    const link = typeof a.evidence?.url === 'string' && /^https?:\/\//i.test(a.evidence.url) ? a.evidence.url : null;
    return html`${link ? html`<a href=${link} target="_blank" rel="noopener noreferrer" data-evidence-link>${link}</a><br />` : nothing}
      ${(a.files ?? []).map((f: any) => html`<a href="/admin/api/awards/${a.awardId}/evidence/${f.fileId}" data-evidence-file>${f.fileName}</a> <span class="muted">${Math.ceil(f.size / 1024)} KB</span><br />`)}`;
  }

  override render() {
    const l = this.locale;
    const capOf = (id: string | null) => this.categories.find((c) => c.categoryId === id);
    return html`<section class="card" id="pending">
      <h2>${t(l, 'pending')}</h2>
      ${this.awards.length
        ? html`<table>
            <thead><tr><th>${t(l, 'learner')}</th><th>${t(l, 'title')}</th><th>${t(l, 'category')}</th><th>${t(l, 'credits')}</th><th>${t(l, 'evidence')}</th><th>${t(l, 'reason')}</th><th></th></tr></thead>
            <tbody>${this.awards.map(
              (a) => html`<tr data-award=${a.awardId}>
                <td><a href="#/learners/${encodeURIComponent(a.learnerId)}">${a.learnerId}</a></td><td>${a.title}</td>
                <td>${capOf(a.category)?.name ?? a.category ?? '—'}${capOf(a.category)?.yearlyCap != null ? html`<br /><span class="muted">${t(l, 'yearlyCap')} ${capOf(a.category).yearlyCap}</span>` : nothing}</td>
                <td>${a.credits}</td><td>${this.evidence(a)}</td>
                <td><input data-reason=${a.awardId} placeholder=${t(l, 'reasonPlaceholder')} style="width:100%" />${this.errors[a.awardId] ? html`<p class="error" data-error-for=${a.awardId}>${this.errors[a.awardId]}</p>` : nothing}</td>
                <td style="white-space:nowrap"><button class="primary" @click=${() => this.decide(a.awardId, 'approve')} data-approve=${a.awardId}>${t(l, 'approve')}</button> <button class="danger" @click=${() => this.decide(a.awardId, 'reject')} data-reject=${a.awardId}>${t(l, 'reject')}</button></td>
              </tr>`,
            )}</tbody>
          </table>`
        : html`<p class="muted">${t(l, 'noPending')}</p>`}
      ${this.done.length
        ? html`<ul id="decided">${this.done.map(
            (d) => html`<li data-decided=${d.awardId}>${d.title}: ${t(l, d.status === 'approved' ? 'approved' : 'rejected')}${d.status === 'approved' && d.creditedCredits !== null ? html` · ${t(l, 'credited')} ${d.creditedCredits}` : nothing}${d.capNote ? html` <span class="muted" data-cap-note>(${d.capNote})</span>` : nothing}</li>`,
          )}</ul>`
        : nothing}
    </section>
    <section class="card" id="categories" style="margin-top:16px">
      <h2>${t(l, 'categories')}</h2>
      <table>
        <thead><tr><th>ID</th><th>${t(l, 'title')}</th><th>${t(l, 'yearlyCap')}</th></tr></thead>
        <tbody>${this.categories.map((c) => html`<tr data-category=${c.categoryId}><td>${c.categoryId}</td><td>${c.name}</td><td>${c.yearlyCap ?? t(l, 'noCap')}</td></tr>`)}</tbody>
      </table>
      <form @submit=${this.saveCategory} style="margin-top:8px">
        <input name="categoryId" placeholder="open-lesson" required /> <input name="name" placeholder=${t(l, 'title')} /> <input name="yearlyCap" type="number" step="0.1" placeholder=${t(l, 'yearlyCap')} />
        <button type="submit" id="save-category">${t(l, 'addCategory')}</button>
        ${this.errors.category ? html`<p class="error" data-error-for="category">${this.errors.category}</p>` : nothing}
      </form>
    </section>`;
  }
}
customElements.define('xa-awards', AdminAwards);
