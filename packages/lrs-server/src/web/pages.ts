import type { Course } from '../catalog/courses.js';
import { html, inlineScript } from './html.js';

const baseStyle = html`
  :root { color-scheme: light; --ink: #1d2733; --muted: #5b6775; --line: #dde3ea; --accent: #0f6fde; font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", sans-serif; color: var(--ink); }
  body { margin: 0; background: #f5f7fa; }
  main { max-width: 1100px; margin: 0 auto; padding: 24px; }
  h1 { font-size: 1.4rem; margin: 0 0 4px; }
  .sub { color: var(--muted); margin: 0 0 20px; }
  xcredit-player { display: block; width: 100%; --xcredit-accent: var(--accent); }
`;

/** Height of everything the player shows beside a 16:9 video (controls, status line) and the page's padding. */
const PLAYER_CHROME_PX = 150;

// The pages' inline scripts are constants: their CSP allows exactly these texts, by hash (web/headers.ts).
export const PLAY_SCRIPT = `
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  const mount = document.getElementById('mount');
  if (!token) { mount.textContent = 'This page needs a launch link (…/play#token=…). Ask your learning platform for a new one.'; }
  else {
    history.replaceState(null, '', location.pathname);
    const player = document.createElement('xcredit-player');
    player.setAttribute('endpoint', location.origin + '/xapi');
    player.setAttribute('launch-token', token);
    player.setAttribute('lang', navigator.language.startsWith('zh') ? 'zh-CN' : 'en');
    mount.append(player);
  }
  // Inside an LMS frame, ask the LMS (Moodle, Canvas) for the height the player takes at its full
  // width. The request depends on the frame's width only, so granting it asks for nothing more.
  if (window.parent !== window && token) {
    const player = mount.firstElementChild;
    let asked = 0;
    const ask = () => {
      const box = player.getBoundingClientRect();
      if (!box.width) return;
      const chrome = box.height - (box.width * 9) / 16;
      const full = Math.min(960, document.documentElement.clientWidth) - 16;
      const height = Math.ceil((full * 9) / 16 + chrome + 16);
      if (height !== asked) { asked = height; window.parent.postMessage({ subject: 'lti.frameResize', height }, '*'); }
    };
    new ResizeObserver(ask).observe(player);
  }
`;

export const DEMO_SCRIPT = `
  const player = document.getElementById('player');
  const token = player.getAttribute('launch-token');
  player.setAttribute('endpoint', location.origin + '/xapi');
  const pct = (n) => Math.round(n * 100) + '%';
  async function refresh() {
    const res = await fetch('/api/v1/launches/current/credits', { headers: { Authorization: 'Bearer ' + token } });
    if (!res.ok) return;
    const c = await res.json();
    document.getElementById('earned').firstChild.textContent = (c.earned ?? 0) + ' ';
    for (const k of ['coverage', 'attention', 'mastery']) {
      document.getElementById(k).style.width = pct(c[k] ?? 0);
      document.getElementById(k + '-v').textContent = pct(c[k] ?? 0);
    }
    document.getElementById('gates').replaceChildren(...(c.gates ?? []).map((g) => {
      const li = document.createElement('li');
      li.className = g.passed ? 'ok' : 'fail';
      li.textContent = (g.passed ? '✓ ' : '✗ ') + g.reason;
      return li;
    }));
    document.body.dataset.earned = String(c.earned ?? 0);
  }
  let timer;
  const soon = () => { clearTimeout(timer); timer = setTimeout(refresh, 700); };
  player.addEventListener('xcredit:statement', soon);
  setInterval(refresh, 3000);
  refresh();
`;

/**
 * The launch page LMSs and vendors open: the token arrives in the URL fragment. The video is only
 * as wide as lets the player, controls and status line included, fit the height it is given (an
 * LMS frame), and in a frame the page asks for the height it needs (PLAY_SCRIPT).
 */
export function playPage(): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>xcredit player</title><style>${baseStyle} main { max-width: min(960px, calc((100vh - ${PLAYER_CHROME_PX}px) * 16 / 9)); min-width: min(100%, 320px); padding: 8px; }</style>
<script type="module" src="/static/xcredit-player.js"></script></head>
<body><main><div id="mount"></div></main>
${inlineScript(PLAY_SCRIPT, 'module')}</body></html>`.text;
}

/** The demo: a player for the demo learner beside their credits, refreshed as statements land. */
export function demoPage({ launchToken, learnerId, course }: { launchToken: string; learnerId: string; course: Course }): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>xcredit demo — ${course.title}</title>
<style>${baseStyle}
  .layout { display: grid; grid-template-columns: minmax(0, 2fr) minmax(260px, 1fr); gap: 24px; align-items: start; }
  @media (max-width: 800px) { .layout { grid-template-columns: 1fr; } }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px; }
  .earned { font-size: 2.2rem; font-weight: 700; margin: 4px 0 2px; }
  .earned small { font-size: 1rem; color: var(--muted); font-weight: 400; }
  .factor { margin: 12px 0; }
  .factor label { display: flex; justify-content: space-between; font-size: .9rem; }
  .bar { height: 8px; border-radius: 4px; background: var(--line); overflow: hidden; margin-top: 4px; }
  .bar > span { display: block; height: 100%; background: var(--accent); width: 0; transition: width .4s; }
  ul.gates { padding-left: 18px; font-size: .85rem; color: var(--muted); }
  ul.gates li.ok { color: #17803d; } ul.gates li.fail { color: #b3261e; }
  .note { font-size: .8rem; color: var(--muted); }
</style>
<script type="module" src="/static/xcredit-player.js"></script></head>
<body><main>
  <h1>${course.title}</h1>
  <p class="sub">Demo learner <strong>${learnerId}</strong> · ${course.credits} ${course.kind} credits · ${Math.round(course.lengthSeconds)} s video</p>
  <div class="layout">
    <xcredit-player id="player" endpoint="/xapi" launch-token="${launchToken}"></xcredit-player>
    <aside class="card" aria-live="polite">
      <div>Credits earned this year</div>
      <div class="earned" id="earned">0 <small>/ ${course.credits}</small></div>
      <div class="factor"><label>Coverage (verified) <span id="coverage-v">0%</span></label><div class="bar"><span id="coverage"></span></div></div>
      <div class="factor"><label>Attention <span id="attention-v">0%</span></label><div class="bar"><span id="attention"></span></div></div>
      <div class="factor"><label>Mastery <span id="mastery-v">0%</span></label><div class="bar"><span id="mastery"></span></div></div>
      <ul class="gates" id="gates"></ul>
      <p class="note">Computed by the server from the statements it received and when it received them: skipping ahead or playing faster than the course allows earns nothing.</p>
    </aside>
  </div>
</main>
${inlineScript(DEMO_SCRIPT, 'module')}</body></html>`.text;
}
