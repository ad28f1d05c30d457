import { createHash, createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const KEY = readFileSync(new URL('./testdata/signing-key.pem', import.meta.url), 'utf8');
const CERT = readFileSync(new URL('./testdata/signing-cert.pem', import.meta.url), 'utf8');
const SIGNATURE = 'http://adlnet.gov/expapi/attachments/signature';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A compact JWS over `payload`, signed with the test key; `x5c` carries the test certificate. */
function jws(payload: object, { alg = 'RS256', x5c = true, key = KEY, hash }: { alg?: string; x5c?: boolean | unknown[]; key?: string; hash?: string } = {}): string {
  const header: Record<string, unknown> = { alg };
  if (x5c === true) header.x5c = [CERT.replace(/-----[^-]+-----|\s/g, '')];
  else if (x5c !== false) header.x5c = x5c;
  const h = Buffer.from(JSON.stringify(header)).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signer = createSign(hash ?? HASH[alg] ?? 'sha256');
  signer.update(`${h}.${p}`);
  return `${h}.${p}.${signer.sign(key).toString('base64url')}`;
}
const HASH: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' };
const OTHER_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function multipart(statement: unknown, parts: { contentType: string; body: Buffer | string; hash?: string; encoding?: string | null }[]) {
  const boundary = `b-${randomUUID()}`;
  const chunks: (Buffer | string)[] = [`--${boundary}\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(statement)}\r\n`];
  for (const part of parts) {
    const encoding = part.encoding === null ? '' : `Content-Transfer-Encoding: ${part.encoding ?? 'binary'}\r\n`;
    chunks.push(`--${boundary}\r\nContent-Type: ${part.contentType}\r\n${encoding}X-Experience-API-Hash: ${part.hash ?? sha256(part.body)}\r\n\r\n`, part.body, '\r\n');
  }
  chunks.push(`--${boundary}--\r\n`);
  return { body: Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))), contentType: `multipart/mixed; boundary=${boundary}` };
}

describe.each(engines)('xAPI attachments and signed statements on %s', (engine) => {
  let server: TestServer;
  const send = (m: { body: Buffer; contentType: string }) =>
    fetch(`${server.url}/xapi/statements`, { method: 'POST', headers: { authorization: server.admin.authorization, 'x-experience-api-version': '2.0.0', 'content-type': m.contentType }, body: Uint8Array.from(m.body) });
  const statement = (attachments: object[]) => ({
    id: randomUUID(),
    actor: { objectType: 'Agent', mbox: 'mailto:ana@example.com' },
    verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
    object: { objectType: 'Activity', id: 'https://example.com/x' },
    attachments,
  });
  const attachment = (body: string, over: object = {}) => ({ usageType: 'http://example.com/usage/file', display: { 'en-US': 'file' }, contentType: 'text/plain', length: body.length, sha2: sha256(body), ...over });

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
  });
  afterAll(() => server?.close());

  it('stores an attachment sent in multipart/mixed and returns it with attachments=true', async () => {
    const content = `hello ${randomUUID()}`;
    const s = statement([attachment(content)]);
    const res = await send(multipart(s, [{ contentType: 'text/plain', body: content }]));
    expect(res.status).toBe(200);
    const plain = await fetch(`${server.url}/xapi/statements?statementId=${s.id}`, { headers: { authorization: server.admin.authorization, 'x-experience-api-version': '2.0.0' } });
    expect(plain.headers.get('content-type')).toMatch(/application\/json/);
    const got = await fetch(`${server.url}/xapi/statements?statementId=${s.id}&attachments=true`, { headers: { authorization: server.admin.authorization, 'x-experience-api-version': '2.0.0' } });
    expect(got.headers.get('content-type')).toMatch(/^multipart\/mixed; boundary=/);
    const text = await got.text();
    expect(text).toContain(`"id":"${s.id}"`);
    expect(text).toContain(`X-Experience-API-Hash: ${sha256(content)}`);
    expect(text).toContain(content);
  });

  it.each([
    ['a missing part', (c: string) => multipart(statement([attachment(c)]), []), /no multipart part/],
    ['a part no attachment declares', (c: string) => multipart(statement([]), [{ contentType: 'text/plain', body: c }]), /matches no attachment/],
    ['a part whose content does not match its hash', (c: string) => multipart(statement([attachment(c)]), [{ contentType: 'text/plain', body: `${c}!`, hash: sha256(c) }]), /does not match/],
    ['a part without Content-Transfer-Encoding: binary', (c: string) => multipart(statement([attachment(c)]), [{ contentType: 'text/plain', body: c, encoding: null }]), /binary/],
  ])('rejects %s with 400 and stores nothing', async (_name, make, message) => {
    const m = make(`content ${randomUUID()}`);
    const id = JSON.parse(m.body.toString().split('\r\n\r\n')[1]!.split('\r\n')[0]!).id;
    const res = await send(m);
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(message);
    const after = await fetch(`${server.url}/xapi/statements?statementId=${id}`, { headers: { authorization: server.admin.authorization, 'x-experience-api-version': '2.0.0' } });
    expect(after.status).toBe(404);
  });

  it('rejects a multipart body over 16 MB with 413', async () => {
    const content = Buffer.alloc(17 * 1024 * 1024, 120);
    const s = statement([attachment('x'.repeat(content.length), { sha2: sha256(content) })]);
    const res = await send(multipart(s, [{ contentType: 'application/octet-stream', body: content }]));
    expect(res.status).toBe(413);
  });

  describe('signed statements', () => {
    const signed = (sign: (s: object) => string) => {
      const s = statement([]);
      const token = sign(s);
      const withSig = { ...s, attachments: [attachment(token, { usageType: SIGNATURE, contentType: 'application/octet-stream' })] };
      return multipart(withSig, [{ contentType: 'application/octet-stream', body: token }]);
    };

    it('accepts a statement signed with RS256 whose certificate verifies it', async () => {
      expect((await send(signed((s) => jws(s)))).status).toBe(200);
    });

    it.each(['RS384', 'RS512'])('accepts %s, and a signature without a certificate to check it against', async (alg) => {
      expect((await send(signed((s) => jws(s, { alg })))).status).toBe(200);
      expect((await send(signed((s) => jws(s, { alg, x5c: false })))).status).toBe(200);
    });

    it.each([
      ['a payload that differs from the statement', (s: object) => jws({ ...s, verb: { id: 'http://example.com/verbs/other' } }), /differs/],
      ['an algorithm other than RS256/384/512', (s: object) => jws(s, { alg: 'HS256' }), /algorithm/],
      ['a signature that does not verify with its certificate', (s: object) => jws(s).replace(/\.[^.]+$/, `.${Buffer.from('forged').toString('base64url')}`), /does not verify/],
      ['something that is not a JWS', () => 'not a jws', /compact JWS/],
      ['a header that is not base64url JSON', (s: object) => `${Buffer.from('{nope').toString('base64url')}.${jws(s).split('.').slice(1).join('.')}`, /not base64url JSON/],
      ['a payload that is not a statement', () => jws([1, 2] as unknown as object), /payload is not a statement/],
      ['an x5c header that is not a list of certificates', (s: object) => jws(s, { x5c: [42] }), /x5c header that is not an array/],
      ['an x5c certificate that cannot be read', (s: object) => jws(s, { x5c: [Buffer.from('not a certificate').toString('base64')] }), /cannot be read/],
      ['a signature made with another key than the certificate', (s: object) => jws(s, { key: OTHER_KEY }), /does not verify/],
      ['RS384 in the header over an RS256 signature', (s: object) => jws(s, { alg: 'RS384', hash: 'sha256' }), /does not verify/],
    ])('rejects %s with 400', async (_name, sign, message) => {
      const res = await send(signed(sign));
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toMatch(message);
    });
  });
});
