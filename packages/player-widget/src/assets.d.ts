// Stylesheets arrive as strings (rollup.config.mjs, "text-assets") and are adopted by the shadow root.
declare module '*.css' {
  const css: string;
  export default css;
}

// video.js without its HLS/DASH engine, typed as the full build (whose CommonJS-style types
// put the function at `.default.default` under NodeNext).
declare module 'video.js/core.es.js' {
  import type * as full from 'video.js';
  const videojs: typeof full.default.default;
  export default videojs;
}

// video.js's own control labels, merged with videojs.addLanguage.
declare module 'video.js/dist/lang/zh-CN.json' {
  const translations: Record<string, string>;
  export default translations;
}
