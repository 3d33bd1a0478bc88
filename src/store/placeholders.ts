// The store's SQL uses `?` placeholders (SQLite's); Postgres numbers them.

const cache = new Map<string, string>();

/** `a = ? AND b = ?` -> `a = $1 AND b = $2`, leaving `?` inside quoted strings and identifiers alone. */
export function toNumberedPlaceholders(sql: string): string {
  const cached = cache.get(sql);
  if (cached !== undefined) return cached;
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '?') {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  cache.set(sql, out);
  return out;
}
