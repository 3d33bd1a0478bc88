// Benchmark: a sweep over a fake cloud of 10,000 assets tagged ours in 4 regions, every AWS call taking
// 20 ms. Prints the wall time and the AWS calls against the fewest pages the same answers need.
//   node bench/sweep.ts
import { sweep } from '../src/audit/index.ts';
import { createPrices } from '../src/cost/prices.ts';
import { World, makeConfig, DAY, HOUR } from '../test/audit/support/world.ts';
import { throttle } from '../test/fakes/cloud/index.ts';

const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2', 'eu-central-1'];
const LATENCY_MS = 20;
/** Per region: 500 instances (+ their 500 tagged root volumes), 300 volumes, 150 AMIs (+ 150 snapshots), 200 snapshots, 400 SG rules, 300 key pairs. */
const PER_REGION = { instances: 500, volumes: 300, amis: 150, snapshots: 200, rules: 400, keyPairs: 300 };
const RUNS = 40;

async function main(): Promise<void> {
  const config = makeConfig({ aws: { extraRegions: ['us-west-2', 'eu-central-1'] }, sweeper: { reapLimit: 25 } });
  const w = await World.create({ config });
  // Half the runs finished (their assets are orphans), half still run with a live lease.
  const runIds = Array.from({ length: RUNS }, (_, i) => `stg4-20261120-${i.toString(16).padStart(6, '0')}`);
  for (const [i, id] of runIds.entries()) {
    if (i % 2 === 0) await w.run(id, 'failed', { finishedAgoMs: 2 * DAY });
    else await w.run(id, 'running', { leaseAgoMs: 5_000 });
  }
  const run = (n: number) => runIds[n % RUNS] ?? '';
  for (const region of REGIONS) {
    const group = w.groups.get(region) ?? w.cloud.addSecurityGroup({ region, name: 'bench-sg' });
    for (let n = 0; n < PER_REGION.instances; n++) w.instance(run(n), { region });
    for (let n = 0; n < PER_REGION.volumes; n++) w.volume(run(n), { region });
    for (let n = 0; n < PER_REGION.amis; n++) {
      const tags = w.tags(run(n));
      w.cloud.addImage({ region, name: `bench-${n}`, tags, snapshotTags: tags, createdAt: new Date(w.now.getTime() - (20 + (n % 30)) * DAY) });
    }
    for (let n = 0; n < PER_REGION.snapshots; n++) w.snapshot(run(n), { region });
    for (let n = 0; n < PER_REGION.rules; n++) {
      w.cloud.addSecurityGroupRule({ region, groupId: group, cidr: `10.${n >> 8}.${n & 255}.1/32`, tags: w.tags(run(n)) });
    }
    for (let n = 0; n < PER_REGION.keyPairs; n++) w.keyPair(run(n), { region });
  }
  const perRegion = PER_REGION.instances * 2 + PER_REGION.volumes + PER_REGION.amis * 2 + PER_REGION.snapshots + PER_REGION.rules + PER_REGION.keyPairs;
  const total = perRegion * REGIONS.length;
  w.cloud.latencyMs = LATENCY_MS;

  const deps = { config, store: w.store, aws: w.aws, prices: createPrices() };
  for (const label of ['first sweep (marks every orphan)', 'next day (nothing new to mark)', 'with 1 request in 10 throttled']) {
    if (label.includes('throttled')) {
      // Throttles the SDK retries (without back-off in the fake's clients): they show as extra calls.
      w.cloud.failNext('*', throttle('ec2'), { times: 1_000_000, match: () => Math.random() < 0.1 });
    }
    const started = performance.now();
    const report = await sweep(deps, { mode: 'dry-run', now: w.now });
    const wall = (performance.now() - started) / 1000;
    const ratio = report.awsCalls / report.minimumCalls;
    console.log(
      `sweep ${total} assets/${REGIONS.length} regions, ${label}: wall ${wall.toFixed(1)} s, ${report.awsCalls} AWS calls, minimum ${report.minimumCalls} pages, ratio ${ratio.toFixed(2)}; ` +
        `${report.orphans.length} orphans (${report.marked} marked), $${report.dailyCostUsd.toFixed(2)}/day, ${report.errors.length} errors`,
    );
    w.cloud.advance(HOUR);
  }
  w.aws.destroy();
  await w.store.close();
}

await main();
