import { css, html, LitElement } from 'lit';
import './awards.js';
import './courses.js';
import './history.js';
import './learner.js';
import './lti.js';
import './overview.js';
import './statements.js';
import './reminders.js';
import './reflections.js';
import './training.js';
import { t, type Lang } from './i18n.js';
import { shared } from './styles.js';

type Route = { view: 'overview' | 'courses' | 'learners' | 'awards' | 'training' | 'reflections' | 'reminders' | 'history' | 'lti' | 'statements'; id?: string };

function route(): Route {
  const [, view, id] = location.hash.split('/');
  if (view === 'courses' || view === 'awards' || view === 'reflections' || view === 'reminders' || view === 'history' || view === 'lti') return { view };
  if (view === 'learners') return { view, id: id ? decodeURIComponent(id) : '' };
  if (view === 'statements') return { view, id: id ?? '' };
  if (view === 'training') return { view, id: id ? decodeURIComponent(id) : '' };
  return { view: 'overview' };
}

/** `<xcredit-admin>`: navigation, year and language, and the view the URL fragment names. */
export class XcreditAdmin extends LitElement {
  static override properties = { route: { state: true }, locale: { state: true }, period: { state: true } };
  static override styles = [
    shared,
    css`
      header { display: flex; align-items: center; gap: 18px; padding: 12px 24px; background: #fff; border-bottom: 1px solid #dde3ea; }
      header strong { font-size: 1.05rem; margin-right: 12px; }
      nav a { margin-right: 14px; color: #1d2733; white-space: nowrap; } nav a.active { color: #0f6fde; font-weight: 600; }
      .spacer { flex: 1; }
      main { padding: 20px 24px; max-width: 1200px; margin: 0 auto; }
    `,
  ];
  route: Route = route();
  locale: Lang = (localStorage.getItem('xcredit-admin-lang') as Lang | null) ?? (navigator.language.startsWith('zh') ? 'zh' : 'en');
  period = String(new Date().getUTCFullYear());
  private onHash = () => {
    this.route = route();
  };

  override connectedCallback() {
    super.connectedCallback();
    addEventListener('hashchange', this.onHash);
    document.documentElement.lang = this.locale === 'zh' ? 'zh-CN' : 'en';
  }

  override disconnectedCallback() {
    removeEventListener('hashchange', this.onHash);
    super.disconnectedCallback();
  }

  private toggleLang() {
    this.locale = this.locale === 'zh' ? 'en' : 'zh';
    localStorage.setItem('xcredit-admin-lang', this.locale);
    document.documentElement.lang = this.locale === 'zh' ? 'zh-CN' : 'en';
  }

  private signOut() {
    (document.getElementById('sign-out') as HTMLFormElement).submit();
  }

  override render() {
    const l = this.locale;
    // Six years back, so imported history can be looked at too.
    const years = [0, 1, 2, 3, 4, 5].map((d) => String(new Date().getUTCFullYear() - d));
    const link = (view: Route['view'], key: Exclude<Route['view'], 'history'> | 'historyNav') => html`<a href="#/${view}" class=${this.route.view === view ? 'active' : ''}>${t(l, key)}</a>`;
    return html`<header>
        <strong>${t(l, 'brand')}</strong>
        <nav>${link('overview', 'overview')}${link('courses', 'courses')}${link('learners', 'learners')}${link('awards', 'awards')}${link('training', 'training')}${link('reflections', 'reflections')}${link('reminders', 'reminders')}${link('history', 'historyNav')}${link('statements', 'statements')}${link('lti', 'lti')}</nav>
        <span class="spacer"></span>
        <label>${t(l, 'period')} <select id="period" .value=${this.period} @change=${(e: Event) => (this.period = (e.target as HTMLSelectElement).value)}>${years.map((y) => html`<option value=${y}>${y}</option>`)}</select></label>
        <button id="lang" @click=${this.toggleLang}>${t(l, 'language')}</button>
        <button id="sign-out-button" @click=${this.signOut}>${t(l, 'signOut')}</button>
      </header>
      <main>${this.view()}</main>`;
  }

  private view() {
    const l = this.locale;
    switch (this.route.view) {
      case 'courses':
        return html`<xa-courses .locale=${l}></xa-courses>`;
      case 'learners':
        return html`<xa-learner .locale=${l} .learnerId=${this.route.id ?? ''} .period=${this.period}></xa-learner>`;
      case 'statements':
        return html`<xa-statements .locale=${l} .query=${this.route.id ?? ''}></xa-statements>`;
      case 'awards':
        return html`<xa-awards .locale=${l}></xa-awards>`;
      case 'reflections':
        return html`<xa-reflections .locale=${l}></xa-reflections>`;
      case 'training':
        return html`<xa-training .locale=${l} .sessionId=${this.route.id ?? ''}></xa-training>`;
      case 'reminders':
        return html`<xa-reminders .locale=${l}></xa-reminders>`;
      case 'history':
        return html`<xa-history .locale=${l}></xa-history>`;
      case 'lti':
        return html`<xa-lti .locale=${l}></xa-lti>`;
      default:
        return html`<xa-overview .locale=${l} .period=${this.period}></xa-overview>`;
    }
  }
}
customElements.define('xcredit-admin', XcreditAdmin);
