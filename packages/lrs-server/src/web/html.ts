const MARKUP: unique symbol = Symbol('markup');

/** Markup made by `html` (or `inlineScript`): interpolated into another template as it is, never escaped twice. */
export class Html {
  // Only this module makes markup (the key is not exported): everything else reaches a page escaped.
  constructor(
    readonly text: string,
    key: typeof MARKUP,
  ) {
    if (key !== MARKUP) throw new TypeError('Html is made by html`…` or inlineScript()');
  }
  toString(): string {
    return this.text;
  }
}

/** What a template may interpolate: text (escaped), numbers and booleans, markup, nothing, or lists of these. */
export type Interpolation = Html | string | number | boolean | null | undefined | readonly Interpolation[];

/** Text escaped for HTML text and quoted attribute values. */
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function render(value: Interpolation): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * A template for server-rendered pages whose interpolations are escaped unless they are markup
 * made by `html` themselves: forgetting to escape is not possible. Lists are joined; null and
 * undefined render nothing. An attribute value must be quoted (an unquoted one is refused when
 * the page renders), since escaping cannot contain one.
 *
 * @example
 * const row = (name: string) => html`<li title="${name}">${name}</li>`;
 * html`<ul>${['<b>', 'Ann'].map(row)}</ul>`.text; // '<ul><li title="&#60;b&#62;">&#60;b&#62;</li><li title="Ann">Ann</li></ul>'
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) {
    if (/\s[\w:-]+\s*=\s*$/.test(strings[i]!)) throw new Error(`html: unquoted attribute value before interpolation ${i + 1} ("${strings[i]!.slice(-40)}")`);
    out += render(values[i]!) + strings[i + 1]!;
  }
  return new Html(out, MARKUP);
}

/**
 * An inline `<script>` with exactly this text, which a page's CSP allows by its hash
 * (web/headers.ts): the text is our own constant, never data, and cannot close its element early.
 *
 * @example
 * html`<body>…${inlineScript(PLAY_SCRIPT, 'module')}</body>`;
 */
export function inlineScript(text: string, type?: 'module'): Html {
  if (/<\/script|<!--/i.test(text)) throw new Error('inlineScript: the text would end its <script> element early');
  return new Html(`<script${type ? ` type="${type}"` : ''}>${text}</script>`, MARKUP);
}
