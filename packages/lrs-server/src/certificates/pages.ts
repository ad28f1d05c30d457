import { html } from '../web/html.js';
import type { Certificate, Validity } from './certificates.js';

/** The answer for an address no certificate has. */
export function notFoundPage(): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>No such certificate</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 640px; margin: 48px auto">
  <h1 style="font-size: 1.3rem">No such certificate · 证书不存在</h1>
  <p id="status" data-valid="false">No certificate has this address. Check the link you were given, or ask its issuer.</p>
</body></html>`.text;
}

/** The public verification page: who earned what, when, and whether it is still valid. */
export function verificationPage(c: Certificate, v: Validity): string {
  const what = c.kind === 'course' ? html`completed the course <strong>${c.title}</strong>` : html`met <strong>${c.title}</strong>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Certificate ${c.certificateId} — ${c.learnerName}</title>
<style>
  body { margin: 0; background: #f5f7fa; font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Noto Sans CJK SC", sans-serif; color: #1d2733; }
  main { max-width: 640px; margin: 48px auto; background: #fff; border: 1px solid #dde3ea; border-radius: 12px; padding: 28px 32px; }
  h1 { font-size: 1.3rem; margin: 0 0 18px; }
  .status { display: inline-block; padding: 6px 12px; border-radius: 999px; font-weight: 600; margin-bottom: 16px; }
  .valid { background: #e3f4e8; color: #17803d; } .invalid { background: #fde7e5; color: #b3261e; }
  dl { display: grid; grid-template-columns: 9em 1fr; gap: 8px 12px; margin: 0 0 16px; } dt { color: #5b6775; } dd { margin: 0; }
  p.reason { color: #5b6775; font-size: .9rem; } a { color: #0f6fde; }
</style></head>
<body><main>
  <h1>Certificate verification · 证书验证</h1>
  <div class="status ${v.valid ? 'valid' : 'invalid'}" id="status" data-valid="${v.valid}">${v.valid ? '✓ Valid · 有效' : '✗ No longer valid · 已失效'}</div>
  <p><strong id="learner">${c.learnerName}</strong> (${c.learnerId}) ${what} in ${c.period}.</p>
  <dl>
    <dt>Credits · 学分</dt><dd>${c.credits}</dd>
    <dt>Issued · 签发</dt><dd>${c.issuedAt.slice(0, 10)} by ${c.issuer}</dd>
    <dt>Certificate · 编号</dt><dd><code>${c.certificateId}</code></dd>
  </dl>
  <p class="reason" id="reason">${v.reason}</p>
  <p><a href="/certificates/${c.certificateId}.pdf">Download the PDF · 下载 PDF</a></p>
</main></body></html>`.text;
}
