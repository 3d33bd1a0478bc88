import { describe, expect, test } from 'vitest';
import {
  DEFAULT_PROTECT_TAG,
  TAG,
  isProtected,
  managedByFilter,
  parseManagedTags,
  parseTagTime,
  readTags,
  reapAfterTag,
  runTags,
  sanitizeTagValue,
  tagFilter,
  tagSpecifications,
  taggingFilter,
} from '../../src/aws/tags.ts';

const input = {
  installation: 'acme-staging',
  runId: 'stg4-20261121-a1b2c3',
  env: 'stg4',
  requester: 'github:octo-cat',
  source: 'github' as const,
  expiresAt: new Date('2026-11-21T15:30:00.123Z'),
  name: 'stagebot stg4 run stg4-20261121-a1b2c3',
};

describe('sanitizeTagValue', () => {
  test('keeps what AWS allows', () => {
    expect(sanitizeTagValue('slack:U123 ok_./=+-@ Zürich 東京 42')).toBe('slack:U123 ok_./=+-@ Zürich 東京 42');
  });

  test('replaces runs of anything else with one underscore', () => {
    expect(sanitizeTagValue('cli:bob<script>$(rm -rf)')).toBe('cli:bob_script_rm -rf_');
    expect(sanitizeTagValue('feat/#12 "quotes"\n\tnext')).toBe('feat/_12 _quotes_next');
  });

  test('cuts to 256 characters, counting code points', () => {
    expect(sanitizeTagValue('a'.repeat(300))).toHaveLength(256);
    const emojiLogin = '東'.repeat(300);
    expect(Array.from(sanitizeTagValue(emojiLogin))).toHaveLength(256);
  });

  test('trims surrounding space', () => {
    expect(sanitizeTagValue('  cli:alice  ')).toBe('cli:alice');
  });
});

describe('runTags', () => {
  test('spells every key of the schema once, values sanitised', () => {
    const tags = runTags({ ...input, requester: 'slack:U1<evil>' });
    expect(readTags(tags)).toEqual({
      'asset-id': 'stg4-20261121-a1b2c3',
      'stagebot:managed-by': 'acme-staging',
      'stagebot:env': 'stg4',
      'stagebot:requested-by': 'slack:U1_evil_',
      'stagebot:source': 'github',
      'stagebot:expires-at': '2026-11-21T15:30:00Z',
      Name: 'stagebot stg4 run stg4-20261121-a1b2c3',
    });
  });

  test('refuses an invalid expiry date (a bug, not user input)', () => {
    expect(() => runTags({ ...input, expiresAt: new Date('nope') })).toThrow(/expiresAt/);
  });
});

test('tagSpecifications repeats the tags per resource type, as copies', () => {
  const tags = runTags(input);
  const specs = tagSpecifications(['instance', 'volume', 'network-interface'], tags);
  expect(specs.map((s) => s.ResourceType)).toEqual(['instance', 'volume', 'network-interface']);
  for (const s of specs) expect(s.Tags).toEqual(tags);
  expect(specs[0]?.Tags).not.toBe(specs[1]?.Tags);
});

test('filters', () => {
  expect(tagFilter(TAG.assetId, ['r1', 'r2'])).toEqual({ Name: 'tag:asset-id', Values: ['r1', 'r2'] });
  expect(managedByFilter('acme staging!')).toEqual({ Name: 'tag:stagebot:managed-by', Values: ['acme staging_'] });
  expect(taggingFilter(TAG.managedBy, ['acme'])).toEqual({ Key: 'stagebot:managed-by', Values: ['acme'] });
  expect(taggingFilter(TAG.managedBy)).toEqual({ Key: 'stagebot:managed-by' });
});

describe('readTags', () => {
  test('absent tags are an empty record; a missing value is empty', () => {
    expect(readTags(undefined)).toEqual({});
    expect(readTags([{ Key: 'a' }, { Value: 'orphan value' }, { Key: 'b', Value: 'x' }])).toEqual({ a: '', b: 'x' });
  });
});

describe('parseManagedTags', () => {
  test('round-trips runTags', () => {
    const parsed = parseManagedTags(readTags(runTags(input)), 'acme-staging');
    expect(parsed).toEqual({
      runId: input.runId,
      env: 'stg4',
      requester: 'github:octo-cat',
      source: 'github',
      expiresAt: new Date('2026-11-21T15:30:00Z'),
      reapAfter: null,
      name: input.name,
    });
  });

  test('null for another installation or without asset-id', () => {
    const record = readTags(runTags(input));
    expect(parseManagedTags(record, 'other-installation')).toBeNull();
    const { 'asset-id': _, ...noRunId } = record;
    expect(parseManagedTags(noRunId, 'acme-staging')).toBeNull();
    expect(parseManagedTags({ Name: 'decoy' }, 'acme-staging')).toBeNull();
  });

  test('matches an installation name that needed sanitising', () => {
    const record = readTags(runTags({ ...input, installation: 'acme#staging' }));
    expect(parseManagedTags(record, 'acme#staging')?.runId).toBe(input.runId);
  });

  test('reads the sweeper mark; unreadable times and unknown sources become null', () => {
    const record = {
      ...readTags(runTags(input)),
      ...readTags([reapAfterTag(new Date('2026-11-22T07:00:00Z'))]),
      'stagebot:expires-at': 'tomorrow',
      'stagebot:source': 'carrier-pigeon',
    };
    const parsed = parseManagedTags(record, 'acme-staging');
    expect(parsed?.reapAfter).toEqual(new Date('2026-11-22T07:00:00Z'));
    expect(parsed?.expiresAt).toBeNull();
    expect(parsed?.source).toBeNull();
  });
});

test('parseTagTime accepts only our ISO form', () => {
  expect(parseTagTime('2026-11-21T15:30:00Z')).toEqual(new Date('2026-11-21T15:30:00Z'));
  expect(parseTagTime('2026-11-21T15:30:00.5Z')).toEqual(new Date('2026-11-21T15:30:00.500Z'));
  expect(parseTagTime('2026-11-21')).toBeNull();
  expect(parseTagTime('2026-13-45T99:00:00Z')).toBeNull();
  expect(parseTagTime(undefined)).toBeNull();
});

test('isProtected uses the configured key and value', () => {
  expect(isProtected({ 'stagebot:keep': 'true' })).toBe(true);
  expect(isProtected({ 'stagebot:keep': 'false' })).toBe(false);
  expect(isProtected({ keep: 'yes' }, { key: 'keep', value: 'yes' })).toBe(true);
  expect(DEFAULT_PROTECT_TAG).toEqual({ key: 'stagebot:keep', value: 'true' });
});
