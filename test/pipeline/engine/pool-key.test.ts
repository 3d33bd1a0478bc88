// A server keeps the pools: one configured so that its members could never be claimed (ephemeral key
// pairs, no STAGEBOT_HANDOVER_KEY to keep their keys sealed) is refused at start with one line.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { Engine } from '../../../src/pipeline/engine.ts';
import { poolKeyProblem } from '../../../src/pipeline/pool-readiness.ts';
import { openStore } from '../../../src/store/index.ts';
import { FakeCloud, createFakeAwsClients } from '../../fakes/cloud/index.ts';
import { exampleConfig } from '../support/run-context.ts';

const POOL = { size: 1, mode: 'stopped' as const, maxAge: 3_600_000, baseRef: 'main' };

describe('a warm pool of an ephemeral-key environment', () => {
  it('needs STAGEBOT_HANDOVER_KEY on a server; a CLI engine or a named key pair does not', async () => {
    const config = exampleConfig();
    config.environments.stg1 = { ...config.environments.stg1!, warmPool: POOL };
    expect(poolKeyProblem(config, null)).toMatch(/^warmPool of stg1 \(keyPair: ephemeral\) needs STAGEBOT_HANDOVER_KEY/);
    expect(poolKeyProblem(config, 'x'.repeat(32))).toBeNull();
    const store = await openStore({ sqlitePath: ':memory:' });
    const aws = createFakeAwsClients(new FakeCloud());
    try {
      const make = (over: { background: boolean; handoverKey: string | null }) => new Engine({ config, store, aws, logger: silentLogger(), testRunner: { run: async () => { throw new Error('no tests here'); } }, ...over });
      expect(() => make({ background: true, handoverKey: null })).toThrow(ConfigError);
      expect(() => make({ background: true, handoverKey: null })).toThrow(/^warmPool of stg1/);
      expect(make({ background: true, handoverKey: 'x'.repeat(32) })).toBeInstanceOf(Engine);
      expect(make({ background: false, handoverKey: null })).toBeInstanceOf(Engine);
      const named = exampleConfig();
      named.environments.stg3 = { ...named.environments.stg3!, warmPool: POOL };
      expect(poolKeyProblem(named, null)).toBeNull();
    } finally {
      aws.destroy();
      await store.close();
    }
  });
});
