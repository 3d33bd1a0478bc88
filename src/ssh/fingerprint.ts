// Host-key fingerprints in the form `ssh-keygen -lf` and OpenSSH's own prompts print,
// so a pin can be compared by eye with what an operator sees on the host.

import { createHash } from 'node:crypto';

/** `SHA256:<unpadded base64>` of a public key in SSH wire format. */
export function fingerprintOfKeyBlob(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Fingerprint of an `authorized_keys`-style line: `ssh-ed25519 AAAA... comment`. */
export function fingerprintOfPublicKeyLine(line: string): string {
  const blob = line.trim().split(/\s+/)[1];
  if (blob === undefined || blob === '') throw new Error(`not an OpenSSH public key line: ${JSON.stringify(line.slice(0, 40))}`);
  return fingerprintOfKeyBlob(Buffer.from(blob, 'base64'));
}

/** Pins are compared without caring whether the `SHA256:` prefix was pasted along. */
export function normalizeFingerprint(fingerprint: string): string {
  const trimmed = fingerprint.trim();
  return trimmed.startsWith('SHA256:') ? trimmed : `SHA256:${trimmed.replace(/=+$/, '')}`;
}
