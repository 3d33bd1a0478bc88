// The manifest as a file in a GitHub repository (config `imageManifest.github`), read on its branch
// through the GitHub App and changed ONLY by pull request: a write (a promotion, a bake's candidate)
// makes a branch, commits the new manifest there and opens a PR titled with the change. The manifest
// is what the branch says until the PR is merged: merging is the approval, a revert the rollback.
//
// The store's history keeps every version this process saw merged (recorded on read, once per
// version) and every version it proposed (recorded with its PR): the sweeper never reaps an AMI that
// any of them names, so a candidate waiting in an open PR is safe too.
//
// The GitHub client is handed in (GithubRepoClient, built over the App's Octokit in src/app): this
// layer knows the REST shape it needs, not how the App authenticates.
import { randomBytes } from 'node:crypto';
import type { Manifest } from '../domain/image.ts';
import { UserError } from '../errors.ts';
import { parseManifest, type ManifestBackend, type ManifestHistoryStore, type ManifestWrite, type ManifestWriteResult } from './manifest.ts';

export interface GithubFile {
  text: string;
  /** The blob's sha (what an update must name). */
  sha: string;
}

/** The few repository calls the manifest needs. Failures throw errors carrying GitHub's `status`. */
export interface GithubRepoClient {
  /** The file on `ref`, or null when GitHub answers 404 for it. */
  getFile(path: string, ref: string): Promise<GithubFile | null>;
  /** The commit the branch points at. */
  branchHead(branch: string): Promise<string>;
  createBranch(name: string, fromSha: string): Promise<void>;
  /** One commit on `branch` setting `path` to `text` (`sha`: the blob it replaces; null creates the file). */
  putFile(input: { path: string; branch: string; text: string; message: string; sha: string | null }): Promise<void>;
  openPullRequest(input: { head: string; base: string; title: string; body: string }): Promise<{ number: number; url: string }>;
}

export interface GithubManifestLocation {
  repo: string;
  path: string;
  branch: string;
}

export function githubManifestWhere(at: GithubManifestLocation): string {
  return `${at.repo}:${at.path}@${at.branch}`;
}

/** What GitHub said, in one line, with what to check for the codes that have one answer. */
function githubError(what: string, at: GithubManifestLocation, err: unknown): UserError {
  if (err instanceof UserError) return err;
  const e = err as { status?: unknown; message?: unknown; response?: { data?: { message?: unknown } } };
  const status = typeof e.status === 'number' ? e.status : null;
  const said = String(e.response?.data?.message ?? e.message ?? err).split('\n')[0]!.trim().slice(0, 200);
  const hint =
    status === 401
      ? 'the GitHub App credentials were refused (APP_ID, PRIVATE_KEY)'
      : status === 403
        ? `the GitHub App needs Contents: read and write and Pull requests: read and write on ${at.repo}`
        : status === 404
          ? `check imageManifest.github (repo ${at.repo}, branch ${at.branch}) and that the GitHub App is installed on ${at.repo}`
          : null;
  return new UserError(`GitHub ${what} failed for the image manifest ${githubManifestWhere(at)} (${status ?? 'no answer'}: ${said})${hint ? `; ${hint}` : ''}`);
}

function branchSlug(reason: string): string {
  return reason.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64).replace(/-+$/, '') || 'change';
}

export class GithubManifest implements ManifestBackend {
  readonly where: string;
  readonly #at: GithubManifestLocation;
  readonly #client: GithubRepoClient;
  readonly #store: ManifestHistoryStore | null;
  readonly #now: () => Date;
  /** The last merged version recorded by this process (JSON), so a read records each version once. */
  #recorded: string | null = null;

  constructor(at: GithubManifestLocation, client: GithubRepoClient, store: ManifestHistoryStore | null, now: () => Date = () => new Date()) {
    this.#at = at;
    this.#now = now;
    this.where = githubManifestWhere(at);
    this.#client = client;
    this.#store = store;
  }

  /** The manifest on the branch: what was merged. An open PR changes nothing here. */
  async read(): Promise<Manifest> {
    const { manifest, sha } = await this.#readBase();
    await this.#recordMerged(manifest, sha);
    return manifest;
  }

  /** Opens a PR with `manifest`; the manifest on the branch is unchanged until it is merged. */
  async write(manifest: Manifest, how: ManifestWrite): Promise<ManifestWriteResult> {
    const at = this.#at;
    const next: Manifest = { ...manifest, updated: how.at.toISOString() };
    const head = await this.#client.branchHead(at.branch).catch((err: unknown) => {
      throw githubError(`reading branch ${at.branch}`, at, err);
    });
    const current = await this.#client.getFile(at.path, head).catch((err: unknown) => {
      throw githubError(`reading ${at.path}`, at, err);
    });
    const stamp = how.at.toISOString().replace(/[-:]/g, '').slice(0, 15);
    const branch = `stagebot/manifest-${branchSlug(how.reason)}-${stamp}-${randomBytes(2).toString('hex')}`;
    const title = `stagebot: ${how.reason}`;
    try {
      await this.#client.createBranch(branch, head);
      await this.#client.putFile({ path: at.path, branch, text: `${JSON.stringify(next, null, 2)}\n`, message: title, sha: current?.sha ?? null });
    } catch (err) {
      throw githubError(`committing the new manifest on a branch`, at, err);
    }
    let pr: { number: number; url: string };
    try {
      pr = await this.#client.openPullRequest({
        head: branch,
        base: at.branch,
        title,
        body: [
          `${how.reason}, asked by ${how.author}.`,
          '',
          `stagebot opened this pull request instead of changing \`${at.path}\` on \`${at.branch}\`: the manifest changes when it is merged. Merging is the approval; reverting the merge is the rollback.`,
        ].join('\n'),
      });
    } catch (err) {
      throw githubError(`opening the pull request from ${branch}`, at, err);
    }
    // Proposed, not merged: recorded so that the AMIs it names are kept while the PR is open.
    await this.#store?.recordManifest({ at: how.at, author: how.author, reason: `proposed in ${at.repo} PR #${pr.number} (not merged): ${how.reason}`, manifest: next });
    return { kind: 'pull-request', where: this.where, number: pr.number, url: pr.url };
  }

  async #readBase(): Promise<{ manifest: Manifest; sha: string }> {
    const at = this.#at;
    const file = await this.#client.getFile(at.path, at.branch).catch((err: unknown) => {
      throw githubError(`reading ${at.path}`, at, err);
    });
    if (!file) {
      throw new UserError(
        `the image manifest ${this.where} was not found (404): check imageManifest.github (repo, path, branch) and that the GitHub App is installed on ${at.repo}; a new manifest starts as a committed {"version": 1, "images": {}}`,
      );
    }
    return { manifest: parseManifest(file.text, this.where), sha: file.sha };
  }

  async #recordMerged(manifest: Manifest, sha: string): Promise<void> {
    if (!this.#store) return;
    const json = JSON.stringify(manifest);
    if (json === this.#recorded) return;
    // Another process (or an earlier one) may have recorded this version already.
    const history = (await this.#store.manifestHistory?.(20)) ?? [];
    const lastMerged = history.find((v) => v.reason.startsWith('merged on '));
    if (!lastMerged || JSON.stringify(lastMerged.manifest) !== json) {
      await this.#store.recordManifest({ at: this.#now(), author: `github:${this.#at.repo}`, reason: `merged on ${this.#at.branch} (blob ${sha.slice(0, 12)})`, manifest });
    }
    this.#recorded = json;
  }
}
