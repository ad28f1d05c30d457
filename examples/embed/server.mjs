// A vendor's web site: its back end holds the xcredit client secret, creates a launch for the
// signed-in learner, and renders a page that embeds <xcredit-player> with the launch token.
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

const page = (token) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vendor course page</title>
<script src="${XCREDIT_URL}/static/xcredit-player.iife.js"></script>
<style>body { font-family: system-ui; max-width: 860px; margin: 2rem auto; } xcredit-player { --xcredit-accent: #7b2cbf; }</style>
</head><body>
<h1>Embedded course</h1>
<xcredit-player endpoint="${XCREDIT_URL}/xapi" launch-token="${token}" lang="en"></xcredit-player>
<p id="log"></p>
<script>
  const log = document.getElementById('log');
  const player = document.querySelector('xcredit-player');
  player.addEventListener('xcredit:progress', (e) => { log.textContent = Math.round(e.detail.progress * 100) + '% watched'; });
  player.addEventListener('xcredit:error', (e) => { log.textContent = 'Error: ' + e.detail.message; });
</script>
</body></html>`;

const port = Number(process.env.PORT ?? 4000);
createServer(async (req, res) => {
  try {
    // In a real site the learner id comes from the vendor's own sign-in.
    const learnerId = new URL(req.url ?? '/', 'http://x').searchParams.get('learner') ?? 'vendor-learner-1';
    const launch = await xcredit.createLaunch({ learnerId, courseId: 'embed-demo' });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(launch.launchToken));
  } catch (err) {
    res.writeHead(502, { 'content-type': 'text/plain' }).end(`xcredit: ${err.message}`);
  }
}).listen(port, () => console.log(`vendor page on http://localhost:${port}/?learner=E-1001`));
