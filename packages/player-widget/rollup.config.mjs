import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/** `.css` imports become a string the element adopts in its shadow root; `.json` becomes its value. */
function textAssets() {
  return {
    name: 'text-assets',
    transform(code, id) {
      if (id.endsWith('.css')) return { code: `export default ${JSON.stringify(code)};`, map: { mappings: '' } };
      if (id.endsWith('.json')) return { code: `export default ${JSON.stringify(JSON.parse(code))};`, map: { mappings: '' } };
      return null;
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
    plugins: [streaming ? fullVideoJs() : fetchForTracks(), nodeResolve({ browser: true }), commonjs(), textAssets()],
    ...(external ? { external } : {}),
    treeshake: {
      // The sdk's modules only declare things; without this its zod schemas (unused here) would ship.
      moduleSideEffects: (id, isExternal) => !isExternal && !/[\\/]packages[\\/]sdk[\\/]dist[\\/]/.test(id),
    },
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
