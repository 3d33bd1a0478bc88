// The signer of artifact links, for the server (which also serves the files) and the CLI (which only
// shows links): both must sign with the same key, so that a link the CLI printed opens on the server.
import { loadLinkKey } from '../artifacts/link-key.ts';
import { ArtifactLinks, publicBaseUrl } from '../commands/artifact-links.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../store/index.ts';

/** How artifact links are signed: the key from the environment, else the one kept in the store (every replica shares it). */
export async function artifactLinks(config: Config, env: NodeJS.ProcessEnv, store: Store, logger: Logger): Promise<ArtifactLinks> {
  const linkKey = await loadLinkKey(config.artifacts.linkSecretEnv, env, store);
  if (linkKey.from === 'store') logger.debug(`artifact links are signed with a key kept in the store (set ${config.artifacts.linkSecretEnv} to choose one)`);
  return new ArtifactLinks({ key: linkKey.key, publicUrl: publicBaseUrl(config) ?? undefined, linkTtlMs: config.artifacts.linkTtl, retentionMs: config.artifacts.retention });
}
