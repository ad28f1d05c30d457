import { describe, expect, it } from 'vitest';
import { Html, html, inlineScript } from './html.js';

const HOSTILE = `<img src=x onerror="alert('x')">&amp;`;
const ESCAPED = '&#60;img src=x onerror=&#34;alert(&#39;x&#39;)&#34;&#62;&#38;amp;';

describe('html', () => {
  it('escapes text in element content', () => {
    expect(html`<p>${HOSTILE}</p>`.text).toBe(`<p>${ESCAPED}</p>`);
  });

  it('escapes text in a quoted attribute, so it cannot close the quote', () => {
    expect(html`<a title="${HOSTILE}" data-x='${`' onclick='x`}'>a</a>`.text).toBe(`<a title="${ESCAPED}" data-x='&#39; onclick=&#39;x'>a</a>`);
  });

  it('interpolates nested templates as markup, escaping their values once', () => {
    const item = (name: string) => html`<li title="${name}">${name}</li>`;
    const page = html`<ul>${[HOSTILE, 'Ann'].map(item)}</ul>${html`<p>${'a & b'}</p>`}`;
    expect(page.text).toBe(`<ul><li title="${ESCAPED}">${ESCAPED}</li><li title="Ann">Ann</li></ul><p>a &#38; b</p>`);
  });

  it('renders numbers and booleans as text, null and undefined as nothing', () => {
    expect(html`<td data-started="${false}">${3.5}${null}${undefined}${''}</td>`.text).toBe('<td data-started="false">3.5</td>');
  });

  it('refuses an unquoted attribute value, which escaping cannot contain', () => {
    expect(() => html`<input value=${'x onfocus=alert(1)'}>`).toThrow(/unquoted attribute value before interpolation 1/);
    expect(() => html`<input value = ${'x'}>`).toThrow(/unquoted attribute/);
  });

  it('makes markup only from templates: a string is never taken as markup', () => {
    expect(() => new Html('<script>alert(1)</script>', Symbol('markup') as never)).toThrow(TypeError);
    expect(html`${'<b>' as unknown as Html}`.text).toBe('&#60;b&#62;');
  });
});

describe('inlineScript', () => {
  it('keeps the script text exactly, as its CSP hash needs', () => {
    const text = `document.body.dataset.x = "a" + '<b>' + (1 < 2);`;
    expect(html`<body>${inlineScript(text, 'module')}</body>`.text).toBe(`<body><script type="module">${text}</script></body>`);
    expect(inlineScript('f()').text).toBe('<script>f()</script>');
  });

  it('refuses a text that would end its element early', () => {
    expect(() => inlineScript('const s = "</SCRIPT><script>alert(1)";')).toThrow(/end its <script> element early/);
    expect(() => inlineScript('x <!-- y')).toThrow(/early/);
  });
});
