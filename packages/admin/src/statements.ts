import { html, LitElement, nothing, css } from 'lit';
import { api, ApiError } from './api.js';
import { t, type Lang } from './i18n.js';
import { shared } from './styles.js';

const FILTERS = ['learnerId', 'courseId', 'verb', 'since', 'until'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;
const VERBS = ['initialized', 'played', 'paused', 'seeked', 'completed', 'terminated', 'answered', 'interacted', 'voided'];

/** `datetime-local` value (local time) ⇄ ISO 8601 with offset, as the API takes it. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : '');
const toLocal = (iso: string | undefined) => {
  if (!iso || Number.isNaN(Date.parse(iso))) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
const mediaText = (m: { time?: number; from?: number; to?: number }) =>
  m.from !== undefined || m.to !== undefined ? `${m.from ?? '?'} → ${m.to ?? '?'} s` : m.time !== undefined ? `${m.time} s` : '';

/**
 * The statement browser: statements newest first, filtered by learner, course, verb and receipt
 * time, each with what the server made of it; the filters live in the URL (`#/statements/learnerId=…`),
 * so a learner's explanation links straight to their statements.
 */
export class AdminStatements extends LitElement {
  static override properties = { locale: {}, query: {}, rows: { state: true }, next: { state: true }, message: { state: true }, fieldErrors: { state: true }, loading: { state: true } };
  static override styles = [
    shared,
    css`
      form { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; }
      form label { display: flex; flex-direction: column; font-size: 0.8rem; color: #5b6775; gap: 2px; }
      .verdict { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 0.78rem; font-weight: 600; white-space: nowrap; }
      .verdict.counted { background: #e3f4e8; color: #17803d; }
      .verdict.capped { background: #fdecd2; color: #8a4b00; }
      .verdict.flagged { background: #fde2e0; color: #b3261e; }
      .verdict.not_counted, .verdict.voided { background: #eef1f5; color: #5b6775; }
      .verdict.outside_launch { background: #e8eefc; color: #1f4fa8; }
      td.when { white-space: nowrap; font-variant-numeric: tabular-nums; }
      .more { margin-top: 12px; }
    `,
  ];
  locale: Lang = 'en';
  /** The filters as the URL carries them (`learnerId=…&verb=…`). */
  query = '';
  rows: any[] = [];
  next: string | null = null;
  message = '';
  fieldErrors: Map<string, string[]> = new Map();
  loading = false;

  private get filters(): Filters {
    const p = new URLSearchParams(this.query);
    return Object.fromEntries(FILTERS.filter((k) => p.get(k)).map((k) => [k, p.get(k)!]));
  }

  override updated(changed: Map<string, unknown>) {
    if (changed.has('query')) void this.load();
  }

  /** The first page for the filters, or the page after `cursor`. */
  async load(cursor?: string) {
    const p = new URLSearchParams({ ...this.filters, limit: '50', ...(cursor ? { cursor } : {}) });
    this.loading = true;
    try {
      const page = await api('GET', `/statements/explained?${p}`);
      this.rows = cursor ? [...this.rows, ...page.statements] : page.statements;
      this.next = page.nextCursor;
      this.message = '';
      this.fieldErrors = new Map();
    } catch (err) {
      if (!cursor) this.rows = [];
      this.next = null;
      this.message = err instanceof ApiError ? err.message : String(err);
      this.fieldErrors = err instanceof ApiError ? err.byField() : new Map();
    } finally {
      this.loading = false;
    }
  }

  private apply(e: Event) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const p = new URLSearchParams();
    for (const k of FILTERS) {
      const v = String(data.get(k) ?? '').trim();
      if (v) p.set(k, k === 'since' || k === 'until' ? toIso(v) : v);
    }
    location.hash = `#/statements/${p}`;
  }

  override render() {
    const l = this.locale;
    const f = this.filters;
    const err = (k: string) => (this.fieldErrors.get(k) ? html`<span class="error" data-error=${k}>${this.fieldErrors.get(k)!.join('; ')}</span>` : nothing);
    return html`<section class="card" id="filters">
        <h2>${t(l, 'statements')}</h2>
        <p class="note">${t(l, 'statementsNote')}</p>
        <form @submit=${this.apply}>
          <label>${t(l, 'learner')}<input name="learnerId" .value=${f.learnerId ?? ''} />${err('learnerId')}</label>
          <label>${t(l, 'course')}<input name="courseId" .value=${f.courseId ?? ''} />${err('courseId')}</label>
          <label>${t(l, 'verb')}<select name="verb" .value=${f.verb ?? ''}><option value="">${t(l, 'any')}</option>${VERBS.map((v) => html`<option value=${v} ?selected=${f.verb === v}>${v}</option>`)}</select>${err('verb')}</label>
          <label>${t(l, 'since')}<input type="datetime-local" name="since" .value=${toLocal(f.since)} />${err('since')}</label>
          <label>${t(l, 'until')}<input type="datetime-local" name="until" .value=${toLocal(f.until)} />${err('until')}</label>
          <button type="submit" class="primary" id="apply">${t(l, 'search')}</button>
        </form>
      </section>
      ${this.message ? html`<p class="error" id="message" role="alert">${this.message}</p>` : nothing}
      <section class="card" style="margin-top:16px">
        <table id="statements">
          <thead><tr><th>${t(l, 'received')}</th><th>${t(l, 'learner')}</th><th>${t(l, 'course')}</th><th>${t(l, 'verb')}</th><th>${t(l, 'media')}</th><th>${t(l, 'verdict')}</th><th>${t(l, 'whatServerMade')}</th></tr></thead>
          <tbody>
            ${this.rows.map(
              (s) => html`<tr data-statement=${s.id} data-verdict=${s.verdict}>
                <td class="when" title=${s.timestamp ? `${t(l, 'clientTime')} ${s.timestamp}` : ''}>${s.stored.replace('T', ' ').slice(0, 19)}</td>
                <td>${s.learnerId ? html`<a href="#/learners/${encodeURIComponent(s.learnerId)}">${s.learnerId}</a>` : '—'}</td>
                <td>${s.courseId ?? '—'}</td>
                <td>${s.verb}</td>
                <td>${mediaText(s.media)}</td>
                <td><span class="verdict ${s.verdict}">${t(l, `verdict_${s.verdict}` as never)}</span></td>
                <td>${s.explanation}<div class="muted">${s.source}${s.sessionId ? ` · ${t(l, 'statementSession')} ${s.sessionId.slice(0, 8)}` : ''}</div></td>
              </tr>`,
            )}
            ${!this.rows.length && !this.loading && !this.message ? html`<tr><td colspan="7" class="muted" id="empty">${t(l, 'noStatements')}</td></tr>` : nothing}
          </tbody>
        </table>
        ${this.next ? html`<button class="more" id="more" ?disabled=${this.loading} @click=${() => this.load(this.next!)}>${t(l, 'more')}</button>` : nothing}
      </section>`;
  }
}
customElements.define('xa-statements', AdminStatements);
