import type { PublicQuestion } from '@xcredit/sdk';
import { Task, TaskStatus } from '@lit/task';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { AttentionController, type PromptKind } from './attention.js';
import { cmi5Params, fetchAuthToken, loadLaunchData, type LaunchData } from './cmi5.js';
import { Cmi5Au, foreignLaunch } from './cmi5-au.js';
import { Connection } from './connection.js';
import { installDocumentFonts } from './fonts.js';
import { HeartbeatController } from './heartbeat.js';
import { clock, messages, resolveLang } from './i18n.js';
import { apiBaseFor, LaunchError, loadLaunch, normalizeEndpoint, type LaunchErrorCode } from './launch.js';
import { OutboxController } from './outbox.js';
import './question-panel.js';
import './reflection-panel.js';
import type { PlayerReflectionRequirement } from '@xcredit/sdk/contracts/wire';
import type { Answer } from './questions.js';
import { PlayerSession, type PlayerStatement, type ProgressDetail, type ReadyDetail } from './session.js';
import { playerStyles, videoJsFontFaces } from './styles.js';

export type { PlayerStatement, ProgressDetail, ReadyDetail } from './session.js';

export interface ErrorDetail {
  message: string;
  status?: number;
  /** `LaunchErrorCode`, `media`, `rejected`, or `session_taken_over` when a newer launch took over. */
  code: LaunchErrorCode | 'media' | 'rejected' | 'session_taken_over';
}

declare global {
  interface HTMLElementTagNameMap {
    'xcredit-player': XcreditPlayer;
  }
  interface HTMLElementEventMap {
    'xcredit:statement': CustomEvent<PlayerStatement>;
    'xcredit:progress': CustomEvent<ProgressDetail>;
    'xcredit:error': CustomEvent<ErrorDetail>;
    'xcredit:ready': CustomEvent<ReadyDetail>;
  }
}

type Blocker = { kind: 'loading' } | { kind: 'error'; code: LaunchErrorCode | 'media' } | { kind: 'taken-over' };
type Notice = { kind: 'info' | 'error'; text: (m: ReturnType<typeof messages>) => string };

const NOTICE_MS = 6000;

/**
 * `<xcredit-player>`: a video player that reports what the learner really watched to an xcredit
 * LRS as xAPI Video Profile statements.
 *
 * @example
 * <xcredit-player endpoint="http://localhost:3000/xapi" launch-token="…" lang="zh-CN"></xcredit-player>
 *
 * @fires xcredit:ready - launch loaded and player ready; detail `{ learnerId, courseId, duration }`
 * @fires xcredit:statement - a statement was queued; detail is the statement
 * @fires xcredit:progress - detail `{ progress, verified, playedSegments, time, duration, completed, answered, questions }`; `progress` and `completed` are what the server verified
 * @fires xcredit:error - detail `{ message, status?, code }`
 * @csspart wrapper - everything the element draws
 * @csspart stage - the 16:9 video area
 * @csspart status - the line under the video ("72% watched")
 * @csspart message - error and notice messages
 * @csspart button - buttons (retry, dismiss, prompt and question buttons)
 * @csspart overlay - the idle/attention prompt and the question panel over the video
 * @csspart prompt - the "are you still there?" panel
 * @csspart question - the in-video question panel
 * @csspart reflection - the reflection panel under the video, after viewing a course that asks for one
 * @csspart choice - one answer choice
 * @cssprop --xcredit-accent - progress bar, big play button, buttons, focus rings
 * @cssprop --xcredit-overlay-bg - background of panels over the video
 * @cssprop --xcredit-radius - corner radius
 * @cssprop --xcredit-font - font family
 */
export class XcreditPlayer extends LitElement {
  static override properties = {
    endpoint: { type: String },
    launchToken: { type: String, attribute: 'launch-token' },
    src: { type: String },
    courseId: { type: String, attribute: 'course-id' },
    lang: { type: String },
    apiBase: { type: String, attribute: 'api-base' },
    captions: { type: String },
    captionsLang: { type: String, attribute: 'captions-lang' },
    blocker: { state: true },
    prompt: { state: true },
    question: { state: true },
    returnUrl: { state: true },
    notice: { state: true },
    detail: { state: true },
    courseTitle: { state: true },
    reflection: { state: true },
  };

  static override styles = playerStyles;

  /** xAPI endpoint, e.g. `http://localhost:3000/xapi`. */
  declare endpoint: string | undefined;
  declare launchToken: string | undefined;
  /** Video URL; defaults to the launch's course video. */
  declare src: string | undefined;
  /** When set, the launch must be for this course. */
  declare courseId: string | undefined;
  /** `en` (default) or `zh-CN`. */
  declare lang: string;
  /** Credits API base; defaults to `../api/v1/` beside the endpoint. */
  declare apiBase: string | undefined;
  /** WebVTT captions URL; defaults to the course's captions, if it has any. */
  declare captions: string | undefined;
  /** Language of the captions (BCP 47); defaults to the player's language. */
  declare captionsLang: string | undefined;
  declare private prompt: { kind: PromptKind; timedOut: boolean } | null;
  /** The in-video question on screen. */
  declare private question: PublicQuestion | null;
  /** cmi5: where the LMS wants the learner to go when they leave. */
  declare private returnUrl: string | null;

  declare private blocker: Blocker | null;
  declare private notice: Notice | null;
  declare private detail: ProgressDetail | null;
  declare private courseTitle: string;
  /** The reflection the course asks for after viewing, and the launch's connection to send it with. */
  declare private reflection: { requirement: PlayerReflectionRequirement; connection: Connection } | null;

  private session: PlayerSession | null = null;
  /** A launch from another LMS: the cmi5 statements for that LMS. */
  private au: Cmi5Au | null = null;
  // Hung on the element: their timers and page listeners live exactly as long as it is in the page.
  private readonly heartbeat = new HeartbeatController(this);
  private readonly attention = new AttentionController(this);
  private readonly outbox = new OutboxController(this);
  private isReady = false;
  /**
   * Resolves the launch (from the attributes or a cmi5 launch URL) and starts its session; runs
   * again when a launch attribute changes, aborting a run still under way.
   */
  private readonly launchTask = new Task(this, {
    autoRun: 'afterUpdate',
    args: () => [this.endpoint, this.launchToken, this.src, this.courseId, this.apiBase, this.captions, this.captionsLang],
    task: (_args, { signal }) => this.open(signal),
  });
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.blocker = { kind: 'loading' };
    this.notice = null;
    this.detail = null;
    this.courseTitle = '';
    this.prompt = null;
    this.question = null;
    this.returnUrl = null;
    this.reflection = null;
  }

  /** The coverage the server verified so far (0..1). */
  get progress(): number {
    return this.session?.progress ?? 0;
  }

  /** True once `xcredit:ready` has fired for the current launch. */
  get ready(): boolean {
    return this.isReady;
  }

  /** Statements queued and not yet acknowledged by the LRS. */
  get pendingStatements(): number {
    return this.outbox.pending;
  }

  /** Plays as soon as the launch is loaded and the video can play; resolves once it plays. */
  play(): Promise<void> {
    return this.started().then((s) => s.play());
  }

  pause(): void {
    this.session?.pause();
  }

  /** Seeks to `seconds`; with the course's seek lock, not past the furthest point watched. */
  seek(seconds: number): void {
    void this.started().then((s) => s.seek(seconds), () => undefined);
  }

  /**
   * Ends the session (`terminated`, everything sent) and, in a cmi5 launch with a returnURL,
   * goes back to the LMS.
   */
  async exit(): Promise<void> {
    const to = this.returnUrl;
    this.launchTask.abort();
    await this.stop();
    if (to) location.assign(to);
  }

  /** Sends everything queued now; resolves when the outbox is empty or the attempt failed. */
  flush(): Promise<void> {
    return this.outbox.flush();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    installDocumentFonts(document, videoJsFontFaces);
    // Back in the page after a removal: the same launch starts again (the first connection's update starts it).
    if (this.launchTask.status !== TaskStatus.INITIAL) void this.launchTask.run();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.launchTask.abort();
    void this.stop();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('lang')) this.session?.setLanguage(resolveLang(this.lang));
  }

  protected override render() {
    const m = messages(this.lang);
    const d = this.detail;
    return html`
      <div class="wrapper" part="wrapper">
        <div class="stage" part="stage" role="region" aria-label=${this.courseTitle ? m.playerLabel(this.courseTitle) : nothing}>
          <div class="media"></div>
          ${this.renderPrompt(m)} ${this.renderQuestion(this.lang)} ${this.renderBlocker(m)}
        </div>
        <div class="status" part="status">
          <span class="progress" aria-live="polite"
            >${d
              ? [
                  d.verified && m.watched(Math.floor(d.verified.coverage * 100 + 1e-9)),
                  d.questions > 0 && m.questionsAnswered(d.answered, d.questions),
                  d.verified?.credits && m.credits(d.verified.earned, d.verified.credits),
                ]
                  .filter(Boolean)
                  .join(' · ')
              : ''}</span
          >
          ${this.outbox.offline > 0 ? html`<span class="offline">${m.offline(this.outbox.offline)}</span>` : nothing}
          ${d?.completed ? html`<span class="done">${m.completed}</span>` : nothing}
          ${this.returnUrl ? html`<button type="button" part="button" class="exit" @click=${() => void this.exit()}>${m.exit}</button>` : nothing}
        </div>
        ${this.notice
          ? html`<div class="message ${this.notice.kind}" part="message" role=${this.notice.kind === 'error' ? 'alert' : 'status'}>
              <span>${this.notice.text(m)}</span>
              <button type="button" part="button" aria-label=${m.dismiss} @click=${() => (this.notice = null)}>×</button>
            </div>`
          : nothing}
        ${this.reflection && d?.completed
          ? html`<xcredit-reflection .connection=${this.reflection.connection} .requirement=${this.reflection.requirement} lang=${this.lang}></xcredit-reflection>`
          : nothing}
      </div>
    `;
  }

  private renderBlocker(m: ReturnType<typeof messages>) {
    const b = this.blocker;
    if (!b) return nothing;
    if (b.kind === 'loading') return html`<div class="blocker" part="message" role="status">${m.loading}</div>`;
    if (b.kind === 'taken-over') return html`<div class="blocker error taken-over" part="message" role="alert"><span>${m.takenOver}</span></div>`;
    const text = b.code === 'media' ? m.media : m.launch[b.code];
    return html`<div class="blocker error" part="message" role="alert">
      <span>${text}</span>
      ${b.code === 'network'
        ? html`<button type="button" part="button" aria-label=${m.retry} @click=${() => void this.launchTask.run()}>${m.retry}</button>`
        : nothing}
    </div>`;
  }

  private renderPrompt(m: ReturnType<typeof messages>) {
    const p = this.prompt;
    if (!p) return nothing;
    const text = p.timedOut ? m.promptPaused : p.kind === 'idle' ? m.idlePrompt : m.checkPrompt;
    return html`<div class="overlay" part="overlay">
      <div class="panel prompt" part="prompt" role="alertdialog" aria-modal="true" aria-labelledby="xcredit-prompt-text">
        <p id="xcredit-prompt-text">${text}</p>
        <button type="button" part="button" class="primary" @click=${() => this.session?.confirmPresence()}>${m.imHere}</button>
      </div>
    </div>`;
  }

  private renderQuestion(lang: string) {
    const q = this.question;
    const session = this.session;
    if (!q || !session) return nothing;
    const all = session.launchQuestions;
    return html`<div class="overlay" part="overlay">
      <xcredit-question
        .question=${q}
        number=${all.findIndex((x) => x.id === q.id) + 1}
        total=${all.length}
        lang=${lang}
        .send=${(answer: Answer) => session.answer(q, answer)}
        @xcredit-question-close=${() => session.closeQuestion()}
      ></xcredit-question>
    </div>`;
  }

  /** Moves keyboard focus into a panel that just opened over the video. */
  private async focusOverlay(selector: string): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(selector)?.focus();
  }

  /** The session of the current launch, once it has started (after the update that starts it). */
  private async started(): Promise<PlayerSession> {
    await this.updateComplete;
    return this.launchTask.taskComplete;
  }

  /** The launch task: ends what ran before, then resolves the launch and starts its session. */
  private async open(signal: AbortSignal): Promise<PlayerSession> {
    await this.stop();
    signal.throwIfAborted();
    this.blocker = { kind: 'loading' };
    try {
      let endpointAttr = this.endpoint;
      let token = this.launchToken;
      // No attributes: the page may be a cmi5 launch URL (endpoint, fetch, actor, registration, activityId).
      const cmi5 = !endpointAttr && !token ? cmi5Params(location.href) : null;
      let launchData: LaunchData | undefined;
      if (cmi5) {
        endpointAttr = cmi5.endpoint;
        token = await fetchAuthToken(cmi5.fetchUrl).catch((e: Error) => {
          throw new LaunchError('unauthorized', e.message);
        });
        signal.throwIfAborted();
        if (cmi5.courseToken) {
          // Another LMS launched this AU: cmi5 goes to its LRS; the viewing, to xcredit beside this page.
          const lms = new Connection({ endpoint: cmi5.endpoint, apiBase: location.href, token });
          launchData = await loadLaunchData(lms, cmi5);
          token = await foreignLaunch(location.href, cmi5, token);
          endpointAttr = new URL('../xapi', location.href).href;
          this.au = new Cmi5Au(lms, cmi5, launchData);
          await this.au.load();
          signal.throwIfAborted();
        }
      }
      if (!endpointAttr || !token) {
        throw new LaunchError('missing-attribute', 'set the endpoint and launch-token attributes');
      }
      // Relative attributes (endpoint="/xapi") are relative to the page, as a link's would be.
      const endpoint = normalizeEndpoint(endpointAttr, document.baseURI);
      const apiBase = apiBaseFor(endpoint, this.apiBase ? new URL(this.apiBase, document.baseURI).href : undefined);
      const launch = await loadLaunch(apiBase, token, { signal });
      const connection = new Connection({ endpoint, apiBase, token });
      if (cmi5 && !this.au) {
        if (cmi5.registration !== launch.registration || cmi5.activityId !== launch.activityId) {
          throw new LaunchError('invalid', 'the cmi5 launch URL does not match its auth-token');
        }
        launchData = await loadLaunchData(connection, cmi5);
        signal.throwIfAborted();
      }
      this.returnUrl = launchData?.returnURL ?? null;
      if (this.courseId && this.courseId !== launch.courseId) {
        throw new LaunchError('course-mismatch', `course-id "${this.courseId}" does not match the launch's course "${launch.courseId}"`);
      }
      const mount = this.renderRoot.querySelector<HTMLElement>('.media');
      if (!mount) throw new Error('render root has no .media element');
      // A relative course video URL belongs to the LRS, not to the page embedding the player.
      const src = this.src || new URL(launch.course.videoUrl, apiBase).href;
      const captionsUrl = this.captions || launch.course.captionsUrl;
      const session = new PlayerSession({
        launch,
        mount,
        connection,
        cmi5: this.au ? undefined : launchData,
        src,
        captions: captionsUrl
          ? { src: new URL(captionsUrl, this.captions ? document.baseURI : apiBase).href, lang: this.captionsLang || resolveLang(this.lang), label: messages(this.captionsLang || this.lang).captions }
          : undefined,
        lang: resolveLang(this.lang),
        hooks: this.hooks(),
        controllers: { heartbeat: this.heartbeat, attention: this.attention, outbox: this.outbox },
      });
      this.session = session;
      this.courseTitle = launch.course.title;
      this.reflection = launch.course.reflection ? { requirement: launch.course.reflection, connection } : null;
      await session.start();
      signal.throwIfAborted();
      // A launch taken over already says so.
      if (this.blocker?.kind === 'loading') this.blocker = null;
      return session;
    } catch (error) {
      // A newer run, a removal or exit() ended this one; the session it built is ended by them.
      if (signal.aborted) throw error;
      const e = error instanceof LaunchError ? error : new LaunchError('invalid', (error as Error).message ?? String(error));
      this.blocker = { kind: 'error', code: e.code };
      this.fire('xcredit:error', { message: e.message, code: e.code, ...(e.status !== undefined ? { status: e.status } : {}) });
      throw e;
    }
  }

  /** Ends the session (if any) and forgets everything shown about it. */
  private async stop(): Promise<void> {
    const session = this.session;
    const au = this.au;
    this.session = null;
    this.au = null;
    await au?.terminated();
    this.isReady = false;
    this.detail = null;
    this.courseTitle = '';
    this.prompt = null;
    this.question = null;
    this.returnUrl = null;
    this.reflection = null;
    await session?.dispose();
  }

  private hooks() {
    return {
      statement: (s: PlayerStatement) => this.fire('xcredit:statement', s),
      progress: (d: ProgressDetail) => {
        if (d.completed) this.au?.completed();
        this.detail = d;
        this.fire('xcredit:progress', d);
      },
      ready: (d: ReadyDetail) => {
        this.au?.initialized();
        this.isReady = true;
        this.fire('xcredit:ready', d);
      },
      mediaError: (message: string) => {
        this.blocker = { kind: 'error', code: 'media' };
        this.fire('xcredit:error', { message, code: 'media' });
      },
      rejected: (r: { message: string; status: number }) => {
        this.showNotice({ kind: 'error', text: (m) => (r.status === 401 ? m.sessionEnded : m.rejected(r.message)) });
        this.fire('xcredit:error', { message: r.message, status: r.status, code: 'rejected' });
      },
      seekLocked: () => this.showNotice({ kind: 'info', text: (m) => m.seekLocked }),
      rateLimited: (max: number) => this.showNotice({ kind: 'info', text: (m) => m.rateLimited(max) }),
      prompt: (p: { kind: PromptKind; timedOut: boolean } | null) => {
        this.prompt = p;
        if (p) void this.focusOverlay('.prompt button');
      },
      question: (q: PublicQuestion | null) => (this.question = q),
      takenOver: (message: string) => {
        this.prompt = null;
        this.question = null;
        this.blocker = { kind: 'taken-over' };
        this.fire('xcredit:error', { message, status: 409, code: 'session_taken_over' });
      },
      resumed: (time: number) => this.showNotice({ kind: 'info', text: (m) => m.resumed(clock(time)) }),
    };
  }

  private showNotice(notice: Notice): void {
    this.notice = notice;
    clearTimeout(this.noticeTimer);
    // Errors stay until dismissed; hints go away on their own.
    if (notice.kind === 'info') this.noticeTimer = setTimeout(() => (this.notice = null), NOTICE_MS);
  }

  private fire<K extends keyof HTMLElementEventMap>(type: K, detail: HTMLElementEventMap[K] extends CustomEvent<infer D> ? D : never): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}
