import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { ConfigError } from '../../src/errors.ts';
import { minimalConfig, toYaml } from './helpers.ts';

/** Every path to a leaf (or an empty collection) of `value`. */
function leafPaths(value: unknown, path: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [path];
  const entries = Object.entries(value);
  return entries.length === 0 ? [path] : entries.flatMap(([k, v]) => leafPaths(v, [...path, k]));
}

function setAt(target: any, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path.at(-1)!] = value;
}

describe('parseConfig on wrong shapes', () => {
  const replacements: unknown[] = [null, [], {}, 12, 'x', ['x'], { a: 1 }];

  it('answers every wrongly shaped field with problems naming it, never a crash', () => {
    const paths = leafPaths(minimalConfig()).filter((p) => p.length > 0);
    expect(paths.length).toBeGreaterThan(10);
    for (const path of paths) {
      for (const replacement of replacements) {
        const data = minimalConfig();
        setAt(data, path, replacement);
        let problems: string[] = [];
        try {
          parseConfig(toYaml(data), {});
        } catch (err) {
          expect(err, `${path.join('.')} = ${JSON.stringify(replacement)}`).toBeInstanceOf(ConfigError);
          problems = (err as ConfigError).problems;
        }
        // A rejected value is reported at its own path or its parent's (a list that became too short, say).
        for (const line of problems) {
          expect(path.slice(0, -1).join('.') === '' || line.startsWith(path.slice(0, -1).join('.')), line).toBe(true);
        }
      }
    }
  });
});
