// Which manifest backend the config names: the local file, or a file in a GitHub repository changed
// only by pull request. A manifest in GitHub needs the GitHub App's client, which the composition root
// (src/app/image-manifest.ts) builds and hands to every user; without it, it cannot be reached.
import type { Config } from '../config/index.ts';
import { GithubManifest, githubManifestWhere, type GithubRepoClient } from './github-manifest.ts';
import { FileManifest, UnavailableManifest, type ManifestBackend, type ManifestHistoryStore } from './manifest.ts';

export function manifestBackend(config: Config, store: ManifestHistoryStore | null, github?: GithubRepoClient | { unavailable: string }): ManifestBackend {
  const gh = config.imageManifest.github;
  if (!gh) return new FileManifest(config.imageManifest.path, store);
  if (!github || 'unavailable' in github) {
    return new UnavailableManifest(githubManifestWhere(gh), github?.unavailable ?? 'the GitHub App is not configured in this process (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET)');
  }
  return new GithubManifest(gh, github, store);
}
