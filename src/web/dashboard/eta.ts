// About when each queued run starts: each environment frees up after its current run has taken as
// long as a typical run (the median of the last day's finished runs), and the queue takes them in
// order. An estimate, shown as one; none when there is no finished run to go by or a person holds the lock.
import type { Board } from '../../commands/executor.ts';

export function typicalRunMs(board: Pick<Board, 'recent'>): number | null {
  const durations = board.recent
    .filter((r) => r.startedAt && r.finishedAt)
    .map((r) => r.finishedAt!.getTime() - r.startedAt!.getTime())
    .sort((a, b) => a - b);
  if (durations.length === 0) return null;
  return durations[Math.floor(durations.length / 2)] ?? null;
}

/** Run id -> estimated start (null: cannot tell). */
export function queueEtas(board: Board, typicalMs: number | null): Map<string, Date | null> {
  const etas = new Map<string, Date | null>();
  if (typicalMs === null) {
    for (const r of board.queue) etas.set(r.id, null);
    return etas;
  }
  const now = board.now.getTime();
  // When each environment is free next (null: held by a person, no telling).
  const freeAt = new Map<string, number | null>();
  for (const e of board.environments) {
    if (e.lock?.holderKind === 'person') freeAt.set(e.env, null);
    else if (e.run) freeAt.set(e.env, Math.max(now, (e.run.startedAt ?? e.run.createdAt).getTime() + typicalMs));
    else freeAt.set(e.env, now);
  }
  for (const run of board.queue) {
    const candidates = run.env ? [run.env] : (run.options.pool ?? [...freeAt.keys()]);
    let best: string | null = null;
    for (const env of candidates) {
      const at = freeAt.get(env);
      if (at === null || at === undefined) continue;
      if (best === null || at < (freeAt.get(best) ?? Infinity)) best = env;
    }
    if (best === null) {
      etas.set(run.id, null);
      continue;
    }
    const start = freeAt.get(best)!;
    etas.set(run.id, new Date(start));
    freeAt.set(best, start + typicalMs);
  }
  return etas;
}
