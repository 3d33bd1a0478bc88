// The App's private key as Probot reads it: PRIVATE_KEY (PEM, PEM with `\n` escapes, or base64),
// else the file at PRIVATE_KEY_PATH.
import { createPrivateKey } from 'node:crypto';
import { getPrivateKey } from '@probot/get-private-key';
import { ConfigError } from '../../errors.ts';

export function loadPrivateKey(source: { privateKey: string | undefined; privateKeyPath: string | undefined }): string {
  let key: string | null;
  try {
    key = getPrivateKey({ env: { PRIVATE_KEY: source.privateKey, PRIVATE_KEY_PATH: source.privateKeyPath } });
  } catch {
    throw new ConfigError(
      source.privateKey
        ? 'PRIVATE_KEY is not a PEM private key; paste the .pem file GitHub gave for the App (or its base64), or set PRIVATE_KEY_PATH'
        : `PRIVATE_KEY_PATH does not name a readable file (${source.privateKeyPath ?? ''}); point it at the App's .pem file`,
    );
  }
  if (!key) throw new ConfigError('set PRIVATE_KEY or PRIVATE_KEY_PATH to the GitHub App private key');
  try {
    createPrivateKey(key);
  } catch {
    throw new ConfigError(`${source.privateKey ? 'PRIVATE_KEY' : `the file at PRIVATE_KEY_PATH (${source.privateKeyPath ?? ''})`} is not a PEM private key; use the .pem file GitHub gave for the App`);
  }
  return key;
}
