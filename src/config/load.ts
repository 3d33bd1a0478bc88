// Finds and reads stagebot.yml: the only place in stagebot that touches the file.

import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import type { CachedConfig, ConfigCache } from './cache.ts';
import type { Config } from './types.ts';

export interface LoadedConfig extends CachedConfig {
  /** Absolute path of the file that was read. */
  path: string;
  /** True when no stagebot.yml exists and the bundled example was loaded instead. */
  usingExample: boolean;
  /** Valid but probably wrong (warnings.ts): `path: what (what to do)` lines. */
  warnings: string[];
  /** True when it came from the cache of an unchanged file (cache.ts) rather than from parsing it. */
  fromCache: boolean;
}

export interface LoadOptions {
  /** `--config`; wins over STAGEBOT_CONFIG. */
  path?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** Where `./stagebot.yml` and relative paths are looked up; defaults to the process's. */
  cwd?: string | undefined;
  /** The CLI's cache of validated configs (cache.ts); none: parse every time. */
  cache?: ConfigCache | null | undefined;
}

export const DEFAULT_CONFIG_FILE = 'stagebot.yml';

/** Shipped next to package.json, wherever the bot is started from. */
export const EXAMPLE_CONFIG_PATH = join(import.meta.dirname, '..', '..', 'stagebot.example.yml');

/**
 * Path: `opts.path`, else STAGEBOT_CONFIG, else ./stagebot.yml; when that default file does not exist,
 * the bundled example (usingExample: true). A path given explicitly must exist.
 */
export async function loadConfig(opts: LoadOptions = {}): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();

  const explicit =
    opts.path !== undefined && opts.path !== ''
      ? { given: opts.path, label: `--config ${opts.path}` }
      : env.STAGEBOT_CONFIG
        ? { given: env.STAGEBOT_CONFIG, label: `STAGEBOT_CONFIG=${env.STAGEBOT_CONFIG}` }
        : undefined;

  if (explicit) {
    const path = resolve(cwd, explicit.given);
    const text = await read(path, explicit.label);
    if (text === null) throw new ConfigError(`${explicit.label}: file not found`);
    return parsed({ path, text, cwd, env, usingExample: false }, displayName(path, cwd), opts.cache);
  }

  const path = resolve(cwd, DEFAULT_CONFIG_FILE);
  const text = await read(path, path);
  if (text !== null) return parsed({ path, text, cwd, env, usingExample: false }, displayName(path, cwd), opts.cache);

  const example = await read(EXAMPLE_CONFIG_PATH, EXAMPLE_CONFIG_PATH);
  if (example === null) {
    throw new ConfigError(`${path}: file not found (and the bundled stagebot.example.yml is missing too)`);
  }
  return parsed({ path: EXAMPLE_CONFIG_PATH, text: example, cwd, env, usingExample: true }, 'stagebot.example.yml', opts.cache);
}

/** The file's config: the cache's when nothing that went into it changed, else parsed (the parser loads only then). */
async function parsed(
  inputs: { path: string; text: string; cwd: string; env: NodeJS.ProcessEnv; usingExample: boolean },
  sourceName: string,
  cache: ConfigCache | null | undefined,
): Promise<LoadedConfig> {
  const key = cache ? (await import('./cache.ts')).configCacheKey(inputs) : '';
  const hit = cache?.get(inputs.path, key);
  if (hit) return { ...hit, fromCache: true };
  const [{ parseConfig }, { configWarnings }] = await Promise.all([import('./parse.ts'), import('./warnings.ts')]);
  const config: Config = parseConfig(inputs.text, inputs.env, sourceName);
  const loaded: LoadedConfig = { config, path: inputs.path, usingExample: inputs.usingExample, warnings: configWarnings(config), fromCache: false };
  // Only a valid file gets here: an invalid one is parsed (and its problems shown) every time.
  cache?.set(inputs.path, key, loaded);
  return loaded;
}

/** The warning to show while the bundled example is in use. */
export function exampleWarning(): string {
  return 'no stagebot.yml found: using the bundled stagebot.example.yml; make your own with `cp stagebot.example.yml stagebot.yml` and edit it';
}

/** The file's text, or null when it does not exist; any other failure is a ConfigError naming `label`. */
async function read(path: string, label: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'EISDIR') throw new ConfigError(`${label}: is a directory, not a file`);
    if (code === 'EACCES' || code === 'EPERM') throw new ConfigError(`${label}: permission denied`);
    throw new ConfigError(`${label}: cannot read (${code ?? (err as Error).message})`);
  }
}

/** As a person would write it: relative to where they are, when the file is below it. */
function displayName(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}
