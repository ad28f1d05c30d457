// Gzip sizes of the <xcredit-player> bundles against their budgets: our own code (lit and
// video.js left out), the whole player (ESM and <script>), and the opt-in streaming build.
// Run after `pnpm build`; prints each size and its ratio to the budget, all from this run.
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const pkg = fileURLToPath(new URL('../packages/player-widget/', import.meta.url));
const need = createRequire(`${pkg}package.json`);
if (!existsSync(`${pkg}build/index.js`) || !existsSync(`${pkg}dist/xcredit-player.js`)) {
  throw new Error('player-widget is not built: run `pnpm build` first');
}
const { rollup } = need('rollup');
const terser = (await import(need.resolve('@rollup/plugin-terser'))).default;
const { inputOptions } = await import(`${pkg}rollup.config.mjs`);

const KB = 1024;
const gz = (code) => gzipSync(code, { level: 9 }).length;

/** Our code alone: the player and the sdk parts it uses, minified as shipped, lit and video.js external. */
async function ownCode() {
  const bundle = await rollup(inputOptions({ external: (id) => /^(@lit\/[^\\/]+|lit|lit-html|lit-element|video\.js)([\\/]|$)/.test(id) }));
  const { output } = await bundle.generate({ format: 'es', plugins: [terser()] });
  await bundle.close();
  return output[0].code;
}

const rows = [
  { name: 'our own code (player + sdk, minified)', bytes: await ownCode(), budget: 25 * KB },
  { name: 'xcredit-player.js (ESM: ours + lit + video.js core)', bytes: readFileSync(`${pkg}dist/xcredit-player.js`), budget: 110 * KB },
  { name: 'xcredit-player.iife.js (one <script>)', bytes: readFileSync(`${pkg}dist/xcredit-player.iife.js`), budget: 110 * KB },
];
if (existsSync(`${pkg}dist/xcredit-player-streaming.js`)) {
  rows.push({ name: 'xcredit-player-streaming.js (opt-in HLS/DASH, video.js full)', bytes: readFileSync(`${pkg}dist/xcredit-player-streaming.js`), budget: null });
}

const total = gz(rows[1].bytes);
console.log('bundle'.padEnd(64), 'min KB'.padStart(8), 'gzip KB'.padStart(8), 'budget'.padStart(8), 'of budget'.padStart(10));
let over = 0;
for (const r of rows) {
  const size = gz(r.bytes);
  const ratio = r.budget ? size / r.budget : null;
  if (ratio !== null && ratio > 1) over++;
  console.log(
    r.name.padEnd(64),
    (r.bytes.length / KB).toFixed(1).padStart(8),
    (size / KB).toFixed(1).padStart(8),
    (r.budget ? `${r.budget / KB}` : '—').padStart(8),
    (ratio === null ? `${(size / total).toFixed(2)}× core` : `${(ratio * 100).toFixed(1)}%`).padStart(10),
  );
}
console.log(`our code is ${((gz(rows[0].bytes) / total) * 100).toFixed(0)}% of the core player's gzip size`);
if (over) {
  console.log(`${over} bundle(s) over budget`);
  process.exitCode = 1;
}
