// `${VAR}` in stagebot.yml: values taken from the environment when the file is loaded.
//   ${VAR}           the variable; a problem when it is not set (empty is a value)
//   ${VAR:-default}  the default when VAR is unset or empty
//   $${              a literal `${`
//   $VAR             left alone: recipes run on the host, whose shell expands it
// Works on the parsed YAML document, before aliases are expanded, so a variable inside an anchor is
// looked up (and reported) once, at the place it is written.

import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { Problem } from './problems.ts';

const TOKEN = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;
const SYNTAX = 'write ${VAR}, ${VAR:-default}, or $${ for a literal ${';

export type Env = Readonly<Record<string, string | undefined>>;

/** The text with every reference replaced, or the reasons it could not be. */
export function interpolate(text: string, env: Env): { value: string; errors: string[] } {
  const errors: string[] = [];
  const value = text.replace(TOKEN, (token: string, inner: string | undefined) => {
    if (token === '$${') return '${';
    if (inner === undefined) {
      errors.push(`unclosed \${ (${SYNTAX})`);
      return token;
    }
    const ref = REFERENCE.exec(inner);
    if (!ref || ref[2]?.includes('${')) {
      errors.push(`cannot read ${token} (${SYNTAX}; defaults cannot nest)`);
      return token;
    }
    const [, name = '', fallback] = ref;
    const set = env[name];
    if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
    if (set === undefined) {
      errors.push(`environment variable ${name} is not set (set it, or write \${${name}:-default})`);
      return token;
    }
    return set;
  });
  return { value, errors };
}

/** Replaces references in every string scalar of `doc` in place; returns one problem per failure. */
export function interpolateDocument(doc: Document, env: Env): Problem[] {
  const problems: Problem[] = [];
  const visit = (node: unknown, path: PropertyKey[]): void => {
    if (isAlias(node)) return; // its anchor is visited where it is defined
    if (isScalar(node)) {
      if (typeof node.value !== 'string' || !node.value.includes('$')) return;
      const { value, errors } = interpolate(node.value, env);
      node.value = value;
      for (const message of errors) problems.push({ path, message });
      return;
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        visit(pair.value, [...path, keyName(pair.key)]);
      }
      return;
    }
    if (isSeq(node)) node.items.forEach((item, i) => visit(item, [...path, i]));
  };
  visit(doc.contents, []);
  return problems;
}

function keyName(key: unknown): PropertyKey {
  if (isScalar(key)) return typeof key.value === 'number' ? key.value : String(key.value);
  return String(key as Node | null);
}
