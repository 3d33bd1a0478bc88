// The key that signs artifact links. From the environment variable `artifacts.linkSecretEnv` names when
// it is set; otherwise one random key, generated once and kept in the store, so that every replica
// (and the next restart) signs and accepts the same links.

import { randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.ts';
import type { Store } from '../store/index.ts';

const KV_KEY = 'artifacts:link-key';
const MIN_SECRET_CHARS = 32;

export async function loadLinkKey(envName: string, env: NodeJS.ProcessEnv, store: Pick<Store, 'kvGet' | 'kvSetIfAbsent'>): Promise<{ key: Buffer; from: 'env' | 'store' }> {
  const secret = env[envName];
  if (secret !== undefined && secret !== '') {
    if (secret.length < MIN_SECRET_CHARS) {
      throw new ConfigError(`${envName} has ${secret.length} characters; a link signing key needs at least ${MIN_SECRET_CHARS} (e.g. \`openssl rand -hex 32\`)`);
    }
    return { key: Buffer.from(secret, 'utf8'), from: 'env' };
  }
  await store.kvSetIfAbsent(KV_KEY, randomBytes(32).toString('hex'));
  const stored = (await store.kvGet(KV_KEY))?.value;
  if (typeof stored !== 'string' || !/^[0-9a-f]{64}$/.test(stored)) throw new Error(`the store's ${KV_KEY} is not a 32-byte hex key; delete it to have a new one made`);
  return { key: Buffer.from(stored, 'hex'), from: 'store' };
}
