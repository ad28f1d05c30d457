import type { Course } from '../catalog/courses.js';
import { html, inlineScript } from '../html.js';

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
  const length = Number(document.body.dataset.length);
  const pct = (n) => Math.round(n * 100) + '%';
  const set = (id, text) => { const el = document.getElementById(id); if (el) el.textContent = text; };
  const bar = (id, n) => { const el = document.getElementById(id); if (el) el.style.width = pct(n); };
  // What the server verified: from each heartbeat's answer as it arrives, and from the credits API.
  function showVerified(coverage) {
    bar('coverage', coverage);
    set('coverage-v', pct(coverage));
    set('watched', (Math.round(coverage * length * 10) / 10).toFixed(1) + ' s of ' + length + ' s verified');
    document.body.dataset.coverage = String(coverage);
  }
  function showEarned(earned) {
    document.getElementById('earned').firstChild.textContent = earned + ' ';
    document.body.dataset.earned = String(earned);
  }
  async function refresh() {
    const res = await fetch('/api/v1/launches/current/credits', { headers: { Authorization: 'Bearer ' + token } });
    if (!res.ok) return;
    const c = await res.json();
    showEarned(c.earned ?? 0);
    showVerified(c.coverage ?? 0);
    for (const k of ['attention', 'mastery']) { bar(k, c[k] ?? 0); set(k + '-v', pct(c[k] ?? 0)); }
    // Only the gates that apply: none for mastery without questions, none for a study time of 0 min.
    const gates = (c.gates ?? []).filter((g) => !(g.name === 'mastery' && !document.getElementById('mastery')) && !(g.name === 'studyTime' && !(g.required > 0)));
    document.getElementById('gates').replaceChildren(...gates.map((g) => {
      const li = document.createElement('li');
      li.className = g.passed ? 'ok' : 'fail';
      li.textContent = (g.passed ? '✓ ' : '✗ ') + g.reason;
      return li;
    }));
  }
  let timer;
  const soon = (ms) => { clearTimeout(timer); timer = setTimeout(refresh, ms); };
  player.addEventListener('xcredit:statement', () => soon(700));
  player.addEventListener('xcredit:progress', (e) => {
    const v = e.detail.verified;
    if (!v) return;
    showVerified(v.coverage);
    // Credits move the moment the server credits them: the heartbeat's answer says so first.
    if (v.earned !== Number(document.body.dataset.earned)) showEarned(v.earned);
    soon(100);
  });
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

/** The demo: a player for the demo learner beside their credits, refreshed as the server verifies the viewing. */
export function demoPage({ launchToken, learnerId, course }: { launchToken: string; learnerId: string; course: Course }): string {
  const length = Math.round(course.lengthSeconds);
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>xcredit demo — ${course.title}</title>
<style>${baseStyle}
  .layout { display: grid; grid-template-columns: minmax(0, 2fr) minmax(260px, 1fr); gap: 24px; align-items: start; }
  @media (max-width: 800px) { .layout { grid-template-columns: minmax(0, 1fr); gap: 16px; } main { padding: 12px; } }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px; }
  .earned { font-size: 2.2rem; font-weight: 700; margin: 4px 0 2px; }
  .earned small { font-size: 1rem; color: var(--muted); font-weight: 400; }
  .factor { margin: 12px 0; }
  .factor label { display: flex; justify-content: space-between; font-size: .9rem; }
  .bar { height: 8px; border-radius: 4px; background: var(--line); overflow: hidden; margin-top: 4px; }
  .bar > span { display: block; height: 100%; background: var(--accent); width: 0; transition: width .4s; }
  .watched { font-size: .8rem; color: var(--muted); margin-top: 4px; }
  ul.gates { padding-left: 18px; font-size: .85rem; color: var(--muted); }
  ul.gates li.ok { color: #17803d; } ul.gates li.fail { color: #b3261e; }
  .note { font-size: .8rem; color: var(--muted); }
</style>
<script type="module" src="/static/xcredit-player.js"></script></head>
<body data-length="${length}" data-learner="${learnerId}"><main>
  <h1>${course.title}</h1>
  <p class="sub">Demo learner <strong>${learnerId}</strong> · ${course.credits} ${course.kind} credits · ${length} s video</p>
  <div class="layout">
    <xcredit-player id="player" endpoint="/xapi" launch-token="${launchToken}"></xcredit-player>
    <aside class="card" aria-live="polite">
      <div>Credits earned</div>
      <div class="earned" id="earned">0 <small>/ ${course.credits}</small></div>
      <div class="factor"><label>Watched (verified) <span id="coverage-v">0%</span></label><div class="bar"><span id="coverage"></span></div><div class="watched" id="watched">0.0 s of ${length} s verified</div></div>
      <div class="factor"><label>Attention <span id="attention-v">0%</span></label><div class="bar"><span id="attention"></span></div></div>
      ${course.questions.length > 0 ? html`<div class="factor"><label>Mastery <span id="mastery-v">0%</span></label><div class="bar"><span id="mastery"></span></div></div>` : ''}
      <ul class="gates" id="gates"></ul>
      <p class="note">The server verifies the viewing while it plays, from the player's heartbeats and statements and when it received them, and credits it once ${Math.round(course.policy.gates.coverage * 100)}% is verified. Skipping ahead or playing faster than the course allows earns nothing.</p>
    </aside>
  </div>
</main>
${inlineScript(DEMO_SCRIPT, 'module')}</body></html>`.text;
}
