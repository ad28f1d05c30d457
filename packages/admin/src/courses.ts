import { html, LitElement, nothing } from 'lit';
import { api, ApiError } from './api.js';
import { t, type Key, type Lang } from './i18n.js';
import { shared } from './styles.js';

type Form = Record<string, string>;
const EMPTY: Form = { courseId: '', title: '', activityId: '', credits: '', kind: 'required', lengthSeconds: '', videoUrl: '', category: '', makeUpFor: '', reflection: '', reflectionPrompt: '', validity: '', policy: '{}', questions: '[]' };

/** The course catalog and its editor; the server's 400 messages appear next to the field they name. */
export class AdminCourses extends LitElement {
  static override properties = { locale: {}, courses: { state: true }, form: { state: true }, errors: { state: true }, saved: { state: true }, editing: { state: true } };
  static override styles = shared;
  locale: Lang = 'en';
  courses: any[] = [];
  form: Form | null = null;
  editing = false;
  errors = new Map<string, string[]>();
  saved = false;

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  async load() {
    this.courses = (await api('GET', '/catalog')).courses;
  }

  async edit(courseId: string) {
    const c = await api('GET', `/courses/${encodeURIComponent(courseId)}`);
    this.form = {
      courseId: c.courseId,
      title: c.title,
      activityId: c.activityId,
      credits: String(c.credits),
      kind: c.kind,
      lengthSeconds: String(c.lengthSeconds),
      videoUrl: c.videoUrl ?? '',
      category: c.category ?? '',
      makeUpFor: c.makeUpFor ?? '',
      // The minimum length of the reflection the course asks for ('' for none) and its question.
      reflection: c.reflection ? String(c.reflection.minLength) : '',
      reflectionPrompt: c.reflection?.prompt ?? '',
      validity: c.validity ? String(c.validity.months) : '',
      policy: JSON.stringify(c.policy, null, 2),
      questions: JSON.stringify(c.questions, null, 2),
    };
    this.editing = true;
    this.errors = new Map();
    this.saved = false;
  }

  create() {
    this.form = { ...EMPTY };
    this.editing = false;
    this.errors = new Map();
    this.saved = false;
  }

  async save(e: Event) {
    e.preventDefault();
    const f = this.form!;
    const errors = new Map<string, string[]>();
    const json = (field: 'policy' | 'questions') => {
      try {
        return JSON.parse(f[field] || (field === 'policy' ? '{}' : '[]'));
      } catch {
        errors.set(field, [`${field} ${t(this.locale, 'notJson')}`]);
        return undefined;
      }
    };
    const num = (s: string) => (s.trim() === '' ? s : Number(s));
    const body: Record<string, unknown> = { title: f.title, activityId: f.activityId, credits: num(f.credits!), kind: f.kind, lengthSeconds: num(f.lengthSeconds!), policy: json('policy'), questions: json('questions') };
    for (const k of ['videoUrl', 'category', 'makeUpFor'] as const) if (f[k]!.trim()) body[k] = f[k]!.trim();
    if (f.reflection!.trim()) body.reflection = { minLength: num(f.reflection!), ...(f.reflectionPrompt!.trim() ? { prompt: f.reflectionPrompt!.trim() } : {}) };
    // Blank: the credit year; the server names validity.months when the number is not 1–120.
    if (f.validity!.trim()) body.validity = { months: num(f.validity!) };
    if (errors.size) return void (this.errors = errors);
    try {
      await api('PUT', `/courses/${encodeURIComponent(f.courseId!.trim())}`, body);
      this.errors = new Map();
      this.saved = true;
      this.editing = true;
      await this.load();
    } catch (err) {
      this.saved = false;
      if (err instanceof ApiError) {
        const byField = err.byField();
        // A bad id in the URL is about the course id field.
        if (/^courseId /.test(err.message)) byField.set('courseId', [err.message]);
        this.errors = byField;
      } else this.errors = new Map([['', [(err as Error).message]]]);
    }
  }

  private field(name: string, label: Key, type: 'text' | 'number' | 'textarea' | 'kind' = 'text') {
    const f = this.form!;
    const set = (e: Event) => {
      this.form = { ...f, [name]: (e.target as HTMLInputElement).value };
    };
    const errs = this.errors.get(name);
    const input =
      type === 'textarea'
        ? html` <textarea id=${name} rows="4" .value=${f[name] ?? ''} @input=${set}></textarea>`
        : type === 'kind'
          ? html`<select id=${name} .value=${f[name] ?? 'required'} @change=${set}><option value="required">${t(this.locale, 'required')}</option><option value="elective">${t(this.locale, 'elective')}</option></select>`
          : html`<input id=${name} type=${type === 'number' ? 'text' : 'text'} inputmode=${type === 'number' ? 'decimal' : 'text'} .value=${f[name] ?? ''} @input=${set} ?disabled=${name === 'courseId' && this.editing} />`;
    return html`<div class="field ${type === 'textarea' ? 'wide' : ''}" data-field=${name}>
      <label for=${name}>${t(this.locale, label)}</label>${input}
      ${errs ? errs.map((m) => html`<p class="error" data-error-for=${name}>${m}</p>`) : nothing}
    </div>`;
  }

  override render() {
    const l = this.locale;
    return html`<style>
        .layout { display: grid; grid-template-columns: minmax(260px, 1fr) minmax(360px, 1.4fr); gap: 16px; align-items: start; }
        .field { margin-bottom: 10px; } .field label { display: block; font-size: 0.85rem; color: #5b6775; margin-bottom: 3px; }
        .field input, .field select { width: 100%; }
        .fields { display: grid; grid-template-columns: 1fr 1fr; gap: 0 12px; } .field.wide { grid-column: 1 / -1; }
      </style>
      <div class="layout">
        <section class="card" id="catalog">
          <h2>${t(l, 'catalog')} <button style="float:right" id="new-course" @click=${this.create}>${t(l, 'newCourse')}</button></h2>
          <table>
            <thead><tr><th>${t(l, 'courseId')}</th><th>${t(l, 'title')}</th><th>${t(l, 'credits')}</th><th></th></tr></thead>
            <tbody>${this.courses.map(
              (c) => html`<tr><td>${c.courseId}</td><td>${c.title}</td><td>${c.credits} · ${t(l, c.kind)}${c.validity ? html` · ${c.validity.months} ${t(l, 'months')}` : nothing}</td><td><button @click=${() => this.edit(c.courseId)} data-edit=${c.courseId}>${t(l, 'edit')}</button></td></tr>`,
            )}</tbody>
          </table>
        </section>
        ${this.form
          ? html`<form class="card" id="editor" @submit=${this.save} novalidate>
              <div class="fields">${this.field('courseId', 'courseId')} ${this.field('title', 'title')} ${this.field('activityId', 'activityId')} ${this.field('credits', 'credits', 'number')}
              ${this.field('kind', 'kind', 'kind')} ${this.field('lengthSeconds', 'lengthSeconds', 'number')} ${this.field('videoUrl', 'videoUrl')} ${this.field('category', 'category')}
              ${this.field('makeUpFor', 'makeUpFor')} ${this.field('reflection', 'reflectionRequired', 'number')} ${this.field('reflectionPrompt', 'reflectionPrompt')} ${this.field('validity', 'validityMonths', 'number')}
              ${this.field('policy', 'policy', 'textarea')} ${this.field('questions', 'questions', 'textarea')}</div>
              ${this.errors.get('') ? html`<p class="error">${this.errors.get('')}</p>` : nothing}
              <button class="primary" type="submit" id="save">${t(l, 'save')}</button> ${this.saved ? html`<span class="ok" id="saved">${t(l, 'saved')}</span>` : nothing}
            </form>`
          : nothing}
      </div>`;
  }
}
customElements.define('xa-courses', AdminCourses);
