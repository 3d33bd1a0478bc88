// Evicting a warm pool member outside any run: its instance, volumes and interface (and anything else
// tagged with its asset-id) torn down by the teardown machinery, with AWS clients fenced by the member's
// state in the store — only while it is `evicting` (a state no launch claims from) does a mutating call
// go out. Once nothing is left, the store forgets it and its sealed key.
import { fencedAwsClients } from '../aws/fenced-clients.ts';
import type { PoolMember } from '../domain/pool.ts';
import type { EngineServices } from './engine-services.ts';
import { poolKeyEntry } from './pool-records.ts';
import { tearDownOwned, type TeardownHost } from './steps/teardown.ts';
import type { TeardownOutputs } from './step-outputs.ts';

/** A member whose state changed under an eviction (it was forgotten meanwhile): nothing more is touched. */
export class EvictionFenced extends Error {}

export async function evictMember(svc: Pick<EngineServices, 'config' | 'store' | 'aws' | 'clock' | 'logger'>, member: PoolMember, signal: AbortSignal): Promise<TeardownOutputs> {
  const { store, config, clock } = svc;
  const check = async (operation: string) => {
    const now = await store.poolMember(member.id);
    if (now?.state !== 'evicting') throw new EvictionFenced(`pool member ${member.id} is ${now?.state ?? 'gone'}, not evicting; ${operation} not sent`);
  };
  const log = svc.logger.child({ poolMember: member.id, env: member.env });
  const host: TeardownHost = {
    ownerId: member.id,
    installation: config.installation,
    region: member.region,
    // A member is never behind the load balancer.
    targetGroupArn: '',
    aws: fencedAwsClients(svc.aws, check),
    clock,
    signal,
    stepTimeoutMs: config.runs.stepTimeouts.teardown,
    log: (line) => log.info(`evicting pool member ${member.id}: ${line}`),
    recorded: () => store.getAssets(member.id),
    recordAsset: async (kind, id) => {
      await store.recordAsset({ runId: member.id, kind, id, region: member.region, createdAt: clock.now(), deletedAt: null }).catch(() => false);
    },
    assetDeleted: async (kind, id) => {
      await store.markAssetDeleted(kind, id, clock.now());
    },
  };
  await check('teardown');
  const outputs = await tearDownOwned(host);
  if (outputs.failed.length === 0) {
    await store.kvDelete(poolKeyEntry(member.id));
    await store.deletePoolMember(member.id);
  }
  return outputs;
}
