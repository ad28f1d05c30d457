import { describeIssues } from '@xcredit/sdk/xapi';
import { Router } from 'express';
import { actorOf, requireScope } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/index.js';
import { HttpError, invalidInput } from '../http-error.js';
import { certificateInput } from '@xcredit/sdk/contracts';
import { findCertificate, issueCertificate, type Certificate } from './certificates.js';
import { notFoundPage, verificationPage } from './pages.js';
import { certificatePdf, drawable } from './pdf.js';

/** `POST /certificates` (credits/admin) and `GET /certificates/:id` (credits/read) under /api/v1. */
export function certificatesApi({ db, config, clock }: AppContext): Router {
  const router = Router();
  router.post('/certificates', async (req, res) => {
    const p = requireScope(req, 'credits/admin');
    if (!req.is('application/json')) throw new HttpError(400, 'invalid_input', `Content-Type must be application/json (got ${req.get('content-type') ?? 'none'})`);
    const parsed = certificateInput.safeParse(req.body);
    if (!parsed.success) throw invalidInput(describeIssues(parsed.error), 'invalid request body');
    const { certificate, created } = await issueCertificate(db, p.tenant.id, actorOf(p), parsed.data, config.publicUrl, clock());
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

/** Public pages anyone with the link may open: `/certificates/:id` (verification) and `/certificates/:id.pdf`. */
export function certificatePages({ db, config, clock }: AppContext): Router {
  const router = Router();
  router.get(/^\/certificates\/([A-Za-z0-9_-]+)\.pdf$/, async (req, res) => {
    const found = await findCertificate(db, String((req.params as Record<string, string>)[0]), config.publicUrl, clock());
    if (!found) return void res.status(404).type('html').send(notFoundPage());
    res.set('Cache-Control', 'no-store');
    res.set('Content-Disposition', `inline; filename="certificate-${found.certificate.certificateId}.pdf"`);
    res.type('application/pdf').send(await renderPdf(found.certificate));
  });
  router.get('/certificates/:certificateId', async (req, res) => {
    const found = await findCertificate(db, String(req.params.certificateId), config.publicUrl, clock());
    res.set('Cache-Control', 'no-store');
    if (!found) return void res.status(404).type('html').send(notFoundPage());
    res.type('html').send(verificationPage(found.certificate, found.validity));
  });
  return router;
}

async function renderPdf(c: Certificate): Promise<Buffer> {
  const date = c.issuedAt.slice(0, 10);
  // A character none of the certificate's fonts has would print as "?": the id prints instead.
  const title = (await drawable(c.title)) ? c.title : (c.courseId ?? c.title);
  return certificatePdf({
    heading: c.kind === 'course' ? 'Certificate of completion' : 'Certificate of achievement',
    subheading: c.kind === 'course' ? '结业证书' : '学分达标证书',
    name: (await drawable(c.learnerName)) ? c.learnerName : c.learnerId,
    lines: [c.kind === 'course' ? 'has completed the course' : 'has met', title, `${c.credits} credits \u2022 ${c.period} \u2022 issued ${date}`],
    footer: [`Issued by ${(await drawable(c.issuer)) ? c.issuer : 'xcredit'} \u2022 certificate ${c.certificateId}`, `Verify at ${c.verifyUrl}`],
    verifyUrl: c.verifyUrl,
    issuedAt: new Date(c.issuedAt),
  });
}
