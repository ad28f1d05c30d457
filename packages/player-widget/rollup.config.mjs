import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

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

export default {
  input: 'build/index.js',
  plugins: [nodeResolve({ browser: true }), commonjs(), textAssets()],
  treeshake: {
    // The sdk's modules only declare things; without this its zod schemas (unused here) would ship.
    moduleSideEffects: (id, external) => !external && !/[\\/]packages[\\/]sdk[\\/]dist[\\/]/.test(id),
  },
  onwarn(warning, warn) {
    // Dependencies' circular imports, UMD `this` and misplaced pure comments are theirs and harmless.
    const quiet = ['CIRCULAR_DEPENDENCY', 'THIS_IS_UNDEFINED', 'INVALID_ANNOTATION'];
    if (quiet.includes(warning.code) && /node_modules/.test(warning.ids?.[0] ?? warning.id ?? '')) return;
    warn(warning);
  },
  output: [
    { file: 'dist/xcredit-player.js', format: 'es', sourcemap: true, plugins: [terser()] },
    { file: 'dist/xcredit-player.iife.js', format: 'iife', name: 'XcreditPlayer', sourcemap: true, plugins: [terser()] },
  ],
};
