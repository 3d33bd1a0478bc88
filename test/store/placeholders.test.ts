import { expect, test } from 'vitest';
import { toNumberedPlaceholders } from '../../src/store/placeholders.ts';

test('? placeholders become $1.. in order, but not inside quoted strings or identifiers', () => {
  expect(toNumberedPlaceholders("SELECT '?' AS q, \"we?rd\" FROM t WHERE a = ? AND b IN (?, ?) AND c = 'it''s?' AND d = ?")).toBe(
    "SELECT '?' AS q, \"we?rd\" FROM t WHERE a = $1 AND b IN ($2, $3) AND c = 'it''s?' AND d = $4",
  );
  expect(toNumberedPlaceholders('SELECT 1')).toBe('SELECT 1');
});
