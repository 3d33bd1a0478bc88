// Wording shared by every validation message: `expected <what is valid>, got <what was there>`.

const MAX_SHOWN = 60;

/** How a value from the file is shown back to its author: quoted text (cut short), numbers as is. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN - 3)}...` : value);
  }
  return String(value);
}

/** `hint` reads like "an AMI id like ami-0123456789abcdef0". */
export function expected(hint: string, input: unknown): string {
  return input === undefined ? `missing (expected ${hint})` : `expected ${hint}, got ${describeValue(input)}`;
}

/** `"gp9"` and ['gp2', 'gp3'] -> `unknown volume type "gp9" (valid: gp2, gp3)`. */
export function unknownValue(what: string, input: unknown, valid: readonly string[], label = 'valid'): string {
  const list = valid.length > 0 ? valid.join(', ') : 'none defined';
  if (input === undefined) return `missing (expected a ${what}; ${label}: ${list})`;
  if (typeof input !== 'string') return `expected a ${what} (${label}: ${list}), got ${describeValue(input)}`;
  return `unknown ${what} ${describeValue(input)} (${label}: ${list})`;
}
