import type { PublicQuestion } from '@xcredit/sdk';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { clock, messages, resolveLang } from './i18n.js';
import { localized, type Answer, type AnswerFeedback } from './questions.js';

declare global {
  interface HTMLElementTagNameMap {
    'xcredit-question': XcreditQuestion;
  }
  interface HTMLElementEventMap {
    'xcredit-question-close': Event;
  }
}

/**
 * `<xcredit-question>`: the in-video question panel. It keeps the learner's draft, sends the
 * answer through `send` (which resolves with the server's verdict, or null), and fires
 * `xcredit-question-close` on Continue or Skip. It renders into the player's shadow root (no
 * shadow root of its own), so the player's styles and parts apply to it.
 */
export class XcreditQuestion extends LitElement {
  static override properties = {
    question: { attribute: false },
    number: { type: Number },
    total: { type: Number },
    lang: { type: String },
    send: { attribute: false },
    draft: { state: true },
    status: { state: true },
    feedback: { state: true },
  };

  declare question: PublicQuestion | null;
  /** 1-based position of the question in the course, and how many it has. */
  declare number: number;
  declare total: number;
  declare lang: string;
  /** Delivers the answer; the server's verdict, or null when it cannot say. */
  declare send: ((answer: Answer) => Promise<AnswerFeedback | null>) | null;
  /** Selected choice ids, `true`/`false`, or the typed text. */
  declare private draft: string[] | string;
  declare private status: 'open' | 'sending' | 'answered';
  declare private feedback: AnswerFeedback | null;

  constructor() {
    super();
    this.question = null;
    this.number = 1;
    this.total = 1;
    this.lang = 'en';
    this.send = null;
    this.draft = [];
    this.status = 'open';
    this.feedback = null;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('question')) {
      this.draft = this.question?.type === 'fill-in' ? '' : [];
      this.status = 'open';
      this.feedback = null;
    }
  }

  protected override firstUpdated(): void {
    this.querySelector<HTMLElement>('input')?.focus();
  }

  protected override render() {
    const q = this.question;
    if (!q) return nothing;
    const m = messages(this.lang);
    const lang = resolveLang(this.lang);
    const locked = this.status !== 'open';
    const choices =
      q.type === 'true-false'
        ? [
            { id: 'true', label: m.trueLabel },
            { id: 'false', label: m.falseLabel },
          ]
        : (q.choices ?? []).map((c) => ({ id: c.id, label: localized(c.text, lang) }));
    const multiple = q.type === 'multiple-choice';
    const draft = this.draft;
    const selected = (id: string) => (Array.isArray(draft) ? draft.includes(id) : draft === id);
    const choose = (id: string, checked: boolean) => {
      this.draft = multiple ? (checked ? [...(draft as string[]), id] : (draft as string[]).filter((x) => x !== id)) : [id];
    };
    const canSubmit = Array.isArray(draft) ? draft.length > 0 : draft.trim() !== '';
    const fb = this.feedback;
    const labelOf = (id: string) => choices.find((c) => c.id === id)?.label ?? id;
    const close = () => this.dispatchEvent(new Event('xcredit-question-close'));
    return html`<form
      class="panel question"
      part="question"
      role="dialog"
      aria-modal="true"
      aria-labelledby="xcredit-question-prompt"
      @submit=${(e: Event) => {
        e.preventDefault();
        if (canSubmit && !locked) void this.submit();
      }}
    >
      <p class="question-number">${m.question(Math.max(1, this.number), this.total)}</p>
      <p id="xcredit-question-prompt" class="question-prompt">${localized(q.prompt, lang)}</p>
      ${q.type === 'fill-in'
        ? html`<label class="fill-in"
            ><span class="visually-hidden">${m.yourAnswer}</span
            ><input
              type="text"
              part="choice"
              aria-label=${m.yourAnswer}
              .value=${typeof draft === 'string' ? draft : ''}
              ?disabled=${locked}
              @input=${(e: Event) => (this.draft = (e.target as HTMLInputElement).value)}
          /></label>`
        : html`<fieldset class="choices" ?disabled=${locked}>
            <legend class="visually-hidden">${localized(q.prompt, lang)}</legend>
            ${choices.map(
              (c) => html`<label class="choice" part="choice"
                ><input
                  type=${multiple ? 'checkbox' : 'radio'}
                  name="xcredit-answer"
                  value=${c.id}
                  .checked=${selected(c.id)}
                  @change=${(e: Event) => choose(c.id, (e.target as HTMLInputElement).checked)}
                /><span>${c.label}</span></label
              >`,
            )}
          </fieldset>`}
      ${this.status === 'answered'
        ? html`<p class="feedback ${fb ? (fb.correct ? 'right' : 'wrong') : ''}" role="status">
            ${fb ? (fb.correct ? m.correct : m.incorrect) : m.answerSaved}
            ${fb?.correctResponses?.length ? html`<span>${m.correctAnswer(fb.correctResponses.map(labelOf).join(', '))}</span>` : nothing}
            ${fb?.retryAfterRewatch && !fb.correct && fb.attemptsLeft ? html`<span class="retry">${m.retryAfter(clock(fb.retryAfterRewatch.from), clock(fb.retryAfterRewatch.to), fb.attemptsLeft)}</span>` : nothing}
          </p>`
        : q.answerToContinue
          ? html`<p class="hint">${m.answerToContinue}</p>`
          : nothing}
      <div class="actions">
        ${this.status === 'answered'
          ? html`<button type="button" part="button" class="primary" @click=${close}>${m.continue}</button>`
          : html`${q.answerToContinue ? nothing : html`<button type="button" part="button" @click=${close}>${m.skip}</button>`}
              <button type="submit" part="button" class="primary" ?disabled=${!canSubmit || locked}>${m.submit}</button>`}
      </div>
    </form>`;
  }

  private async submit(): Promise<void> {
    const q = this.question;
    if (!q || !this.send) return;
    const d = this.draft;
    const answer: Answer = q.type === 'true-false' ? (d as string[])[0] === 'true' : q.type === 'fill-in' ? (d as string) : q.type === 'single-choice' ? ((d as string[])[0] ?? '') : (d as string[]);
    this.status = 'sending';
    const feedback = await this.send(answer);
    // The panel was closed, or shows another question, meanwhile.
    if (this.question !== q || !this.isConnected) return;
    this.status = 'answered';
    this.feedback = feedback;
    await this.updateComplete;
    this.querySelector<HTMLButtonElement>('.actions .primary')?.focus();
  }
}

if (!customElements.get('xcredit-question')) customElements.define('xcredit-question', XcreditQuestion);
