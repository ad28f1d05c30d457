// A vendor's web site: its back end holds the xcredit client secret, creates a launch for the
// signed-in learner, and renders a page that embeds <xcredit-player> with the launch token.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { XcreditClient } from '@xcredit/sdk';

const XCREDIT_URL = process.env.XCREDIT_URL ?? 'http://localhost:3000';
const key = process.env.XCREDIT_ADMIN_KEY;
const secret = process.env.XCREDIT_ADMIN_SECRET;
if (!key || !secret) {
  console.error('Set XCREDIT_ADMIN_KEY and XCREDIT_ADMIN_SECRET to a client of the xcredit server (see the README).');
  process.exit(2);
}
const xcredit = new XcreditClient({ baseUrl: XCREDIT_URL, key, secret });

await xcredit.upsertCourse('embed-demo', {
  title: 'Embedded course',
  activityId: 'https://vendor.example.com/courses/embed-demo',
  credits: 1,
  kind: 'elective',
  lengthSeconds: 15,
  videoUrl: `${XCREDIT_URL}/media/demo.mp4`,
});

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (token, learnerId) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vendor course page</title>
<script src="${XCREDIT_URL}/static/xcredit-player.iife.js"></script>
<style>body { font-family: system-ui; max-width: 860px; margin: 2rem auto; padding: 0 12px; } xcredit-player { display: block; --xcredit-accent: #7b2cbf; }</style>
</head><body>
<h1>Embedded course</h1>
<p>Signed in as ${escape(learnerId)}</p>
<xcredit-player endpoint="${XCREDIT_URL}/xapi" launch-token="${escape(token)}" lang="en"></xcredit-player>
<p id="log"></p>
<script>
  const log = document.getElementById('log');
  const player = document.querySelector('xcredit-player');
  player.addEventListener('xcredit:progress', (e) => {
    const v = e.detail.verified;
    if (v) log.textContent = Math.round(v.coverage * 100) + '% verified · ' + v.earned + ' of ' + v.credits + (v.credits === 1 ? ' credit' : ' credits');
  });
  player.addEventListener('xcredit:error', (e) => { log.textContent = 'Error: ' + e.detail.message; });
</script>
</body></html>`;

// The vendor's own sign-in, reduced to a cookie: one session per browser, and per session and
// learner one launch, reused by reloads and later visits while it has ten minutes or more left.
const sessions = new Map();
const SESSION_COOKIE = 'vendor_session';
const sessionOf = (req) => /(?:^|;\s*)vendor_session=([0-9a-f]{32})(?:;|$)/.exec(req.headers.cookie ?? '')?.[1];

const port = Number(process.env.PORT ?? 4000);
const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  // Only the course page starts launches: a favicon or any other request never does.
  if (req.method !== 'GET' || url.pathname !== '/') {
    res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404, { 'content-type': 'text/plain' }).end();
    return;
  }
  try {
    // In a real site the learner id comes from the vendor's own sign-in.
    const learnerId = url.searchParams.get('learner') ?? 'vendor-learner-1';
    let sid = sessionOf(req);
    if (!sid || !sessions.has(sid)) {
      sid = randomBytes(16).toString('hex');
      sessions.set(sid, new Map());
      res.setHeader('set-cookie', `${SESSION_COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Lax`);
    }
    const launches = sessions.get(sid);
    let launch = launches.get(learnerId);
    if (!launch || Date.parse(launch.expiresAt) - Date.now() < 10 * 60_000) {
      launch = await xcredit.createLaunch({ learnerId, courseId: 'embed-demo' });
      launches.set(learnerId, launch);
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page(launch.launchToken, learnerId));
  } catch (err) {
    res.writeHead(502, { 'content-type': 'text/plain' }).end(`xcredit: ${err.message}`);
  }
});
server.listen(port, () => console.log(`vendor page on http://localhost:${server.address().port}/?learner=E-1001`));
