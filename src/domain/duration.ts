// Durations as people type them in chat and config: `90s`, `90m`, `2h`, `1d`, `1h30m`.

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const WHOLE = /^(?:\d{1,6}[smhdw])+$/;
const PART = /(\d{1,6})([smhdw])/g;

/** Milliseconds, or null when the text is not a duration. Zero is not a duration. */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (!WHOLE.test(t)) return null;
  let ms = 0;
  for (const [, n, unit] of t.matchAll(PART)) ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return ms > 0 ? ms : null;
}

export const DURATION_HINT = 'a duration like 90m, 2h, 1d or 1h30m';

/** The shortest readable form: 5400000 -> `1h30m`, 1500 -> `1.5s`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1_000);
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.slice(0, 2).join('');
}
