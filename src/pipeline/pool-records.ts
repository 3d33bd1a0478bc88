// The warm pool's store as a run's steps see it (RunRecords.pool): a replenish run reaches only its own
// member, a launch only the member it claims. A member's ephemeral private key is kept sealed (AES-GCM
// under STAGEBOT_HANDOVER_KEY, bound to the member's id) between its preparation and its claim.
import type { AssetKind } from '../domain/asset.ts';
import type { Clock } from '../domain/clock.ts';
import type { Run } from '../domain/run.ts';
import type { PoolMember } from '../domain/pool.ts';
import type { Store } from '../store/index.ts';
import { HANDOVER_KEY_ENV, sealSecrets, unsealSecrets } from './handover-seal.ts';
import type { PoolRecords } from './run-context.ts';

/** What moves from a pool member to the run that claims it: the machine and what RunInstances made with it. */
export const MEMBER_ASSET_KINDS: readonly AssetKind[] = ['instance', 'volume', 'network-interface'];

const KEY_SECRET = 'ssh-private-key';

/** The kv key under which a member's sealed private key waits for its claim. */
export function poolKeyEntry(memberId: string): string {
  return `pool-key:${memberId}`;
}

export interface PoolRecordsDeps {
  store: Pick<
    Store,
    'poolMember' | 'setPoolMemberInstance' | 'markPoolMemberReady' | 'claimPoolMember' | 'poolMemberClaimedBy' | 'deletePoolMember' | 'moveAssets' | 'kvGet' | 'kvSet' | 'kvDelete'
  >;
  clock: Clock;
  handoverKey: string | null;
  /** A member was claimed: the pool is one short (wakes the replenish job). */
  claimed?: () => void;
}

export function poolRecords(deps: PoolRecordsDeps, run: Pick<Run, 'id' | 'env'>, envName: string): PoolRecords {
  const { store, clock } = deps;
  return {
    ownMember: () => store.poolMember(run.id),
    setOwnInstance: (instanceId) => store.setPoolMemberInstance(run.id, instanceId),
    markOwnReady: (builtAt) => store.markPoolMemberReady(run.id, builtAt),
    async sealOwnKey(privateKey) {
      if (!deps.handoverKey) throw new Error(`a warm pool member with an ephemeral key needs ${HANDOVER_KEY_ENV} to keep its key for the launch that claims it`);
      await store.kvSet(poolKeyEntry(run.id), sealSecrets(deps.handoverKey, run.id, new Map([[KEY_SECRET, privateKey]])), clock.now());
    },
    async claim(ami, builtAfter, needsKey) {
      // A member's sealed key opens only with the operator's key: without it, no member is usable here.
      if (needsKey && !deps.handoverKey) return null;
      const member = await store.claimPoolMember(envName, run.id, { ami, builtAfter }, clock.now());
      if (member) deps.claimed?.();
      return member;
    },
    claimed: () => store.poolMemberClaimedBy(run.id),
    async claimedKey(member) {
      const entry = await store.kvGet(poolKeyEntry(member.id));
      if (!entry) return null;
      if (!deps.handoverKey) return new Error(`its sealed key needs ${HANDOVER_KEY_ENV}, which this replica does not have`);
      const opened = unsealSecrets(deps.handoverKey, member.id, String(entry.value));
      return opened instanceof Error ? opened : (opened.get(KEY_SECRET) ?? null);
    },
    async takeAssets(member) {
      await store.moveAssets(member.id, run.id, MEMBER_ASSET_KINDS);
    },
    async forget(member) {
      await store.kvDelete(poolKeyEntry(member.id));
      await store.deletePoolMember(member.id);
    },
  };
}
