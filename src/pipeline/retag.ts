// Keeps the `stagebot:expires-at` tag true when a kept run's time moves (keep, extend): the sweeper
// trusts the tag when the store is gone, so it must never say "expired" for a run someone extended.
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { descriptorOf } from '../aws/kinds/index.ts';
import { TAG, formatTagTime } from '../aws/tags.ts';
import type { Run } from '../domain/run.ts';
import type { EngineServices } from './engine-services.ts';

export async function retagRunExpiry(svc: Pick<EngineServices, 'store' | 'aws'>, run: Run, until: Date): Promise<void> {
  const assets = (await svc.store.getAssets(run.id)).filter((a) => a.deletedAt === null && descriptorOf(a.kind).retagOnKeep);
  const byRegion = new Map<string, string[]>();
  for (const a of assets) byRegion.set(a.region, [...(byRegion.get(a.region) ?? []), a.id]);
  for (const [region, ids] of byRegion) {
    // CreateTags takes up to 1000 resources per call; a run has a handful.
    await svc.aws.ec2(region).send(new CreateTagsCommand({ Resources: ids, Tags: [{ Key: TAG.expiresAt, Value: formatTagTime(until) }] }));
  }
}
