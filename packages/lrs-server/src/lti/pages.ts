import { html, inlineScript, type Html } from '../web/html.js';
import type { Progress } from './grades.js';

/** The Deep Linking return page's one inline script: the form submits itself (its hash is in the page's CSP). */
export const DEEP_LINK_SUBMIT_SCRIPT = `document.getElementById('ltijs_submit').submit()`;

/**
 * The registration page's one inline script (its hash is in the page's CSP): the Close button tells
 * the platform to close its dialog, once the LMS admin has read what happens next.
 */
export const REGISTRATION_CLOSE_SCRIPT = `document.getElementById('close').addEventListener('click', () => (window.opener || window.parent).postMessage({ subject: 'org.imsglobal.lti.close' }, '*'));`;

const style = html`
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2733; }
  body { margin: 0; background: #f5f7fa; } main { max-width: 960px; margin: 0 auto; padding: 24px; }
  h1 { font-size: 1.3rem; margin: 0 0 8px; } .sub { color: #5b6775; margin: 0 0 16px; }
  table { border-collapse: collapse; width: 100%; background: #fff; } th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid #dde3ea; font-size: .92rem; }
  .error { background: #fff; border: 1px solid #e6b3b0; border-left: 4px solid #b3261e; padding: 16px 18px; border-radius: 6px; }
  code { background: #eef1f5; padding: 1px 4px; border-radius: 3px; }
  a.button, button { display: inline-block; background: #0f6fde; color: #fff; border: 0; border-radius: 6px; padding: 10px 16px; font-size: 1rem; text-decoration: none; cursor: pointer; }
  label.course { display: block; background: #fff; border: 1px solid #dde3ea; border-radius: 6px; padding: 10px 12px; margin: 6px 0; }
`;

function page(title: string, body: Html): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><style>${style}</style></head><body><main>${body}</main></body></html>`.text;
}

/** A launch that cannot go on: what went wrong, in words, and what to do. */
export function errorPage(e: { title: string; message: string; hint?: string | undefined; code: string }): string {
  return page(
    e.title,
    html`<div class="error" role="alert" data-code="${e.code}"><h1>${e.title}</h1><p id="message">${e.message}</p>${e.hint ? html`<p class="sub">${e.hint}</p>` : ''}<p class="sub">Error code: <code>${e.code}</code></p></div>`,
  );
}

/** Whether `url` is an absolute http(s) URL: the only kind a page of ours links, posts or redirects to. */
export function isHttpUrl(url: string): boolean {
  return URL.canParse(url) && /^https?:$/.test(new URL(url).protocol);
}

/**
 * Deep Linking's answer: the signed JWT posted back to the platform's return URL (checked to be
 * http(s) by the caller), at once when script runs, else by the button.
 */
export function deepLinkReturnPage(returnUrl: string, jwt: string): string {
  return page(
    'Returning to your learning platform',
    html`<form id="ltijs_submit" method="post" action="${returnUrl}"><input type="hidden" name="JWT" value="${jwt}"><p class="sub">Returning the picked courses to your learning platform…</p><p><button type="submit">Continue</button></p></form>${inlineScript(DEEP_LINK_SUBMIT_SCRIPT)}`,
  );
}

/** When the browser refused the tool's cookies inside the LMS frame: start the same launch in a window of its own. */
export function newWindowPage(loginUrl: string): string {
  return page(
    'Open in a new window',
    html`<h1>Open this course in a new window</h1>
<p class="sub">Your browser blocks the cookies this tool needs while it is shown inside your learning platform. The course works in a window of its own.</p>
<p><a class="button" id="open" href="${loginUrl}" target="_blank" rel="opener">Open in a new window</a></p>`,
  );
}

/**
 * Dynamic Registration done: the LMS admin reads that the platform waits for an xcredit admin's
 * approval, where that is, and what is left to do in the LMS, then closes the dialog.
 */
export function registeredPage(r: { platformName: string; approveUrl: string }): string {
  return page(
    'xcredit is registered',
    html`<h1 id="done">xcredit is registered — approval pending</h1>
<p>${r.platformName} is registered with xcredit and <strong>waits for an xcredit administrator's approval</strong>. Until then, launches show “This platform is awaiting approval”.</p>
<p>An xcredit administrator approves it, and chooses how learners are identified, in the dashboard: <a id="approve" href="${r.approveUrl}" target="_blank" rel="noopener">${r.approveUrl}</a>.</p>
<p class="sub">In Moodle, then activate the tool in <em>Manage tools</em> and set its <em>Tool configuration usage</em> to “Show in activity chooser and as a preconfigured tool” (see docs/lti.md).</p>
<p><button type="button" id="close">Close</button></p>${inlineScript(REGISTRATION_CLOSE_SCRIPT)}`,
  );
}

export interface ReportRow {
  name: string;
  learnerId: string | null;
  /** Follows the credits: `completed` once every gate passed, as the score sent to the LMS says. */
  status: Progress;
  engagement: number | null;
  earned: number | null;
}

/** The instructor's view of a course: who has completed or started, their engagement and credits, and a preview. */
export function reportPage(r: { courseTitle: string; credits: number; contextTitle: string; rows: ReportRow[]; previewUrl: string; rosterNote?: string | undefined }): string {
  const pct = (n: number | null) => (n === null ? '—' : `${Math.round(n * 100)}%`);
  const rows = r.rows
    .map(
      (row) =>
        html`<tr data-learner="${row.learnerId ?? ''}" data-status="${row.status}"><td>${row.name}</td><td>${row.learnerId ?? '—'}</td><td>${row.status}</td><td>${pct(row.engagement)}</td><td>${row.earned === null ? '—' : `${row.earned} / ${r.credits}`}</td></tr>`,
    )
  return page(
    `Class report — ${r.courseTitle}`,
    html`<h1>${r.courseTitle}</h1><p class="sub">${r.contextTitle} · ${r.credits} credits · <a href="${r.previewUrl}" target="_blank" id="preview">Preview as a learner</a></p>
${r.rosterNote ? html`<p class="sub" id="roster-note">${r.rosterNote}</p>` : ''}
<table id="report"><thead><tr><th>Learner</th><th>Id</th><th>Status</th><th>Engagement</th><th>Credits</th></tr></thead><tbody>${rows.length ? rows : html`<tr><td colspan="5">Nobody in this class yet.</td></tr>`}</tbody></table>`,
  );
}

/** Deep Linking: the instructor picks courses to add to the LMS. */
export function pickerPage(r: { ltik: string; courses: Array<{ courseId: string; title: string; credits: number; kind: string }>; multiple: boolean }): string {
  const input = r.multiple ? 'checkbox' : 'radio';
  const list = r.courses
    .map((c) => html`<label class="course"><input type="${input}" name="course" value="${c.courseId}"> ${c.title} <span class="sub">(${c.credits} ${c.kind} credits)</span></label>`);
  return page(
    'Add xcredit courses',
    html`<h1>Add courses</h1><p class="sub">Pick the courses to add. Each one becomes a link with a gradebook column worth its credits.</p>
<form method="post" action="/lti/deep-link"><input type="hidden" name="ltik" value="${r.ltik}">${list.length ? list : html`<p>No courses in the catalog yet.</p>`}<p><button type="submit" id="add">Add</button></p></form>`,
  );
}
