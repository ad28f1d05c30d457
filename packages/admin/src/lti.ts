import { html, LitElement, nothing } from 'lit';
import { api, ApiError } from './api.js';
import { t, type Key, type Lang } from './i18n.js';
import { shared } from './styles.js';

type Claim = 'sub' | 'email' | 'lis.person_sourcedid';
const CLAIMS: Claim[] = ['sub', 'email', 'lis.person_sourcedid'];
const CLAIM_LABEL: Record<Claim, Key> = { sub: 'claimSub', email: 'claimEmail', 'lis.person_sourcedid': 'claimSourcedId' };

interface Platform {
  id: string;
  name: string;
  issuer: string;
  clientId: string;
  deploymentIds: string[];
  learnerIdClaim: Claim;
  status: 'active' | 'pending';
  source: 'admin' | 'dynamic';
  lastLaunch: { at: string; name?: string; sub: string } | null;
  learnerIdPreview: Record<Claim, { ok: true; id: string } | { ok: false; why: string }> | null;
}

/**
 * LMS platforms (LTI 1.3): approve or reject what Dynamic Registration brought in, with the
 * learner-id rule chosen against a preview of the last launcher; deployments; removal; and the
 * registration links an LMS admin pastes into the LMS.
 */
export class AdminLti extends LitElement {
  static override properties = { locale: {}, platforms: { state: true }, links: { state: true }, tool: { state: true }, claims: { state: true }, errors: { state: true }, newLink: { state: true } };
  static override styles = shared;
  locale: Lang = 'en';
  platforms: Platform[] = [];
  links: any[] = [];
  tool: Record<string, string> = {};
  /** The rule picked on the page, before it is saved. */
  claims: Record<string, Claim> = {};
  errors: Record<string, string> = {};
  newLink: { url: string; expiresAt: string } | null = null;

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  async load() {
    const [platforms, links] = await Promise.all([api('GET', '/lti/platforms'), api('GET', '/lti/registration-links')]);
    this.platforms = platforms.platforms;
    this.tool = platforms.tool;
    this.links = links.links;
  }

  private fail(id: string, err: unknown) {
    const text = err instanceof ApiError ? (err.issues.length ? err.issues.map((i) => `${i.path}: ${i.message}`).join('; ') : err.message) : String(err);
    this.errors = { ...this.errors, [id]: text };
  }

  async approve(p: Platform) {
    const deployments = (this.renderRoot.querySelector(`[data-deployments="${p.id}"]`) as HTMLInputElement).value.split(',').map((d) => d.trim()).filter(Boolean);
    try {
      await api('POST', `/lti/platforms/${encodeURIComponent(p.id)}/approve`, { deploymentIds: deployments, learnerIdClaim: this.claims[p.id] ?? p.learnerIdClaim });
      this.errors = { ...this.errors, [p.id]: '' };
      await this.load();
    } catch (err) {
      this.fail(p.id, err);
    }
  }

  /** Rejecting a pending platform and deleting an approved one both remove it: its launches are refused as unregistered. */
  async discard(p: Platform) {
    if (p.status === 'active' && !confirm(`${t(this.locale, 'deletePlatform')}: ${p.name}?`)) return;
    try {
      await api('DELETE', `/lti/platforms/${encodeURIComponent(p.id)}`);
      await this.load();
    } catch (err) {
      this.fail(p.id, err);
    }
  }

  async makeLink() {
    try {
      this.newLink = await api('POST', '/lti/registration-links', {});
      this.errors = { ...this.errors, links: '' };
      await this.load();
    } catch (err) {
      this.fail('links', err);
    }
  }

  async revoke(id: string) {
    try {
      await api('DELETE', `/lti/registration-links/${encodeURIComponent(id)}`);
      await this.load();
    } catch (err) {
      this.fail('links', err);
    }
  }

  private preview(p: Platform) {
    const l = this.locale;
    const chosen = this.claims[p.id] ?? p.learnerIdClaim;
    if (!p.lastLaunch || !p.learnerIdPreview) return html`<p class="note" data-preview=${p.id}>${t(l, 'noLaunchYet')}</p>`;
    const who = p.lastLaunch.name ?? p.lastLaunch.sub;
    const result = p.learnerIdPreview[chosen];
    return html`<p data-preview=${p.id}>
      ${t(l, 'nextLaunch')} <strong>${who}</strong> (${new Date(p.lastLaunch.at).toLocaleString(l === 'zh' ? 'zh-CN' : 'en')}):
      ${result.ok ? html`<span class="ok">${t(l, 'learnerIdWillBe')} <code>${result.id}</code></span>` : html`<span class="error">${result.why}</span>`}
    </p>`;
  }

  private platformRow(p: Platform) {
    const l = this.locale;
    const chosen = this.claims[p.id] ?? p.learnerIdClaim;
    const pending = p.status === 'pending';
    return html`<tr data-platform=${p.id} data-status=${p.status}>
      <td><strong>${p.name}</strong><br /><span class="muted">${p.issuer}</span><br /><span class="note">${t(l, 'clientId')} ${p.clientId} · ${t(l, p.source === 'dynamic' ? 'sourceDynamic' : 'sourceAdmin')}</span></td>
      <td><span class=${pending ? 'error' : 'ok'} data-status-label>${t(l, pending ? 'statusPending' : 'statusActive')}</span></td>
      <td><input data-deployments=${p.id} aria-label=${t(l, 'deployments')} .value=${p.deploymentIds.join(', ')} placeholder="1" style="width:9em" /></td>
      <td>
        <select data-claim=${p.id} aria-label=${t(l, 'learnerIdRule')} .value=${chosen} @change=${(e: Event) => (this.claims = { ...this.claims, [p.id]: (e.target as HTMLSelectElement).value as Claim })}>
          ${CLAIMS.map((c) => html`<option value=${c} ?selected=${c === chosen}>${t(l, CLAIM_LABEL[c])}</option>`)}
        </select>
        ${this.preview(p)}
        ${this.errors[p.id] ? html`<p class="error" data-error-for=${p.id}>${this.errors[p.id]}</p>` : nothing}
      </td>
      <td style="white-space:nowrap">
        <button class="primary" data-approve=${p.id} @click=${() => this.approve(p)}>${t(l, pending ? 'approve' : 'save')}</button>
        <button class="danger" data-remove=${p.id} @click=${() => this.discard(p)}>${t(l, pending ? 'reject' : 'deletePlatform')}</button>
      </td>
    </tr>`;
  }

  override render() {
    const l = this.locale;
    return html`<section class="card" id="platforms">
        <h2>${t(l, 'ltiPlatforms')}</h2>
        <p class="note">${t(l, 'ltiPlatformsNote')}</p>
        ${this.platforms.length
          ? html`<table>
              <thead><tr><th>${t(l, 'platform')}</th><th>${t(l, 'statusHeading')}</th><th>${t(l, 'deployments')}</th><th>${t(l, 'learnerIdRule')}</th><th></th></tr></thead>
              <tbody>${this.platforms.map((p) => this.platformRow(p))}</tbody>
            </table>`
          : html`<p class="muted">${t(l, 'noPlatforms')}</p>`}
      </section>
      <section class="card" id="registration-links" style="margin-top:16px">
        <h2>${t(l, 'registrationLinks')}</h2>
        <p class="note">${t(l, 'registrationLinksNote')}</p>
        <button class="primary" id="new-link" @click=${this.makeLink}>${t(l, 'newRegistrationLink')}</button>
        ${this.newLink
          ? html`<p id="new-link-url"><input readonly aria-label=${t(l, 'registrationLinks')} .value=${this.newLink.url} style="width:100%" @focus=${(e: Event) => (e.target as HTMLInputElement).select()} /><span class="note">${t(l, 'shownOnce')}</span></p>`
          : nothing}
        ${this.errors.links ? html`<p class="error" data-error-for="links">${this.errors.links}</p>` : nothing}
        ${this.links.length
          ? html`<table>
              <thead><tr><th>${t(l, 'created')}</th><th>${t(l, 'statusHeading')}</th><th>${t(l, 'expires')}</th><th>${t(l, 'platform')}</th><th></th></tr></thead>
              <tbody>${this.links.map(
                (k) => html`<tr data-link=${k.id}>
                  <td>${new Date(k.createdAt).toLocaleString(l === 'zh' ? 'zh-CN' : 'en')}</td><td>${k.status}</td><td>${new Date(k.expiresAt).toLocaleDateString(l === 'zh' ? 'zh-CN' : 'en')}</td>
                  <td>${this.platforms.find((p) => p.id === k.platformId)?.name ?? k.platformId ?? '—'}</td>
                  <td>${k.status === 'open' ? html`<button class="danger" data-revoke=${k.id} @click=${() => this.revoke(k.id)}>${t(l, 'revoke')}</button>` : nothing}</td>
                </tr>`,
              )}</tbody>
            </table>`
          : nothing}
      </section>
      <section class="card" id="tool-urls" style="margin-top:16px">
        <h2>${t(l, 'toolUrls')}</h2>
        <table>
          <tbody>
            <tr><td>${t(l, 'toolLaunchUrl')}</td><td><code>${this.tool.launchUrl ?? ''}</code></td></tr>
            <tr><td>${t(l, 'toolLoginUrl')}</td><td><code>${this.tool.loginUrl ?? ''}</code></td></tr>
            <tr><td>${t(l, 'toolKeysUrl')}</td><td><code>${this.tool.jwksUrl ?? ''}</code></td></tr>
            <tr><td>${t(l, 'toolDeepLinkingUrl')}</td><td><code>${this.tool.deepLinkingUrl ?? ''}</code></td></tr>
          </tbody>
        </table>
      </section>`;
  }
}
customElements.define('xa-lti', AdminLti);
