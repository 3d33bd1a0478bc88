import { distance } from 'fastest-levenshtein';

/** The known name a typo most likely meant, if any is close enough to be worth suggesting. */
export function closestKey(typed: string, known: readonly string[]): string | undefined {
  const byCase = known.find((k) => k.toLowerCase() === typed.toLowerCase());
  if (byCase) return byCase;
  // A third of the length tolerates `instanceTyp` and `instance_type` without suggesting
  // unrelated short keys for every short typo.
  const maxDistance = Math.max(1, Math.floor(typed.length / 3));
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = distance(typed, name);
    if (d <= maxDistance && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}
