import { graphemeLength } from '@xcredit/sdk/engagement';
import { readErrorBody, type PlayerReflectionRequirement } from '@xcredit/sdk/contracts/wire';
import { html, LitElement, nothing } from 'lit';
import type { Connection } from './connection.js';
import { messages } from './i18n.js';

declare global {
  interface HTMLElementTagNameMap {
    'xcredit-reflection': XcreditReflection;
  }
}

type Status = 'submitted' | 'approved' | 'returned' | null;

/**
 * `<xcredit-reflection>`: the written reflection a course asks for after viewing. It shows where the
 * learner's reflection stands (waiting, returned with the reviewer's note, approved), counts
 * characters as the server does (graphemes: one Chinese character is one) and sends it with the
 * launch token. Renders into the player's shadow root, like the question panel.
 */
export class XcreditReflection extends LitElement {
  static override properties = {
    connection: { attribute: false },
    requirement: { attribute: false },
    lang: { type: String },
    draft: { state: true },
    status: { state: true },
    note: { state: true },
    error: { state: true },
    sending: { state: true },
  };

  declare connection: Connection | null;
  declare requirement: PlayerReflectionRequirement | null;
  declare lang: string;
  declare private draft: string;
  declare private status: Status;
  declare private note: string | null;
  declare private error: string;
  declare private sending: boolean;

  constructor() {
    super();
    this.connection = null;
    this.requirement = null;
    this.lang = 'en';
    this.draft = '';
    this.status = null;
    this.note = null;
    this.error = '';
    this.sending = false;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.exchange();
  }

  /** Reads where the reflection stands, or sends the draft; shows the server's answer. */
  private async exchange(send?: string): Promise<void> {
    if (!this.connection) return;
    this.sending = send !== undefined;
    try {
      const res = await this.connection.api('launches/current/reflection', send === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: send }) });
      const text = await res.text();
      if (!res.ok) {
        this.error = readErrorBody(text).message ?? res.statusText;
        return;
      }
      const r = JSON.parse(text) as { status: Status; text: string | null; note: string | null };
      this.status = r.status;
      this.note = r.note;
      this.error = '';
      if (r.text !== null && (send !== undefined || !this.draft)) this.draft = r.text;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.sending = false;
    }
  }

  protected override render() {
    const need = this.requirement;
    if (!need) return nothing;
    const m = messages(this.lang);
    const count = graphemeLength(this.draft.trim());
    const approved = this.status === 'approved';
    return html`<form
      class="panel reflection"
      part="reflection"
      @submit=${(e: Event) => {
        e.preventDefault();
        if (count >= need.minLength && !this.sending) void this.exchange(this.draft);
      }}
    >
      <p class="question-prompt">${m.reflectionTitle}</p>
      ${need.prompt ? html`<p>${need.prompt}</p>` : nothing}
      ${this.status ? html`<p class="feedback ${approved ? 'right' : this.status === 'returned' ? 'wrong' : ''}" role="status">${m.reflectionStatus[this.status](this.note ?? '')}</p>` : nothing}
      <textarea rows="5" part="choice" aria-label=${m.reflectionTitle} .value=${this.draft} ?disabled=${approved} @input=${(e: Event) => (this.draft = (e.target as HTMLTextAreaElement).value)}></textarea>
      ${this.error ? html`<p class="feedback wrong" role="alert">${this.error}</p>` : nothing}
      ${approved
        ? nothing
        : html`<div class="actions">
            <span class="count">${m.reflectionCount(count, need.minLength)}</span>
            <button type="submit" part="button" class="primary" ?disabled=${count < need.minLength || this.sending}>${m.reflectionSend}</button>
          </div>`}
    </form>`;
  }
}

if (!customElements.get('xcredit-reflection')) customElements.define('xcredit-reflection', XcreditReflection);
