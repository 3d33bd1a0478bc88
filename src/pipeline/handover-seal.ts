// A run's in-process secrets (its ephemeral SSH key) across a planned handover: sealed with AES-256-GCM
// under a key derived (scrypt) from the operator's STAGEBOT_HANDOVER_KEY, bound to the run id, and
// stored only for as long as the run waits for its resumer. Without the operator's key nothing is
// stored, and the resumer replaces the unreachable instance (and says so).
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { ConfigError } from '../errors.ts';

const VERSION = 'v1';
/** A passphrase shorter than this is too weak to guard a private key in a shared database. */
export const MIN_HANDOVER_KEY_LENGTH = 16;

export const HANDOVER_KEY_ENV = 'STAGEBOT_HANDOVER_KEY';

/** The operator's secret, checked; null when it is not set (handovers then carry no secrets). */
export function handoverKeyFrom(env: NodeJS.ProcessEnv): string | null {
  const value = env[HANDOVER_KEY_ENV];
  if (value === undefined || value === '') return null;
  if (value.length < MIN_HANDOVER_KEY_LENGTH) {
    throw new ConfigError(`${HANDOVER_KEY_ENV} must be at least ${MIN_HANDOVER_KEY_LENGTH} characters (e.g. \`openssl rand -base64 32\`); it seals SSH keys in the store`);
  }
  return value;
}

function keyOf(passphrase: string, salt: Buffer): Buffer {
  return scryptSync(passphrase, salt, 32);
}

/** `v1.salt.iv.tag.ciphertext` (base64url parts) of the secrets, bound to `runId`. */
export function sealSecrets(passphrase: string, runId: string, secrets: ReadonlyMap<string, string>): string {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(passphrase, salt), iv);
  cipher.setAAD(Buffer.from(runId, 'utf8'));
  const body = Buffer.concat([cipher.update(JSON.stringify(Object.fromEntries(secrets)), 'utf8'), cipher.final()]);
  return [VERSION, salt, iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** The secrets, or an Error saying why not (another key, another run's blob, tampered with). */
export function unsealSecrets(passphrase: string, runId: string, sealed: string): Map<string, string> | Error {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) return new Error('the handed-over secrets are not in a format this version reads');
  const [salt, iv, tag, body] = parts.slice(1).map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer, Buffer];
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(passphrase, salt), iv);
    decipher.setAAD(Buffer.from(runId, 'utf8'));
    decipher.setAuthTag(tag);
    const text = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return new Map(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return new Error(`the handed-over secrets do not open with this replica's ${HANDOVER_KEY_ENV} (a different key on each replica?)`);
  }
}
