// The CommandContext the tests parse against: the example configuration's names.
import type { CommandContext } from '../../src/commands/index.ts';

export const ctx: CommandContext = {
  environments: ['stg1', 'stg2', 'stg3', 'stg4'],
  browsers: ['chrome', 'firefox', 'safari', 'edge'],
  keepMaxMs: 24 * 3_600_000,
  images: ['mentor-app'],
};

export const RUN = 'stg4-20261121-a1b2c3';
