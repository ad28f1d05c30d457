import { Router } from 'express';
import { html, inlineScript } from '../html.js';

/**
 * The learner's check-in page. Opened once with the launch link (`/checkin#token=…`, made by the
 * HR system or an LTI launch) it keeps the launch token in this browser; a scan of the room's QR
 * code (`/checkin?code=…`) then checks in with it, and a later scan offers to check out.
 */
export const CHECKIN_SCRIPT = `
  const KEY = 'xcredit-checkin-launches';
  const zh = navigator.language.startsWith('zh');
  const t = (en, cn) => (zh ? cn : en);
  const status = document.getElementById('status');
  const out = document.getElementById('checkout');
  const say = (state, text) => { status.textContent = text; document.body.dataset.state = state; };
  let tokens = [];
  try { tokens = JSON.parse(localStorage.getItem(KEY) || '[]'); } catch { tokens = []; }
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromLink) {
    tokens = [fromLink, ...tokens.filter((x) => x !== fromLink)].slice(0, 20);
    localStorage.setItem(KEY, JSON.stringify(tokens));
    history.replaceState(null, '', location.pathname + location.search);
  }
  const code = new URLSearchParams(location.search).get('code');
  const time = (iso) => new Date(iso).toLocaleTimeString(zh ? 'zh-CN' : 'en', { hour: '2-digit', minute: '2-digit' });
  // Each launch this browser holds is for one course: the first whose course the code's session is of answers.
  async function scan(action) {
    let last = { status: 401, body: { error: { message: t('No check-in link opened in this browser yet.', '此浏览器尚未打开签到链接。') } } };
    for (const token of tokens) {
      const res = await fetch('/api/v1/launches/current/attendance', { method: 'POST', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: JSON.stringify({ code, action }) });
      const body = await res.json().catch(() => ({}));
      last = { status: res.status, body };
      if (res.status !== 401 && !(body.error && body.error.code === 'wrong_session')) break;
    }
    return last;
  }
  function show({ status: code, body }) {
    if (code >= 400) return say('refused', (body.error && body.error.message) || body.message || ('HTTP ' + code));
    document.getElementById('course').textContent = body.courseTitle + ' · ' + body.location;
    if (body.checkedOutAt) { out.hidden = true; return say('checked-out', t('Checked out at ', '已签退：') + time(body.checkedOutAt)); }
    if (body.created) { out.hidden = true; return say('checked-in', t('Checked in at ', '已签到：') + time(body.checkedInAt)); }
    out.hidden = false;
    say('checked-in', t('You checked in at ' + time(body.checkedInAt) + '. Leaving? Check out.', '您已于 ' + time(body.checkedInAt) + ' 签到。离开时请签退。'));
  }
  out.textContent = t('Check out', '签退');
  out.addEventListener('click', async () => { out.disabled = true; show(await scan('out')); out.disabled = false; });
  if (!tokens.length) say('no-launch', t('Open your check-in link from your learning platform first, then scan the code again.', '请先打开学习平台发给您的签到链接，再扫描签到码。'));
  else if (!code) say('ready', t('Ready: scan the QR code the trainer shows.', '准备就绪：请扫描讲师展示的二维码。'));
  else { say('busy', t('Checking in…', '正在签到…')); scan('in').then(show); }
`;

function checkinPage(): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">
<title>Check-in · 签到</title>
<style>body { font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Noto Sans CJK SC", sans-serif; max-width: 520px; margin: 40px auto; padding: 0 16px; color: #1d2733; }
h1 { font-size: 1.3rem; } #status { font-size: 1.15rem; margin: 16px 0; } body[data-state="refused"] #status { color: #b42318; } body[data-state^="checked"] #status { color: #1a7f37; }
button { font: inherit; padding: 10px 20px; border-radius: 8px; border: 1px solid #0f6fde; background: #0f6fde; color: #fff; }</style>
</head><body data-state="loading"><h1>Check-in · 签到</h1><p id="course"></p><p id="status" role="status"></p><button id="checkout" type="button" hidden></button>
${inlineScript(CHECKIN_SCRIPT)}</body></html>`.text;
}

/** `GET /checkin`: the learner's page a session's QR code opens. */
export function checkinPages(): Router {
  const router = Router();
  router.get('/checkin', (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.type('html').send(checkinPage());
  });
  return router;
}
