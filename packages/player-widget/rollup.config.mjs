import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/**
 * video.js's skin without the rules for features the player never turns on (title bar,
 * transient buttons, picture-in-picture, spatial navigation, audio-only mode, the poster image,
 * skip buttons, SVG icons, the `responsive` layout classes): selectors naming them are dropped, and a rule left with no selector goes too.
 * Everything else stays as written.
 */
const UNUSED_VIDEOJS = /vjs-(title-bar|transient-button|pip-|picture-in-picture|spatial|audio-only|poster|skip-|svg-icon|layout-)/;

export function pruneCss(css, unused = UNUSED_VIDEOJS) {
  let out = '';
  let i = 0;
  while (i < css.length) {
    const open = css.indexOf('{', i);
    if (open < 0) return out + css.slice(i);
    const head = css.slice(i, open);
    const close = matching(css, open);
    const body = css.slice(open + 1, close);
    if (/^\s*@(media|supports)/.test(head)) {
      const inner = pruneCss(body, unused);
      if (inner.trim()) out += `${head}{${inner}}`;
    } else if (/^\s*@/.test(head)) {
      out += `${head}{${body}}`;
    } else {
      const kept = splitTop(head).filter((sel) => !unused.test(sel));
      if (kept.length) out += `${kept.join(',')}{${body}}`;
    }
    i = close + 1;
  }
  return out;
}

function matching(css, open) {
  let depth = 0;
  for (let j = open; j < css.length; j++) {
    if (css[j] === '{') depth++;
    else if (css[j] === '}' && --depth === 0) return j;
  }
  return css.length;
}

/** Splits a selector list at its top-level commas (not those inside :not(…) or :is(…)). */
function splitTop(selectors) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let j = 0; j < selectors.length; j++) {
    const c = selectors[j];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selectors.slice(start, j));
      start = j + 1;
    }
  }
  parts.push(selectors.slice(start));
  return parts;
}

/** `.css` imports become a string the element adopts in its shadow root; `.json` becomes its value. */
function textAssets() {
  return {
    name: 'text-assets',
    transform(code, id) {
      if (id.endsWith('.css')) return { code: `export default ${JSON.stringify(/video-js\.min\.css$/.test(id) ? pruneCss(code) : code)};`, map: { mappings: '' } };
      if (id.endsWith('.json')) return { code: `export default ${JSON.stringify(JSON.parse(code))};`, map: { mappings: '' } };
      return null;
    },
  };
}

/** Our css`…` blocks without comments and runs of whitespace (lit ships template text as written). */
function compactCss() {
  const squeeze = (css) =>
    css
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\s+/g, ' ')
      .replace(/\s*([{};,>])\s*/g, '$1')
      .replace(/:\s+/g, ':')
      .trim();
  return {
    name: 'compact-css',
    transform(code, id) {
      if (!id.endsWith('/build/styles.js')) return null;
      return { code: code.replace(/css ?`([^`$]*)`/g, (_, css) => `css\`${squeeze(css)}\``), map: null };
    },
  };
}

/**
 * video.js carries its SVG icon sprite (about 15 KB of markup) as a string it parses only when
 * `experimentalSvgIcons` is on; the player never turns it on and draws the icon font. Left empty,
 * the option would fall back to the font, as video.js does with a sprite it cannot parse.
 */
export function dropSvgSprite() {
  return {
    name: 'drop-svg-sprite',
    transform(code, id) {
      if (!/[\\/]video\.js[\\/]dist[\\/]video(\.es|\.core\.es)?\.js$|[\\/]video\.js[\\/]core\.es\.js$/.test(id)) return null;
      const out = code.replace(/\bvar icons = "<svg xmlns=[^\n]*";\n/, 'var icons = "";\n');
      if (out === code) this.error(`video.js changed: no SVG sprite found in ${id} (check dropSvgSprite)`);
      return { code: out, map: null };
    },
  };
}

/** The opt-in streaming build: video.js's full build (HLS and DASH through VHS) in place of its core. */
function fullVideoJs() {
  return {
    name: 'full-video-js',
    async resolveId(source, importer) {
      if (source !== 'video.js/core.es.js') return null;
      return this.resolve('video.js/dist/video.es.js', importer, { skipSelf: true });
    },
  };
}

/** video.js core fetches only captions files with `@videojs/xhr`; build/track-fetch.js does that with fetch. */
function fetchForTracks() {
  return {
    name: 'fetch-for-tracks',
    resolveId: (source) => (source === '@videojs/xhr' ? here('build/track-fetch.js') : null),
  };
}

/**
 * Rollup input options for the player; `streaming` swaps in video.js's full build, `external`
 * leaves modules out (the size benchmark measures our own code that way).
 */
export function inputOptions({ streaming = false, external } = {}) {
  return {
    input: here('build/index.js'),
    plugins: [streaming ? fullVideoJs() : fetchForTracks(), dropSvgSprite(), compactCss(), nodeResolve({ browser: true }), commonjs(), textAssets()],
    ...(external ? { external } : {}),
    onwarn(warning, warn) {
      // Dependencies' circular imports, UMD `this`, misplaced pure comments and eval are theirs and harmless.
      const quiet = ['CIRCULAR_DEPENDENCY', 'THIS_IS_UNDEFINED', 'INVALID_ANNOTATION', 'EVAL'];
      if (quiet.includes(warning.code) && /node_modules/.test(warning.ids?.[0] ?? warning.id ?? '')) return;
      warn(warning);
    },
  };
}

export default [
  {
    ...inputOptions(),
    output: [
      { file: here('dist/xcredit-player.js'), format: 'es', sourcemap: true, plugins: [terser()] },
      { file: here('dist/xcredit-player.iife.js'), format: 'iife', name: 'XcreditPlayer', sourcemap: true, plugins: [terser()] },
    ],
  },
  {
    ...inputOptions({ streaming: true }),
    output: [{ file: here('dist/xcredit-player-streaming.js'), format: 'es', sourcemap: true, plugins: [terser()] }],
  },
];
