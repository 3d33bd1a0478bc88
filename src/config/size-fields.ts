// Sizes written like `200MB`, `1.5GB`, `512KB` (binary units, as `du -h` and most tools mean them).

import bytes from 'bytes';
import * as z from 'zod';
import { expected } from './messages.ts';

export const SIZE_HINT = 'a size like 200MB, 1GB or 512KB';

/** `200MB` -> bytes; at least `minBytes`. */
export function size(minBytes = 1) {
  return z.union([z.string(), z.number()], { error: (iss) => expected(SIZE_HINT, iss.input) }).transform((value, ctx) => {
    // A bare number would be read as bytes, which nobody means for a cap: ask for the unit.
    const parsed = typeof value === 'string' && /^\s*\d+(?:\.\d+)?\s*[KMGT]?B\s*$/i.test(value) ? bytes.parse(value) : null;
    if (parsed === null || !Number.isFinite(parsed)) {
      ctx.addIssue({ code: 'custom', message: expected(SIZE_HINT, value), input: value });
      return z.NEVER;
    }
    if (parsed < minBytes) {
      ctx.addIssue({ code: 'custom', message: `${String(value).trim()} is too small (at least ${bytes.format(minBytes)})`, input: value });
      return z.NEVER;
    }
    return Math.floor(parsed);
  });
}
