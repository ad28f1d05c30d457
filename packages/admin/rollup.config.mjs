import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

/** One ES module with Lit inside, served by the server at /admin/static/xcredit-admin.js. */
export default {
  input: 'build/index.js',
  plugins: [nodeResolve({ browser: true })],
  output: { file: 'dist/xcredit-admin.js', format: 'es', sourcemap: true, plugins: [terser()] },
};
