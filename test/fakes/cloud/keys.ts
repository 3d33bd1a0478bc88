// Real key material, so a pipeline test can log in with the private key CreateKeyPair returned
// (after installing `publicKey` on a local sshd). Formats as AWS returns them: RSA as PKCS#1 PEM,
// ED25519 as an OpenSSH private key; fingerprints as AWS computes them for keys it created.

import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import ssh2 from 'ssh2';

export interface GeneratedKey {
  privateKey: string;
  /** `ssh-ed25519 AAAA...` / `ssh-rsa AAAA...` */
  publicKey: string;
  fingerprint: string;
}

function publicLine(privateKey: string): string {
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) throw parsed;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  return `${key.type} ${key.getPublicSSH().toString('base64')}`;
}

export function generateKey(type: 'rsa' | 'ed25519'): GeneratedKey {
  if (type === 'ed25519') {
    // ssh2's generator drops a leading zero byte of the public key (about 1 key in 256), writing a key
    // its own parser then rejects as malformed: generate again rather than fail a test at random.
    for (let attempt = 1; ; attempt++) {
      const pair = ssh2.utils.generateKeyPairSync('ed25519');
      if (ssh2.utils.parseKey(pair.private) instanceof Error && attempt < 10) continue;
      const blob = Buffer.from(pair.public.split(' ')[1] ?? '', 'base64');
      return { privateKey: pair.private, publicKey: publicLine(pair.private), fingerprint: createHash('sha256').update(blob).digest('base64') };
    }
  }
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const der = createPrivateKey(privateKey).export({ type: 'pkcs8', format: 'der' });
  const fingerprint = createHash('sha1').update(der).digest('hex').match(/../g)?.join(':') ?? '';
  return { privateKey, publicKey: publicLine(privateKey), fingerprint };
}
