import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Config } from './config.js';

/** The key file `npm start` makes in the embedded database's folder. */
export const SECRET_KEY_FILE = 'xcredit-secret.key';

/**
 * The secret that encrypts LTI private keys and signs LTI sessions: XCREDIT_SECRET_KEY when set;
 * with PostgreSQL it must be set (the key never lives beside what it encrypts); with the embedded
 * database it is made once into the data folder (mode 0600) and read from there after.
 *
 * @example
 * const secretKey = resolveSecretKey(loadConfig());
 */
export function resolveSecretKey(config: Pick<Config, 'secretKey' | 'databaseUrl' | 'dataDir'>): string {
  if (config.secretKey) return config.secretKey;
  if (config.databaseUrl) {
    throw new ConfigError('XCREDIT_SECRET_KEY must be set when DATABASE_URL is: it encrypts the LTI keys stored in the database (make one with `openssl rand -base64 32`; see docs/security.md)');
  }
  if (config.dataDir === 'memory://') return randomBytes(32).toString('base64url');
  const file = join(config.dataDir, SECRET_KEY_FILE);
  mkdirSync(config.dataDir, { recursive: true });
  try {
    // 'wx': made once; a second process starting at the same moment reads the first one's key.
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const key = readFileSync(file, 'utf8').trim();
  if (key.length < 32) throw new ConfigError(`${file} holds no usable secret key (at least 32 characters); restore it from a backup (see docs/security.md)`);
  return key;
}

// Secrets stored encrypted with the key (LTI private keys, the mail server's password): the same
// scheme as ltijs's MongoDB store, so records move between the two.
function cipherKey(secret: string) {
  return createHash('sha256').update(secret).digest().subarray(0, 32);
}

export function encrypt(data: string, secret: string): { iv: string; data: string } {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', cipherKey(secret), iv);
  return { iv: iv.toString('hex'), data: Buffer.concat([cipher.update(data), cipher.final()]).toString('hex') };
}

export function decrypt(data: string, iv: string, secret: string): string {
  const decipher = createDecipheriv('aes-256-cbc', cipherKey(secret), Buffer.from(iv, 'hex'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'hex')), decipher.final()]).toString();
}
