import { base64url, compactVerify, decodeProtectedHeader, importX509 } from 'jose';
import { HttpError } from '../http-error.js';
import { sameStatement } from './normalize.js';

export const SIGNATURE_USAGE = 'http://adlnet.gov/expapi/attachments/signature';
const ALGORITHMS = ['RS256', 'RS384', 'RS512'];

/**
 * Checks a signed statement (xAPI Data 2.6) with jose: the signature attachment is a compact JWS
 * signed with RS256, RS384 or RS512 whose payload is the statement itself; when the JWS header
 * carries an X.509 chain (`x5c`), the signature must verify with its first certificate's key.
 *
 * @example
 * await verifySignature(statement, jwsBytes, 'statements[0]'); // throws HttpError(400) when it does not hold
 */
export async function verifySignature(statement: Record<string, unknown>, jws: Buffer, where: string): Promise<void> {
  const fail = (why: string) => new HttpError(400, 'invalid_signature', `${where}: signature attachment ${why}`);
  const token = jws.toString('utf8').trim();
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) throw fail('is not a compact JWS (header.payload.signature)');
  let header: ReturnType<typeof decodeProtectedHeader>;
  let payload: unknown;
  try {
    header = decodeProtectedHeader(token);
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(parts[1]!)));
  } catch {
    throw fail('has a header or payload that is not base64url JSON');
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || !ALGORITHMS.includes(alg)) throw fail(`uses algorithm ${JSON.stringify(alg)}; only RS256, RS384 and RS512 are allowed`);
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw fail('payload is not a statement');
  if (!sameStatement(withoutSignature(payload as Record<string, unknown>), withoutSignature(statement))) {
    throw fail('payload differs from the statement it signs');
  }
  if (header.x5c !== undefined) {
    const chain: unknown = header.x5c;
    if (!Array.isArray(chain) || typeof chain[0] !== 'string') throw fail('has an x5c header that is not an array of certificates');
    let key: Awaited<ReturnType<typeof importX509>>;
    try {
      key = await importX509(`-----BEGIN CERTIFICATE-----\n${chain[0].replace(/\s/g, '')}\n-----END CERTIFICATE-----`, alg);
    } catch {
      throw fail('has an x5c certificate that cannot be read');
    }
    try {
      await compactVerify(token, key, { algorithms: [alg] });
    } catch {
      throw fail('does not verify with the x5c certificate');
    }
  }
}

/** The statement as it was signed: without the signature attachment (the rest must match). */
function withoutSignature(s: Record<string, unknown>): Record<string, unknown> {
  const { attachments, ...rest } = s;
  const kept = Array.isArray(attachments) ? attachments.filter((a) => (a as { usageType?: unknown }).usageType !== SIGNATURE_USAGE) : [];
  return kept.length ? { ...rest, attachments: kept } : rest;
}
