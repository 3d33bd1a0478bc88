// stagebot.yml text -> Config, or a ConfigError listing every problem in the order they appear in the file.

import { isMap, isPair, isScalar, isSeq, parseDocument, type Document, type YAMLError } from 'yaml';
import { ConfigError } from '../errors.ts';
import { interpolateDocument } from './interpolate.ts';
import { configErrorMap, formatProblem, problemsFromIssues, type Problem } from './problems.ts';
import { configSchema } from './schema.ts';
import type { Config } from './types.ts';

export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env, sourceName = 'stagebot.yml'): Config {
  const doc = parseDocument(text, { merge: true, prettyErrors: true });
  const syntaxError = doc.errors[0];
  // Later YAML errors are mostly echoes of the first; one precise line helps more than a cascade.
  if (syntaxError) throw new ConfigError(`${sourceName} is not valid YAML`, [syntaxLine(sourceName, syntaxError)]);

  const problems = interpolateDocument(doc, env);
  const unresolved = new Set(problems.map((p) => valueAt(doc, p.path)));

  let data: unknown;
  try {
    // The file is written by whoever runs the bot, not by chat users, so the alias limit that guards
    // against expansion bombs protects no one here, and a long recipe anchor shared by many
    // environments would trip it.
    data = doc.toJS({ maxAliasCount: -1 });
  } catch (err) {
    throw new ConfigError(`${sourceName} is not valid YAML`, [`${sourceName}: ${(err as Error).message}`]);
  }
  if (data === null || data === undefined) {
    throw new ConfigError(`${sourceName} is empty`, [`${sourceName}: the file is empty (start from stagebot.example.yml)`]);
  }

  const result = configSchema.safeParse(data, { error: configErrorMap, reportInput: true });
  if (!result.success) {
    // A value still holding an unset `${VAR}` is reported once, by interpolation, not again as malformed.
    const issues = result.error.issues.filter((i) => !(typeof i.input === 'string' && unresolved.has(i.input)));
    problems.push(...problemsFromIssues(issues));
  }
  if (problems.length > 0 || !result.success) throw configError(sourceName, inFileOrder(doc, problems));
  return result.data;
}

function configError(sourceName: string, problems: Problem[]): ConfigError {
  const lines = problems.map(formatProblem);
  const summary =
    lines.length === 1 ? `${sourceName} has 1 problem: ${lines[0]}` : `${sourceName} has ${lines.length} problems`;
  return new ConfigError(summary, lines);
}

function syntaxLine(sourceName: string, error: YAMLError): string {
  const what = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? error.code;
  const pos = error.linePos?.[0];
  return pos ? `${sourceName}:${pos.line}:${pos.col}: ${what}` : `${sourceName}: ${what}`;
}

/** The deepest node on `path` that is written in the file (aliases are not followed: their use is the place). */
function nodeAt(doc: Document, path: readonly PropertyKey[]): unknown {
  let node: unknown = doc.contents;
  for (const segment of path) {
    let next: unknown;
    if (isMap(node)) {
      next = node.items.find((pair) => isPair(pair) && isScalar(pair.key) && String(pair.key.value) === String(segment))?.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
    }
    if (next === undefined || next === null) break;
    node = next;
  }
  return node;
}

function valueAt(doc: Document, path: readonly PropertyKey[]): unknown {
  const node = nodeAt(doc, path);
  return isScalar(node) ? node.value : undefined;
}

function offsetOf(node: unknown): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : Number.MAX_SAFE_INTEGER;
}

function inFileOrder(doc: Document, problems: Problem[]): Problem[] {
  return problems
    .map((problem, index) => ({ problem, index, at: offsetOf(nodeAt(doc, problem.path)) }))
    .sort((a, b) => a.at - b.at || a.index - b.index)
    .map(({ problem }) => problem);
}
