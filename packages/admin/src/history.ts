import { css, html, LitElement, nothing } from 'lit';
import type { HistoryReport } from '@xcredit/sdk/client';
import { ApiError, upload } from './api.js';
import { t, type Lang } from './i18n.js';
import { shared } from './styles.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const COLUMNS_DOC = 'https://github.com/xcredit/xcredit/blob/main/docs/credits.md#importing-earlier-years';

/**
 * Earlier years' credits from a CSV or XLSX file: a dry run shows every line (and each problem by
 * its field); only a file whose dry run has no problem can then be imported, all or nothing.
 */
export class AdminHistory extends LitElement {
  static override properties = { locale: {}, file: { state: true }, report: { state: true }, error: { state: true }, busy: { state: true } };
  static override styles = [shared, css`td.date { white-space: nowrap; }`];
  locale: Lang = 'en';
  file: File | null = null;
  /** The last answer for `file`: a dry run's, or the import's. */
  report: HistoryReport | null = null;
  error = '';
  busy = false;

  private choose = (e: Event) => {
    this.file = (e.target as HTMLInputElement).files?.[0] ?? null;
    this.report = null;
    this.error = '';
  };

  private async send(dryRun: boolean) {
    const file = this.file;
    if (!file) return;
    this.busy = true;
    this.error = '';
    try {
      const type = /\.xlsx$/i.test(file.name) ? XLSX : 'text/csv';
      const report = await upload<HistoryReport>(`/history/import?${new URLSearchParams({ file: file.name, ...(dryRun ? { dryRun: 'true' } : {}) })}`, file, type).catch((err) => {
        // A wrong line found while importing (a learner deleted since the dry run) comes with the report.
        if (err instanceof ApiError && err.status === 422 && (err.body as HistoryReport | undefined)?.lines) return err.body as HistoryReport;
        throw err;
      });
      if (this.file === file) this.report = report;
    } catch (err) {
      if (this.file === file) {
        this.report = null;
        this.error = err instanceof Error ? err.message : String(err);
      }
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const l = this.locale;
    const r = this.report;
    const canImport = !this.busy && !!this.file && !!r?.dryRun && r.ok;
    const status = (s: HistoryReport['lines'][number]['status']) => (s === 'invalid' ? t(l, 'historyInvalid') : s === 'already_imported' ? t(l, 'historyAlready') : r?.dryRun ? t(l, 'historyOk') : t(l, 'historyImported'));
    return html`<section class="card" id="history-import">
      <h2>${t(l, 'history')}</h2>
      <p class="note">${t(l, 'historyNote')} <a id="history-columns" href=${COLUMNS_DOC} target="_blank" rel="noopener">${t(l, 'historyColumns')}</a></p>
      <p>
        <input type="file" id="history-file" accept=".csv,.xlsx,text/csv,${XLSX}" @change=${this.choose} />
        <button id="history-check" ?disabled=${this.busy || !this.file} @click=${() => this.send(true)}>${t(l, 'historyCheck')}</button>
        <button class="primary" id="history-run" ?disabled=${!canImport} @click=${() => this.send(false)}>${t(l, 'historyRun')}</button>
      </p>
      ${this.error ? html`<p class="error" id="history-error">${this.error}</p>` : nothing}
      ${r
        ? html`<p id="history-summary" class=${r.ok ? 'ok' : 'error'}>
              ${r.dryRun ? (r.ok ? t(l, 'historyCheckedOk') : t(l, 'historyCheckedBad')) : r.ok ? t(l, 'historyDone') : t(l, 'historyRefused')}
            </p>
            <p id="history-counts">
              ${t(l, 'historyLines')}: ${r.counts.lines} · ${r.dryRun ? t(l, 'historyOk') : t(l, 'historyImported')}: <span id="history-new">${r.dryRun || r.ok ? r.counts.new : 0}</span> ·
              ${t(l, 'historyAlready')}: <span id="history-already">${r.counts.alreadyImported}</span> · ${t(l, 'historyInvalid')}: <span id="history-invalid">${r.counts.invalid}</span>
            </p>
            <table id="history-report">
              <thead><tr><th>${t(l, 'historyLine')}</th><th>${t(l, 'historyExternalId')}</th><th>${t(l, 'learner')}</th><th>${t(l, 'historyDate')}</th><th>${t(l, 'credits')}</th><th>${t(l, 'statusHeading')}</th><th>${t(l, 'historyProblems')}</th></tr></thead>
              <tbody>${r.lines.map(
                (line) => html`<tr data-line=${line.line} data-status=${line.status}>
                  <td>${line.line}</td><td>${line.externalId ?? ''}</td><td>${line.learnerId ?? ''}</td><td class="date">${line.date ?? ''}</td><td>${line.credits ?? ''}</td>
                  <td class=${line.status === 'invalid' ? 'error' : line.status === 'new' ? 'ok' : 'muted'}>${status(line.status)}</td>
                  <td>${line.problems.map((p) => html`<div class="error" data-problem=${p.field}>${p.field}: ${p.message}</div>`)}</td>
                </tr>`,
              )}</tbody>
            </table>`
        : nothing}
    </section>`;
  }
}
customElements.define('xa-history', AdminHistory);
