import { X509Certificate, createPublicKey, verify } from 'node:crypto';
import { HttpError } from '../http-error.js';
import { sameStatement } from './normalize.js';

export const SIGNATURE_USAGE = 'http://adlnet.gov/expapi/attachments/signature';
const HASHES: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' };

/**
 * Checks a signed statement (xAPI Data 2.6): the signature attachment is a compact JWS signed
 * with RS256, RS384 or RS512 whose payload is the statement itself; when the JWS header carries
 * an X.509 chain (`x5c`), the signature must verify with its first certificate's key.
 *
 * @example
 * verifySignature(statement, jwsBytes, 'statements[0]'); // throws HttpError(400) when it does not hold
 */
export function verifySignature(statement: Record<string, unknown>, jws: Buffer, where: string): void {
  const fail = (why: string) => new HttpError(400, 'invalid_signature', `${where}: signature attachment ${why}`);
  const parts = jws.toString('utf8').trim().split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) throw fail('is not a compact JWS (header.payload.signature)');
  const [h, p, sig] = parts as [string, string, string];
  let header: { alg?: unknown; x5c?: unknown };
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    throw fail('has a header or payload that is not base64url JSON');
  }
  const hash = typeof header.alg === 'string' ? HASHES[header.alg] : undefined;
  if (!hash) throw fail(`uses algorithm ${JSON.stringify(header.alg)}; only RS256, RS384 and RS512 are allowed`);
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw fail('payload is not a statement');
  if (!sameStatement(withoutSignature(payload as Record<string, unknown>), withoutSignature(statement))) {
    throw fail('payload differs from the statement it signs');
  }
  if (header.x5c !== undefined) {
    const chain = header.x5c;
    if (!Array.isArray(chain) || typeof chain[0] !== 'string') throw fail('has an x5c header that is not an array of certificates');
    let key;
    try {
      key = new X509Certificate(Buffer.from(chain[0], 'base64')).publicKey;
    } catch {
      try {
        key = createPublicKey(`-----BEGIN CERTIFICATE-----\n${chain[0]}\n-----END CERTIFICATE-----`);
      } catch {
        throw fail('has an x5c certificate that cannot be read');
      }
    }
    if (!verify(hash, Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url'))) throw fail('does not verify with the x5c certificate');
  }
}

/** The statement as it was signed: without the signature attachment (the rest must match). */
function withoutSignature(s: Record<string, unknown>): Record<string, unknown> {
  const { attachments, ...rest } = s;
  const kept = Array.isArray(attachments) ? attachments.filter((a) => (a as { usageType?: unknown }).usageType !== SIGNATURE_USAGE) : [];
  return kept.length ? { ...rest, attachments: kept } : rest;
}
