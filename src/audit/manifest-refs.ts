// The image manifest as the sweep sees it: every AMI that the current manifest or any recorded
// version of it names (never an orphan: a rollback may need it), and the manifest's drift against
// AWS. A manifest that cannot be read leaves the AMIs unjudged rather than guessed.
import type { AwsClients } from '../aws/clients.ts';
import type { Config } from '../config/types.ts';
import { manifestAmis, type Manifest } from '../domain/image.ts';
import { checkDrift, describeManifestAmis } from '../images/drift.ts';
import type { ManifestBackend } from '../images/manifest.ts';
import type { Store } from '../store/index.ts';
import type { DriftEntry } from './types.ts';

export interface ManifestReferences {
  amis: Set<string>;
  drift: DriftEntry[];
  /** Why the manifest could not be read; then no AMI of ours may be judged an orphan. */
  problems: string[];
}

function amisOf(raw: unknown): string[] {
  try {
    return manifestAmis(raw as Manifest).map((a) => a.entry.ami).filter((id) => typeof id === 'string');
  } catch {
    return [];
  }
}

export async function manifestReferences(deps: { config: Config; store: Pick<Store, 'manifestHistory'>; aws: AwsClients; now: Date }, backend: ManifestBackend): Promise<ManifestReferences> {
  const out: ManifestReferences = { amis: new Set(), drift: [], problems: [] };
  let manifest: Manifest;
  try {
    manifest = await backend.read();
  } catch (err) {
    out.problems.push(`the image manifest could not be read (${(err as Error).message}); no AMI was judged an orphan`);
    return out;
  }
  for (const id of amisOf(manifest)) out.amis.add(id);
  for (const version of await deps.store.manifestHistory(10_000)) for (const id of amisOf(version.manifest)) out.amis.add(id);
  if (manifestAmis(manifest).length === 0 && Object.keys(deps.config.images).length === 0) return out;
  const { facts, problems } = await describeManifestAmis(deps.aws, manifest);
  out.drift.push(...problems.map((p) => ({ env: 'images', ami: '', problem: p })));
  for (const d of await checkDrift(deps, manifest, facts)) out.drift.push({ env: `image ${d.image}`, ami: d.ami ?? '', problem: d.problem });
  return out;
}
