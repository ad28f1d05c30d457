import { html } from '../../html.js';

const style = html`
  :root { color-scheme: light; --ink: #1d2733; --muted: #5b6775; --line: #dde3ea; --accent: #0f6fde; font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Noto Sans CJK SC", sans-serif; color: var(--ink); }
  body { margin: 0; background: #f5f7fa; }
`;

const TEXT = {
  en: { title: 'xcredit admin', heading: 'Sign in to the dashboard', key: 'Client key', secret: 'Client secret', submit: 'Sign in', hint: 'Use a client that holds the credits/admin scope (from a clone: npm run xcredit -- create-client --name admin --scopes credits/admin).', other: '中文', otherLang: 'zh' },
  zh: { title: 'xcredit 管理后台', heading: '登录管理后台', key: '客户端密钥 ID', secret: '客户端密钥', submit: '登录', hint: '请使用具有 credits/admin 权限的客户端（在代码目录中运行：npm run xcredit -- create-client --name admin --scopes credits/admin）。', other: 'English', otherLang: 'en' },
} as const;

/** The sign-in form; an error, when there is one, is shown above the fields it concerns. */
export function signInPage({ lang, key = '', error }: { lang: 'en' | 'zh'; key?: string; error?: string }): string {
  const t = TEXT[lang];
  return html`<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t.title}</title><style>${style}
  main { max-width: 380px; margin: 10vh auto; background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 28px; }
  h1 { font-size: 1.25rem; margin: 0 0 18px; } label { display: block; font-size: .9rem; margin: 12px 0 4px; }
  input { width: 100%; box-sizing: border-box; padding: 8px 10px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
  button { margin-top: 18px; width: 100%; padding: 10px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
  .error { background: #fde7e5; color: #b3261e; border-radius: 6px; padding: 8px 10px; font-size: .9rem; }
  .hint { color: var(--muted); font-size: .8rem; } .lang { float: right; font-size: .85rem; color: var(--accent); }
</style></head>
<body><main>
  <a class="lang" href="/admin?lang=${t.otherLang}">${t.other}</a>
  <h1>${t.heading}</h1>
  ${error ? html`<p class="error" role="alert" id="error">${error}</p>` : ''}
  <form method="post" action="/admin/session" id="sign-in">
    <input type="hidden" name="lang" value="${lang}">
    <label for="key">${t.key}</label><input id="key" name="key" autocomplete="username" value="${key}" required>
    <label for="secret">${t.secret}</label><input id="secret" name="secret" type="password" autocomplete="current-password" required>
    <button type="submit">${t.submit}</button>
  </form>
  <p class="hint">${t.hint}</p>
</main></body></html>`.text;
}

/** The signed-in app: the Lit element, with the session's CSRF token for its writes. */
export function shellPage({ csrfToken, clientKey }: { csrfToken: string; clientKey: string }): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${csrfToken}">
<title>xcredit admin</title><style>${style}</style>
<script type="module" src="/admin/static/xcredit-admin.js"></script></head>
<body><xcredit-admin client-key="${clientKey}"></xcredit-admin>
<form method="post" action="/admin/session/end" id="sign-out" hidden><input type="hidden" name="csrf" value="${csrfToken}"></form>
</body></html>`.text;
}
