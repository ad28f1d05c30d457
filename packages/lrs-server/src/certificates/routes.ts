import { describeIssues } from '@xcredit/sdk/xapi';
import { Router } from 'express';
import { requireScope } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/index.js';
import { HttpError, invalidInput } from '../http-error.js';
import { certificateInput, findCertificate, issueCertificate, type Certificate, type Validity } from './certificates.js';
import { certificatePdf, isWinAnsi } from './pdf.js';

/** `POST /certificates` (credits/admin) and `GET /certificates/:id` (credits/read) under /api/v1. */
export function certificatesApi({ db, config, clock }: AppContext): Router {
  const router = Router();
  router.post('/certificates', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    if (!req.is('application/json')) throw new HttpError(400, 'invalid_input', `Content-Type must be application/json (got ${req.get('content-type') ?? 'none'})`);
    const parsed = certificateInput.safeParse(req.body);
    if (!parsed.success) throw invalidInput(describeIssues(parsed.error), 'invalid request body');
    const { certificate, created } = await issueCertificate(db, p.tenant.id, `client/${p.key}`, parsed.data, config.publicUrl, clock());
    res.status(created ? 201 : 200).json(certificate);
  });
  router.get('/certificates/:certificateId', async (req, res) => {
    const p = requireScope(req, 'credits/read');
    const found = await findCertificate(db, String(req.params.certificateId), config.publicUrl, clock());
    if (!found || !(await sameTenant(db, p.tenant.id, found.certificate.certificateId))) {
      throw new HttpError(404, 'certificate_not_found', `no certificate "${String(req.params.certificateId)}" in this tenant`);
    }
    res.json({ ...found.certificate, ...found.validity });
  });
  return router;
}

async function sameTenant(db: Db, tenantId: string, id: string): Promise<boolean> {
  return Boolean(await db.selectFrom('certificates').select('id').where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst());
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Public pages anyone with the link may open: `/certificates/:id` (verification) and `/certificates/:id.pdf`. */
export function certificatePages({ db, config, clock }: AppContext): Router {
  const router = Router();
  router.get(/^\/certificates\/([A-Za-z0-9_-]+)\.pdf$/, async (req, res) => {
    const found = await findCertificate(db, String((req.params as Record<string, string>)[0]), config.publicUrl, clock());
    if (!found) return void res.status(404).type('html').send(notFoundPage());
    res.set('Cache-Control', 'no-store');
    res.set('Content-Disposition', `inline; filename="certificate-${found.certificate.certificateId}.pdf"`);
    res.type('application/pdf').send(renderPdf(found.certificate));
  });
  router.get('/certificates/:certificateId', async (req, res) => {
    const found = await findCertificate(db, String(req.params.certificateId), config.publicUrl, clock());
    res.set('Cache-Control', 'no-store');
    if (!found) return void res.status(404).type('html').send(notFoundPage());
    res.type('html').send(verificationPage(found.certificate, found.validity));
  });
  return router;
}

function renderPdf(c: Certificate): Buffer {
  const date = c.issuedAt.slice(0, 10);
  const title = isWinAnsi(c.title) ? c.title : c.courseId ?? c.title;
  return certificatePdf({
    heading: c.kind === 'course' ? 'Certificate of completion' : 'Certificate of achievement',
    name: isWinAnsi(c.learnerName) ? c.learnerName : c.learnerId,
    lines: [c.kind === 'course' ? 'has completed the course' : 'has met', title, `${c.credits} credits \u2022 ${c.period} \u2022 issued ${date}`],
    footer: [`Issued by ${isWinAnsi(c.issuer) ? c.issuer : 'xcredit'} \u2022 certificate ${c.certificateId}`, `Verify at ${c.verifyUrl}`],
  });
}

function notFoundPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>No such certificate</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 640px; margin: 48px auto">
  <h1 style="font-size: 1.3rem">No such certificate · 证书不存在</h1>
  <p id="status" data-valid="false">No certificate has this address. Check the link you were given, or ask its issuer.</p>
</body></html>`;
}

function verificationPage(c: Certificate, v: Validity): string {
  const what = c.kind === 'course' ? `completed the course <strong>${escape(c.title)}</strong>` : `met <strong>${escape(c.title)}</strong>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Certificate ${escape(c.certificateId)} — ${escape(c.learnerName)}</title>
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
  <p><strong id="learner">${escape(c.learnerName)}</strong> (${escape(c.learnerId)}) ${what} in ${escape(c.period)}.</p>
  <dl>
    <dt>Credits · 学分</dt><dd>${c.credits}</dd>
    <dt>Issued · 签发</dt><dd>${escape(c.issuedAt.slice(0, 10))} by ${escape(c.issuer)}</dd>
    <dt>Certificate · 编号</dt><dd><code>${escape(c.certificateId)}</code></dd>
  </dl>
  <p class="reason" id="reason">${escape(v.reason)}</p>
  <p><a href="/certificates/${escape(c.certificateId)}.pdf">Download the PDF · 下载 PDF</a></p>
</main></body></html>`;
}
