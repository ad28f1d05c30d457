import { html, LitElement, nothing } from 'lit';
import { api, ApiError } from './api.js';
import { t, type Key, type Lang } from './i18n.js';
import { shared } from './styles.js';

const pct = (n: number) => `${Math.round(n * 100)}%`;
const STATUS: Record<string, Key> = { met: 'met', on_track: 'onTrack', at_risk: 'atRisk', no_target: 'noTarget' };

/** Find a learner; their standing, each course with its engagement explanation, the ledger, and certificates. */
export class AdminLearner extends LitElement {
  static override properties = { locale: {}, learnerId: {}, period: {}, found: { state: true }, credits: { state: true }, path: { state: true }, plans: { state: true }, planNotice: { state: true }, ledger: { state: true }, explanations: { state: true }, message: { state: true }, notice: { state: true } };
  static override styles = shared;
  locale: Lang = 'en';
  learnerId = '';
  period = '';
  found: any[] = [];
  credits: any = null;
  path: any = null;
  plans: any[] = [];
  planNotice = '';
  ledger: any = null;
  explanations: Record<string, any> = {};
  message = '';
  notice = '';

  override updated(changed: Map<string, unknown>) {
    if ((changed.has('learnerId') || changed.has('period')) && this.learnerId && this.period) void this.load();
  }

  async load() {
    const id = encodeURIComponent(this.learnerId);
    try {
      [this.credits, this.ledger, this.path, { plans: this.plans }] = await Promise.all([
        api('GET', `/learners/${id}/credits?period=${this.period}`),
        api('GET', `/learners/${id}/ledger?period=${this.period}`),
        api('GET', `/learners/${id}/path?period=${this.period}`),
        api('GET', `/learners/${id}/plans`),
      ]);
      this.planNotice = '';
      this.explanations = {};
      this.message = '';
    } catch (err) {
      this.credits = null;
      this.message = (err as Error).message;
    }
  }

  async search(e: Event) {
    e.preventDefault();
    const q = (this.renderRoot.querySelector('#q') as HTMLInputElement).value;
    this.found = (await api('GET', `/learners?q=${encodeURIComponent(q)}`)).learners;
  }

  async explain(courseId: string) {
    const e = await api('GET', `/learners/${encodeURIComponent(this.learnerId)}/courses/${encodeURIComponent(courseId)}/engagement?period=${this.period}`);
    this.explanations = { ...this.explanations, [courseId]: e };
  }

  async remind() {
    try {
      const { reminder, created } = await api('POST', `/learners/${encodeURIComponent(this.learnerId)}/remind?period=${this.period}`);
      this.notice = `${t(this.locale, created ? 'remindQueued' : 'remindAlready')} ${reminder.recipient}`;
      this.message = '';
    } catch (err) {
      this.notice = '';
      this.message = err instanceof ApiError ? err.message : String(err);
    }
  }

  async createPlan() {
    try {
      const { created } = await api('POST', `/learners/${encodeURIComponent(this.learnerId)}/plans`, { period: this.period });
      this.plans = (await api('GET', `/learners/${encodeURIComponent(this.learnerId)}/plans`)).plans;
      this.planNotice = t(this.locale, created ? 'planCreated' : 'planExisted');
      this.message = '';
    } catch (err) {
      this.planNotice = '';
      this.message = err instanceof ApiError ? err.message : String(err);
    }
  }

  async certify(courseId?: string) {
    try {
      const c = await api('POST', '/certificates', { learnerId: this.learnerId, period: this.period, ...(courseId ? { courseId } : {}) });
      this.message = '';
      window.open(c.verifyUrl, '_blank', 'noopener');
      this.explanations = { ...this.explanations, [`cert:${courseId ?? ''}`]: c };
    } catch (err) {
      this.message = err instanceof ApiError ? err.message : String(err);
    }
  }

  override render() {
    const l = this.locale;
    return html`<section class="card" id="find">
        <form @submit=${this.search}><label for="q">${t(l, 'findLearner')}</label> <input id="q" /> <button type="submit">${t(l, 'search')}</button></form>
        ${this.found.length
          ? html`<ul>${this.found.map((f) => html`<li><a href="#/learners/${encodeURIComponent(f.learnerId)}">${f.displayName ?? f.learnerId}</a> <span class="muted">${f.learnerId} · ${f.department ?? ''}</span></li>`)}</ul>`
          : nothing}
      </section>
      ${this.message ? html`<p class="error" id="message">${this.message}</p>` : nothing}
      ${this.credits ? this.renderLearner() : nothing}`;
  }

  private renderPath() {
    const l = this.locale;
    const p = this.path;
    if (!p) return nothing;
    const atRisk = this.credits?.status === 'at_risk';
    return html`<section class="card" id="path" style="margin-top:16px">
      <h2>${t(l, 'learningPath')}</h2>
      <p class="note">${t(l, 'pathNote')}</p>
      ${p.status === 'met'
        ? html`<p class="ok" id="path-status">${t(l, 'pathMet')}</p>`
        : p.status === 'no_target'
          ? html`<p class="muted" id="path-status">${t(l, 'pathNoTarget')}</p>`
          : html`<p id="path-status" class=${p.reachable ? 'ok' : 'error'}>${t(l, p.reachable ? 'reachable' : 'notReachable')}${p.unreachable.length ? `: ${p.unreachable.map((u: string) => t(l, `unreach_${u}` as Key)).join('; ')}` : ''} · ${p.minutesNeeded} ${t(l, 'minutesInAll')} · ${p.minutesPerWeek} ${t(l, 'perWeek')}</p>`}
      ${p.steps.length
        ? html`<table>
            <thead><tr><th>${t(l, 'dueBy')}</th><th>${t(l, 'course')}</th><th>${t(l, 'credits')}</th><th>${t(l, 'minutes')}</th><th>${t(l, 'why')}</th></tr></thead>
            <tbody>${p.steps.map(
              (s: any) =>
                html`<tr data-step=${s.courseId}><td>${s.dueOn}${s.late ? html` <span class="error">${t(l, 'late')}</span>` : nothing}</td><td>${s.title}</td><td>${s.credits}</td><td>${s.minutes}</td><td>${s.reason === 'required_missing' ? t(l, 'requiredMissing') : `${t(l, 'electiveIn')}${s.category ? ` · ${s.category}` : ''}`}${s.inProgress ? html` · <span class="ok">${t(l, 'inProgress')}</span>` : nothing}</td></tr>`,
            )}</tbody>
          </table>`
        : nothing}
      ${atRisk && p.steps.length ? html`<p><button class="primary" id="create-plan" @click=${() => this.createPlan()}>${t(l, 'createPlan')}</button> ${this.planNotice ? html`<span class="ok" id="plan-result">${this.planNotice}</span>` : nothing}</p>` : nothing}
      ${this.plans.map(
        (plan: any) => html`<div data-plan=${plan.planId} style="margin-top:12px">
          <h2>${t(l, 'plans')} · ${plan.createdAt.slice(0, 10)} · ${plan.done}/${plan.milestones.length} ${t(l, 'milestone_done')}${plan.overdue ? html` · <span class="error">${plan.overdue} ${t(l, 'milestone_overdue')}</span>` : nothing}</h2>
          <table><tbody>${plan.milestones.map((m: any) => html`<tr data-milestone=${m.courseId}><td>${m.dueOn}</td><td>${m.title}</td><td class=${m.status === 'done' ? 'ok' : m.status === 'overdue' ? 'error' : 'muted'} data-status=${m.status}>${t(l, `milestone_${m.status}` as Key)}</td></tr>`)}</tbody></table>
          <p class="muted" data-plan-mails>${t(l, 'planMails')}: ${plan.mails.map((m: any) => `${t(l, m.to === 'learner' ? 'toLearner' : 'toManager')} ${t(l, `mail_${m.status}` as Key)}`).join(' · ')}</p>
        </div>`,
      )}
    </section>`;
  }

  /** When a course with a validity expires; the year it was earned when that is an earlier one; a warning when it expires this year. */
  private validity(v: { validUntil: string; earnedIn: string; carried: boolean } | null) {
    if (!v) return nothing;
    const l = this.locale;
    const expiresThisYear = v.validUntil < `${Number(this.period) + 1}-01-01T00:00:00.000Z`;
    return html`<span data-valid-until=${v.validUntil.slice(0, 10)}>${v.validUntil.slice(0, 10)}</span>${v.carried ? html` <span class="muted" data-earned-in=${v.earnedIn}>(${t(l, 'earnedIn')} ${v.earnedIn})</span>` : nothing}${expiresThisYear ? html` <span class="error" data-expires-this-year>${t(l, 'expiresThisYear')}</span>` : nothing}`;
  }

  private renderLearner() {
    const l = this.locale;
    const c = this.credits;
    const targetCert = this.explanations['cert:'];
    return html`<section class="card" id="standing" style="margin-top:16px">
        <h2>${this.learnerId} · ${t(l, 'standing')}</h2>
        <p>${t(l, 'earned')} <strong id="earned">${c.earned}</strong>${c.target ? html` / ${t(l, 'target')} ${c.target.total} · ${t(l, 'projected')} ${c.projected} · ${t(l, 'daysLeft')} ${c.daysLeft}` : nothing} · <span class="status ${c.status}" id="status">${t(l, STATUS[c.status as string] ?? 'noTarget')}</span></p>
        ${c.carried ? html`<p>${t(l, 'carried')} <strong id="carried">${c.carried}</strong></p>` : nothing}
        <button @click=${() => this.remind()} id="remind">${t(l, 'remind')}</button>
        ${this.notice ? html`<span class="ok" id="remind-result">${this.notice}</span>` : nothing}
        ${c.status === 'met' ? html`<button @click=${() => this.certify()} id="target-certificate">${t(l, 'targetCertificate')}</button>` : nothing}
        ${targetCert ? html` <a href=${targetCert.verifyUrl} target="_blank">${t(l, 'certificate')}</a>` : nothing}
      </section>
      ${this.renderPath()}
      <section class="card" id="courses" style="margin-top:16px">
        <h2>${t(l, 'courses')}</h2>
        <table>
          <thead><tr><th>${t(l, 'course')}</th><th>${t(l, 'earned')}</th><th>${t(l, 'coverage')}</th><th>${t(l, 'attention')}</th><th>${t(l, 'mastery')}</th><th>${t(l, 'validUntil')}</th><th></th></tr></thead>
          <tbody>${c.courses.map((course: any) => {
            const e = this.explanations[course.courseId];
            const cert = this.explanations[`cert:${course.courseId}`];
            return html`<tr data-course=${course.courseId}>
                <td>${course.title}</td><td>${course.earned} / ${course.credits}</td><td>${pct(course.coverage)}</td><td>${pct(course.attention)}</td><td>${pct(course.mastery)}</td>
                <td>${this.validity(course.validity)}</td>
                <td>
                  <button @click=${() => this.explain(course.courseId)} data-explain=${course.courseId}>${t(l, 'explain')}</button>
                  ${course.earned > 0 ? html`<button @click=${() => this.certify(course.courseId)} data-certify=${course.courseId}>${t(l, 'issueCertificate')}</button>` : nothing}
                  ${cert ? html`<a href=${cert.verifyUrl} target="_blank">${t(l, 'certificate')}</a>` : nothing}
                </td>
              </tr>
              ${e
                ? html`<tr class="explanation" data-explanation=${course.courseId}><td colspan="7">
                    <div>${t(l, 'engagement')} <strong>${pct(e.engagement)}</strong> = ${e.weights.coverage}×${pct(e.factors.coverage)} + ${e.weights.attention}×${pct(e.factors.attention)} + ${e.weights.mastery}×${pct(e.factors.mastery)}</div>
                    <div class="muted">${t(l, 'seconds')}: ${Math.round(e.seconds.claimed)} / ${Math.round(e.seconds.verified)} / ${Math.round(e.seconds.watched)} / ${Math.round(e.seconds.focused)}</div>
                    <div>${t(l, 'gates')}: ${e.gates.map((g: any) => html`<span class=${g.passed ? 'ok' : 'error'}>${g.passed ? '✓' : '✗'} ${g.reason}</span>; `)}</div>
                    ${e.flags.length ? html`<div>${t(l, 'flags')}: ${e.flags.map((f: any) => html`<span class="error" data-flag=${f.code}>${f.message}</span>; `)}</div>` : nothing}
                    <div><a data-statements=${course.courseId} href="#/statements/${new URLSearchParams({ learnerId: this.learnerId, courseId: course.courseId, since: `${this.period}-01-01T00:00:00Z`, until: `${Number(this.period) + 1}-01-01T00:00:00Z` })}">${t(l, 'learnerStatements')} →</a> <span class="muted">${t(l, 'statementsNote')}</span></div>
                  </td></tr>`
                : nothing}`;
          })}</tbody>
        </table>
      </section>
      <section class="card" id="ledger" style="margin-top:16px">
        <h2>${t(l, 'ledger')} · ${t(l, 'total')} ${this.ledger?.total ?? 0}</h2>
        <table>
          <thead><tr><th>${t(l, 'when')}</th><th>${t(l, 'source')}</th><th>${t(l, 'amount')}</th><th>${t(l, 'reason')}</th></tr></thead>
          <tbody>${(this.ledger?.entries ?? []).map((e: any) => html`<tr><td>${e.createdAt.slice(0, 10)}</td><td>${e.source}</td><td>${e.amount > 0 ? '+' : ''}${e.amount}</td><td>${e.reason}</td></tr>`)}</tbody>
        </table>
      </section>`;
  }
}
customElements.define('xa-learner', AdminLearner);
