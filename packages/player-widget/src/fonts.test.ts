/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { splitFontFaces } from './fonts.js';

describe('splitFontFaces', () => {
  it('moves every @font-face rule out and leaves the other rules in order', () => {
    const css = '.a{color:red}@font-face { font-family: A; src: url(data:font/woff;base64,AAAA) }\n.b{color:blue}@font-face{font-family:B;src:url(b.woff)}';
    const { fontFaces, rest } = splitFontFaces(css);
    expect(fontFaces).toBe('@font-face { font-family: A; src: url(data:font/woff;base64,AAAA) }\n@font-face{font-family:B;src:url(b.woff)}');
    expect(rest).toBe('.a{color:red}\n.b{color:blue}');
  });

  it("extracts video.js's icon font from the stylesheet the element ships", () => {
    const file = createRequire(import.meta.url).resolve('video.js/dist/video-js.min.css');
    const { fontFaces, rest } = splitFontFaces(readFileSync(file, 'utf8'));
    expect(fontFaces).toMatch(/^@font-face\{font-family:VideoJS;src:url\(data:application\/font-woff/);
    expect(rest).not.toContain('@font-face');
    expect(rest).toContain('.video-js .vjs-big-play-button');
  });
});
