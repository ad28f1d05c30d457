// Real-browser smoke check of the built bundle: a static page, a fake launch endpoint and a
// fake LRS on 127.0.0.1, driven by headless Chromium. Usage (after `pnpm build`):
//   node scripts/smoke.mjs [--out /tmp/xcredit-smoke]
import { createReadStream, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const demo = resolve(pkg, '../lrs-server/public/demo/demo.mp4');
const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : '/tmp/xcredit-smoke';
mkdirSync(out, { recursive: true });

const TOKEN = 'tok-good';
const received = []; // { at, statements }
let failNextPosts = 0;

const launch = (policy) => ({
  learnerId: 'e-1001',
  courseId: 'demo',
  actor: { objectType: 'Agent', account: { homePage: 'https://acme.example', name: 'e-1001' } },
  registration: '0c6c3a3e-2f7d-4a51-8f0e-6f4b2f0d9e21',
  activityId: 'https://acme.example/courses/demo',
  course: { title: 'Demo course', lengthSeconds: 15, videoUrl: '/demo/demo.mp4' },
  policy: { weights: { coverage: 0.6, attention: 0.2, mastery: 0.2 }, gates: { coverage: 0.8, mastery: 0.6, minStudyMinutes: 0 }, maxRate: 1.5, slackSeconds: 3, seekLock: true, pauseWhenHidden: true, ...policy },
  expiresAt: '2099-01-01T00:00:00Z',
});

const page = (bundle, attrs) => `<!doctype html><html><head><meta charset="utf-8"><title>smoke</title><link rel="icon" href="data:,">
<style>body{margin:24px;font-family:sans-serif;background:#f3f4f6} xcredit-player{max-width:640px;--xcredit-accent:#0d9488}</style></head>
<body><xcredit-player ${attrs}></xcredit-player>
${bundle === 'iife' ? '<script src="/dist/xcredit-player.iife.js"></script>' : '<script type="module" src="/dist/xcredit-player.js"></script>'}
</body></html>`;

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Experience-API-Version' };
  if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
  if (url.pathname === '/') {
    const attrs = url.searchParams.get('attrs') ?? '';
    return res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page(url.searchParams.get('bundle'), attrs.replaceAll('PORT', String(port))));
  }
  if (url.pathname.startsWith('/dist/')) {
    const file = join(pkg, url.pathname);
    return res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(readFileSync(file));
  }
  if (url.pathname === '/api/v1/launches/current') {
    const auth = req.headers.authorization;
    if (auth === `Bearer ${TOKEN}`) return json(res, 200, launch({}), cors);
    if (auth === 'Bearer tok-unlocked') return json(res, 200, launch({ seekLock: false }), cors);
    if (auth === 'Bearer tok-easy') return json(res, 200, launch({ seekLock: false, gates: { coverage: 0.2, mastery: 0.6, minStudyMinutes: 0 } }), cors);
    return json(res, 401, { message: 'launch token expired or unknown' }, cors);
  }
  if (url.pathname === '/xapi/statements' && req.method === 'POST') {
    const body = JSON.parse(await text(req));
    if (failNextPosts > 0) {
      failNextPosts--;
      if (process.env.SMOKE_DEBUG) console.log('    refused', body.map((s) => s.verb.display['en-US']).join(' '));
      return json(res, 503, { message: 'try later' }, cors);
    }
    received.push({ at: Date.now(), statements: body, version: req.headers['x-experience-api-version'] });
    return json(res, 200, body.map((s) => s.id), cors);
  }
  if (url.pathname === '/demo/demo.mp4') return serveRange(req, res, demo);
  res.writeHead(404).end();
});
const port = await new Promise((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)));
const base = `http://127.0.0.1:${port}`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
});
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};
const verbsOf = () => received.flatMap((r) => r.statements.map((s) => s.verb.display['en-US']));
const ext = (s, name) => s.result?.extensions?.[`https://w3id.org/xapi/video/extensions/${name}`];

try {
  // 1. ESM bundle, English: play, seek-lock, pause, flush.
  const ctx = await browser.newContext({ viewport: { width: 720, height: 560 } });
  const p = await ctx.newPage();
  const logs = [];
  p.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  p.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  p.on('response', (r) => r.status() >= 400 && logs.push(`http ${r.status()}: ${r.url()}`));
  // A relative endpoint, as the server's demo page writes it.
  await p.goto(`${base}/?attrs=${encodeURIComponent(`endpoint="/xapi" launch-token="${TOKEN}"`)}`);
  const ready = await p.evaluate(() => new Promise((r) => document.querySelector('xcredit-player').addEventListener('xcredit:ready', (e) => r(e.detail), { once: true })));
  check(ready.courseId === 'demo' && Math.abs(ready.duration - 15) < 0.5, `xcredit:ready with duration ${ready.duration}`);
  check(await p.evaluate(() => document.querySelector('xcredit-player').ready === true), 'element.ready is true after xcredit:ready');
  check(await p.evaluate(() => !!document.getElementById('xcredit-player-fonts')), 'icon font @font-face installed in document.head');
  await p.evaluate(() => document.querySelector('xcredit-player').play());
  await p.waitForTimeout(3000);
  await p.evaluate(() => document.querySelector('xcredit-player').seek(12));
  await p.waitForTimeout(400);
  const afterLockedSeek = await p.evaluate(() => document.querySelector('xcredit-player').shadowRoot.querySelector('video').currentTime);
  check(afterLockedSeek < 5, `seek lock sent a forward seek back (currentTime ${afterLockedSeek.toFixed(2)})`);
  await p.evaluate(() => {
    const v = document.querySelector('xcredit-player').shadowRoot.querySelector('video');
    v.playbackRate = 4;
  });
  await p.waitForTimeout(300);
  const rate = await p.evaluate(() => document.querySelector('xcredit-player').shadowRoot.querySelector('video').playbackRate);
  check(rate === 1.5, `playbackRate 4 clamped to maxRate (${rate})`);
  await p.waitForTimeout(1200);
  await p.evaluate(() => document.querySelector('xcredit-player').pause());
  await p.waitForTimeout(200);
  await p.evaluate(() => document.querySelector('xcredit-player').seek(1));
  await p.waitForTimeout(300);
  await p.evaluate(() => document.querySelector('xcredit-player').flush());
  const state = await p.evaluate(() => {
    const el = document.querySelector('xcredit-player');
    const root = el.shadowRoot;
    const icon = root.querySelector('.vjs-play-control .vjs-icon-placeholder');
    return {
      progress: el.progress,
      pending: el.pendingStatements,
      status: root.querySelector('[part=status]').textContent.trim().replace(/\s+/g, ' '),
      iconFont: icon ? getComputedStyle(icon, '::before').fontFamily : null,
      iconGlyph: icon ? getComputedStyle(icon, '::before').content : null,
      fontLoaded: [...document.fonts].some((f) => f.family.replace(/"/g, '') === 'VideoJS' && f.status === 'loaded'),
      rates: [...root.querySelectorAll('.vjs-playback-rate .vjs-menu-item-text')].map((e) => e.textContent),
      height: root.querySelector('.stage').getBoundingClientRect().height,
      width: root.querySelector('.stage').getBoundingClientRect().width,
    };
  });
  console.log('   state', JSON.stringify(state));
  check(state.pending === 0, 'outbox empty after flush');
  check(state.iconFont?.includes('VideoJS') && state.fontLoaded, 'control icons use the VideoJS font, loaded');
  check(!state.rates.some((r) => parseFloat(r) > 1.5), `rate menu offers nothing above 1.5x (${state.rates.join(' ')})`);
  check(Math.abs(state.width / state.height - 16 / 9) < 0.02, `stage is 16:9 (${state.width}x${state.height})`);
  check(/\d+% watched/.test(state.status), `status line "${state.status}"`);
  const verbs = verbsOf();
  console.log('   verbs', verbs.join(' '));
  check(verbs[0] === 'initialized' && verbs.includes('played') && verbs.includes('paused') && verbs.includes('seeked'), 'initialized, played, seeked, paused reached the LRS');
  check(received.every((r) => r.version === '1.0.3'), 'X-Experience-API-Version 1.0.3 on every POST');
  const all = received.flatMap((r) => r.statements);
  const paused = all.filter((s) => s.verb.display['en-US'] === 'paused').at(-1);
  console.log('   paused', JSON.stringify(paused?.result));
  check(paused && ext(paused, 'played-segments')?.startsWith('0[.]'), 'paused carries played-segments from 0');
  const sessionIds = new Set(all.map((s) => s.context.extensions['https://w3id.org/xapi/video/extensions/session-id']));
  check(sessionIds.size === 1 && sessionIds.has(all[0].id), 'one session id, the initialized statement id');
  await p.mouse.move(300, 250);
  await p.screenshot({ path: join(out, 'player-en.png') });

  // 2. Removing the element sends `terminated`.
  await p.evaluate(() => document.querySelector('xcredit-player').play());
  await p.waitForTimeout(1000);
  await p.evaluate(() => document.querySelector('xcredit-player').remove());
  await p.waitForTimeout(800);
  check(verbsOf().at(-1) === 'terminated', 'element removal sends terminated');
  const badLogs = logs.filter((l) => /^(error|pageerror|http)/.test(l));
  check(badLogs.length === 0, `no page errors${badLogs.length ? `: ${badLogs.join(' | ')}` : ''}`);
  await ctx.close();

  // 3. IIFE bundle, Chinese, expired token: message in the element and xcredit:error.
  const ctx2 = await browser.newContext({ viewport: { width: 720, height: 480 } });
  const p2 = await ctx2.newPage();
  await p2.addInitScript(() => {
    window.__errors = [];
    window.addEventListener('xcredit:error', (e) => window.__errors.push(e.detail));
  });
  await p2.goto(`${base}/?bundle=iife&attrs=${encodeURIComponent(`endpoint="${base}/xapi" launch-token="expired" lang="zh-CN"`)}`);
  await p2.waitForFunction(() => window.__errors.length > 0);
  const err = await p2.evaluate(() => ({ detail: window.__errors[0], text: document.querySelector('xcredit-player').shadowRoot.querySelector('[part=message]')?.textContent.trim() }));
  check(err.detail.status === 401 && err.detail.message.includes('expired'), `401 → xcredit:error ${JSON.stringify(err.detail)}`);
  check(err.text?.includes('课程链接已过期'), `zh-CN message shown: ${err.text}`);
  await p2.screenshot({ path: join(out, 'player-401-zh.png') });

  // 4. IIFE, Chinese, LRS down at first: statements retried under the same ids; zh controls.
  received.length = 0;
  failNextPosts = 2;
  await p2.goto(`${base}/?bundle=iife&attrs=${encodeURIComponent(`endpoint="${base}/xapi" launch-token="tok-unlocked" lang="zh-CN"`)}`);
  await p2.evaluate(() => new Promise((r) => document.querySelector('xcredit-player').addEventListener('xcredit:ready', r, { once: true })));
  await p2.evaluate(() => document.querySelector('xcredit-player').play());
  await p2.waitForTimeout(1500);
  await p2.evaluate(() => document.querySelector('xcredit-player').seek(13));
  await p2.waitForTimeout(2500);
  const ended = await p2.evaluate(() => document.querySelector('xcredit-player').shadowRoot.querySelector('video').ended);
  await p2.waitForFunction(() => document.querySelector('xcredit-player').pendingStatements === 0, null, { timeout: 15000 });
  const v2 = verbsOf();
  console.log('   verbs', v2.join(' '), 'ended', ended);
  const ids = received.flatMap((r) => r.statements.map((s) => s.id));
  check(new Set(ids).size === ids.length && v2[0] === 'initialized', 'after two 503s every statement arrived exactly once');
  const completed4 = received.flatMap((r) => r.statements).find((s) => s.verb.display['en-US'] === 'completed');
  check(v2.includes('seeked') && completed4 && ext(completed4, 'progress') < 0.5, `skipping to the end: completed at the end, carrying the real progress (${completed4 && ext(completed4, 'progress')})`);
  const badge4 = await p2.evaluate(() => !!document.querySelector('xcredit-player').shadowRoot.querySelector('.status .done'));
  check(!badge4, 'no "completed" badge for the learner who skipped');
  const label = await p2.evaluate(() => document.querySelector('xcredit-player').shadowRoot.querySelector('.vjs-play-control .vjs-control-text')?.textContent);
  const status2 = await p2.evaluate(() => document.querySelector('xcredit-player').shadowRoot.querySelector('[part=status]').textContent.trim());
  check(/播放|重播|暂停/.test(label ?? ''), `video.js controls in Chinese ("${label}")`);
  check(/已观看 \d+%/.test(status2), `status line "${status2}"`);
  await p2.mouse.move(300, 200);
  await p2.screenshot({ path: join(out, 'player-zh.png') });
  await ctx2.close();

  // 5. A click on video.js's seek bar while playing (pause, seek, play inside video.js) and
  //    completion at a low threshold.
  received.length = 0;
  const ctx3 = await browser.newContext({ viewport: { width: 720, height: 480 } });
  const p3 = await ctx3.newPage();
  await p3.goto(`${base}/?attrs=${encodeURIComponent(`endpoint="${base}/xapi" launch-token="tok-easy"`)}`);
  await p3.evaluate(() => new Promise((r) => document.querySelector('xcredit-player').addEventListener('xcredit:ready', r, { once: true })));
  await p3.evaluate(() => document.querySelector('xcredit-player').play());
  await p3.waitForTimeout(2000);
  const bar = await p3.locator('xcredit-player').locator('.vjs-progress-holder').boundingBox();
  await p3.mouse.move(bar.x + bar.width * 0.6, bar.y + bar.height / 2);
  await p3.mouse.down();
  await p3.mouse.move(bar.x + bar.width * 0.65, bar.y + bar.height / 2, { steps: 5 });
  await p3.mouse.move(bar.x + bar.width * 0.7, bar.y + bar.height / 2, { steps: 5 });
  await p3.mouse.up();
  await p3.waitForFunction(() => document.querySelector('xcredit-player').shadowRoot.querySelector('video').ended, null, { timeout: 15000 });
  await p3.evaluate(() => document.querySelector('xcredit-player').flush());
  const badge5 = await p3.evaluate(() => document.querySelector('xcredit-player').shadowRoot.querySelector('.status').textContent.trim().replace(/\s+/g, ' '));
  check(/Completed/.test(badge5), `threshold 0.2 reached: status "${badge5}"`);
  const all5 = received.flatMap((r) => r.statements);
  const line = all5.map((s) => {
    const v = s.verb.display['en-US'];
    return v === 'seeked' ? `seeked(${ext(s, 'time-from')}→${ext(s, 'time-to')})` : `${v}(${ext(s, 'time') ?? ''})`;
  });
  console.log('   ', line.join(' '));
  const seeks = all5.filter((s) => s.verb.display['en-US'] === 'seeked');
  // video.js seeks once on mousedown before it marks the drag as scrubbing, so a drag reports one or two seeks.
  check(seeks.length >= 1 && seeks.length <= 2, `a drag on the seek bar reports at most two seeks (${seeks.length})`);
  check(seeks[0] && ext(seeks[0], 'time-from') < 3 && ext(seeks.at(-1), 'time-to') > 9, 'the seeks go from where media was (~2 s) to the drop point');
  const firstPause = all5.find((s) => s.verb.display['en-US'] === 'paused');
  check(firstPause && ext(firstPause, 'time') < 3, 'the pause video.js makes on mousedown is reported where media was, not at the destination');
  const completed5 = all5.filter((s) => s.verb.display['en-US'] === 'completed');
  check(completed5.length === 1 && completed5[0].result.completion === true && ext(completed5[0], 'time') > 14.5, 'completed sent once, at the end of the video');
  const finalSegments = ext(completed5[0] ?? {}, 'played-segments');
  console.log('    final played-segments', finalSegments);
  await ctx3.close();

  // 6. LRS down: statements wait in IndexedDB; navigating away sends `terminated` with keepalive
  //    (refused too), and the next page load delivers everything under the original ids.
  received.length = 0;
  failNextPosts = 1000;
  const ctx4 = await browser.newContext({ viewport: { width: 720, height: 480 } });
  const p4 = await ctx4.newPage();
  const url4 = `${base}/?attrs=${encodeURIComponent(`endpoint="${base}/xapi" launch-token="${TOKEN}"`)}`;
  await p4.goto(url4);
  await p4.evaluate(() => new Promise((r) => document.querySelector('xcredit-player').addEventListener('xcredit:ready', r, { once: true })));
  await p4.evaluate(() => document.querySelector('xcredit-player').play());
  await p4.waitForTimeout(1500);
  await p4.evaluate(() => document.querySelector('xcredit-player').pause());
  await p4.evaluate(() => document.querySelector('xcredit-player').flush());
  const offline = await p4.evaluate(() => ({ pending: document.querySelector('xcredit-player').pendingStatements, status: document.querySelector('xcredit-player').shadowRoot.querySelector('[part=status]').textContent.trim().replace(/\s+/g, ' ') }));
  check(offline.pending >= 3 && /Offline: \d+ updates? saved/.test(offline.status), `LRS down: ${offline.pending} pending, status "${offline.status}"`);
  await p4.goto('about:blank');
  failNextPosts = 0;
  await p4.goto(url4);
  await p4.waitForFunction(() => document.querySelector('xcredit-player')?.pendingStatements === 0 && document.querySelector('xcredit-player').progress !== undefined, null, { timeout: 15000 });
  await p4.waitForTimeout(500);
  const verbs6 = verbsOf();
  console.log('   verbs', verbs6.join(' '));
  const sessions = new Set(received.flatMap((r) => r.statements.map((s) => s.context.extensions['https://w3id.org/xapi/video/extensions/session-id'])));
  check(verbs6.filter((v) => v === 'initialized').length === 2 && verbs6.includes('terminated') && verbs6.includes('paused'), 'the next page delivered the first page\'s statements, terminated included');
  check(sessions.size === 2, 'two sessions, one per page');
  await ctx4.close();
} finally {
  await browser.close();
  server.close();
}
console.log(failures.length ? `\n${failures.length} check(s) failed` : '\nall checks passed', `— screenshots in ${out}`);
process.exitCode = failures.length ? 1 : 0;

function json(res, status, body, headers) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}
function text(req) {
  return new Promise((r) => {
    let s = '';
    req.on('data', (c) => (s += c));
    req.on('end', () => r(s));
  });
}
// Chromium only seeks in media served with byte ranges.
function serveRange(req, res, file) {
  const size = statSync(file).size;
  const m = /bytes=(\d*)-(\d*)/.exec(req.headers.range ?? '');
  if (!m) {
    res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': size, 'Accept-Ranges': 'bytes' });
    return createReadStream(file).pipe(res);
  }
  const start = m[1] ? Number(m[1]) : 0;
  const end = m[2] ? Number(m[2]) : size - 1;
  res.writeHead(206, { 'Content-Type': 'video/mp4', 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1, 'Accept-Ranges': 'bytes' });
  createReadStream(file, { start, end }).pipe(res);
}
