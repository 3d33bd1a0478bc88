// The validated configuration of an unchanged stagebot.yml, kept between CLI commands: parsing it
// loads the YAML parser and the schema and runs them, two thirds of what `stagebot list` costs. An
// entry is used only when everything that went into it is the same: the file's path and text, the
// working directory, the value of each environment variable the text names (`${VAR}`), the source
// of the config module and of stagebot's dependencies (sizes and mtimes), Node's version. Anything
// else is a miss, and the file is parsed (and validated) as if there were no cache. An entry keeps
// those inputs themselves and is compared with them, so no hash can make two inputs look alike; and
// this module loads nothing a command would not load anyway (no crypto, no serializer).
//
// The entries hold what the file holds, with its `${VAR}` values filled in (secrets are never among
// them: stagebot.yml names the variables that hold secrets, it does not contain them), so they live
// in a directory only this user may open: created 0700, and not used at all when it is anyone
// else's or open to others. `config check`, `doctor` and `serve` always parse.
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
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

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * The files whose code decides what a config file becomes: this module's folder, what it imports
 * from outside it, package.json (the version), and npm's record of the installed dependencies
 * (rewritten by every install; absent when stagebot is itself installed as a dependency).
 */
function sources(): string[] {
  return [
    ...readdirSync(import.meta.dirname).filter((f) => f.endsWith('.ts')).map((f) => join(import.meta.dirname, f)),
    ...['errors.ts', 'domain/duration.ts', 'cost/price-table.ts'].map((f) => join(ROOT, 'src', f)),
    join(ROOT, 'package.json'),
    join(ROOT, 'node_modules', '.package-lock.json'),
  ];
}

let sourceStamp: string | null = null;

function stampOfSources(): string {
  sourceStamp ??= sources()
    .map((file) => {
      try {
        const s = statSync(file);
        return `${file}:${s.size}:${s.mtimeMs}`;
      } catch {
        return `${file}:absent`;
      }
    })
    .join('\n');
  return sourceStamp;
}

/** The names a config text may interpolate (`${NAME}`, `${NAME:-default}`); a name too many only makes the match stricter. */
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

/** Everything an entry answers for, as one string: an entry is used only for an equal one. */
export function configCacheKey(inputs: ConfigCacheInputs): string {
  const vars = referencedVariables(inputs.text).map((name) => JSON.stringify([name, inputs.env[name] ?? null]));
  return JSON.stringify([process.version, stampOfSources(), inputs.path, inputs.cwd, inputs.usingExample, vars, inputs.text]);
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

  /** One entry per config file, named after it (readably; the entry's key says which file it answers for). */
  #file(path: string): string {
    let h = 0x811c9dc5;
    for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193) >>> 0;
    const name = path.replace(/[^A-Za-z0-9.-]+/g, '_').slice(-80);
    return join(this.#dir, `config-${h.toString(16).padStart(8, '0')}-${name}.json`);
  }

  get(path: string, key: string): CachedConfig | null {
    try {
      const entry = JSON.parse(readFileSync(this.#file(path), 'utf8')) as Entry;
      return entry.key === key ? entry.loaded : null;
    } catch {
      return null;
    }
  }

  /**
   * Best effort: a cache that cannot be written is no cache, never an error. Only what JSON gives
   * back unchanged is kept, so an entry is exactly the config a parse makes.
   */
  set(path: string, key: string, loaded: CachedConfig): void {
    const { config, path: source, usingExample, warnings } = loaded;
    const entry: Entry = { key, loaded: { config, path: source, usingExample, warnings } };
    const text = JSON.stringify(entry);
    if (!isDeepStrictEqual(JSON.parse(text), entry)) return;
    const file = this.#file(path);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, text, { mode: 0o600 });
      // Whole or not at all, whichever command reads it meanwhile.
      renameSync(tmp, file);
    } catch {
      // Left as a miss.
    }
  }
}
