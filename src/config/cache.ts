// The validated configuration of an unchanged stagebot.yml, kept between CLI commands: parsing it
// loads the YAML parser and the schema and runs them, two thirds of what `stagebot list` costs. An
// entry is used only when everything that went into it is the same: the file's path and text, the
// working directory, the value of each environment variable the text names (`${VAR}`), the source
// of the config module (each file's size and mtime), stagebot's and Node's versions. Anything else is
// a miss, and the file is parsed (and validated) as if there were no cache.
//
// The entries hold what the file holds, with its `${VAR}` values filled in (secrets are never among
// them: stagebot.yml names the variables that hold secrets, it does not contain them), so they live
// in a directory only this user may open: created 0700, and not used at all when it is anyone
// else's or open to others. `config check`, `doctor` and `serve` always parse.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { VERSION } from '../version.ts';
import type { Config } from './types.ts';

/** What an entry keeps: what loadConfig answers (load.ts `LoadedConfig` is this and where it came from). */
export interface CachedConfig {
  config: Config;
  path: string;
  usingExample: boolean;
  warnings: string[];
}

/**
 * Where entries go: STAGEBOT_CONFIG_CACHE (`off` for none), else $XDG_CACHE_HOME/stagebot, else
 * $HOME/.cache/stagebot; with neither variable set, nowhere.
 */
export function configCacheDir(env: NodeJS.ProcessEnv): string | null {
  const set = env.STAGEBOT_CONFIG_CACHE?.trim();
  if (set === 'off') return null;
  if (set) return set;
  const base = env.XDG_CACHE_HOME?.trim() || (env.HOME?.trim() ? join(env.HOME.trim(), '.cache') : null);
  return base ? join(base, 'stagebot') : null;
}

/** The files whose code decides what a config file becomes: this module's folder and what it imports from outside it. */
const SOURCES = [
  ...readdirSync(import.meta.dirname).filter((f) => f.endsWith('.ts')).map((f) => join(import.meta.dirname, f)),
  ...['../errors.ts', '../domain/duration.ts', '../cost/price-table.ts', '../version.ts'].map((f) => join(import.meta.dirname, f)),
  ...['zod', 'yaml', 'node-cron', 'fastest-levenshtein'].map((pkg) => fileURLToPath(import.meta.resolve(pkg))),
];

let sourceStamp: string | null = null;

function stampOfSources(): string {
  sourceStamp ??= SOURCES.map((file) => {
    const s = statSync(file);
    return `${file}:${s.size}:${s.mtimeMs}`;
  }).join('\n');
  return sourceStamp;
}

/** The names a config text may interpolate (`${NAME}`, `${NAME:-default}`); a name too many only makes the key stricter. */
function referencedVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))].sort();
}

export interface ConfigCacheInputs {
  /** The file read (absolute). */
  path: string;
  text: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The rest of what loadConfig was asked (usingExample), so an entry answers the same question. */
  usingExample: boolean;
}

export function configCacheKey(inputs: ConfigCacheInputs): string {
  const hash = createHash('sha256');
  for (const part of [VERSION, process.version, stampOfSources(), inputs.path, inputs.cwd, String(inputs.usingExample), inputs.text]) hash.update(`${part}\0`);
  for (const name of referencedVariables(inputs.text)) hash.update(`${name}=${inputs.env[name] === undefined ? '\u0001unset' : inputs.env[name]}\0`);
  return hash.digest('hex');
}

interface Entry {
  key: string;
  loaded: CachedConfig;
}

export class ConfigCache {
  readonly #dir: string;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** The cache in `dir` (made 0700 if missing), or null when it is not this user's alone. */
  static open(dir: string): ConfigCache | null {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const s = statSync(dir);
      const uid = process.getuid?.();
      if (uid === undefined || s.uid !== uid || (s.mode & 0o077) !== 0 || !s.isDirectory()) return null;
      return new ConfigCache(dir);
    } catch {
      return null;
    }
  }

  /** One entry per config file: its name is the file's, its content says which inputs it answers. */
  #file(path: string): string {
    return join(this.#dir, `config-${createHash('sha256').update(path).digest('hex').slice(0, 32)}.bin`);
  }

  get(path: string, key: string): CachedConfig | null {
    try {
      const entry = deserialize(readFileSync(this.#file(path))) as Entry;
      return entry.key === key ? entry.loaded : null;
    } catch {
      return null;
    }
  }

  /** Best effort: a cache that cannot be written is no cache, never an error. */
  set(path: string, key: string, loaded: CachedConfig): void {
    const file = this.#file(path);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      const { config, path: source, usingExample, warnings } = loaded;
      writeFileSync(tmp, serialize({ key, loaded: { config, path: source, usingExample, warnings } } satisfies Entry), { mode: 0o600 });
      // Whole or not at all, whichever command reads it meanwhile.
      renameSync(tmp, file);
    } catch {
      // Left as a miss.
    }
  }
}
