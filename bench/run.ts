// `npm run bench`: runs every benchmark in this folder, one after another (they share 2 cores),
// and prints their figures. Each script is bounded and stops by itself.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const BENCHES = [
  { file: 'engine.ts', what: 'engine overhead per run and tests-step parallelism' },
  { file: 'sweep.ts', what: 'sweep of 10,000 tagged assets over 4 regions at 20 ms per AWS call' },
  { file: 'slack-ack.ts', what: 'Slack ack latency under a burst, against a bare Bolt app' },
  { file: 'github-webhook.ts', what: 'GitHub webhook response latency under a burst, against a bare Probot app' },
  { file: 'dashboard.ts', what: 'dashboard page weight and time to first paint in Chromium' },
  { file: 'time-to-first-test.ts', what: 'simulated command-to-first-test, cold and warm (a claimed stopped pool member), their ratio against the targets, the refill of one member and the pool\'s standing cost, on a virtual clock with a latency model from AWS figures' },
  { file: 'cli-start.ts', what: 'CLI start of --help, list and status on SQLite, side by side with node -e 0' },
  { file: 'recovery-campaign.ts', what: 'kill -9 / SIGSTOP / SIGTERM of CLI launches and serve replicas at random points, against moto: leaks, stale mutations, adoption times' },
];

let failed = 0;
for (const bench of BENCHES) {
  const path = join(import.meta.dirname, bench.file);
  if (!existsSync(path)) continue;
  process.stdout.write(`\n# ${bench.file}: ${bench.what}\n`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [path], { stdio: 'inherit', timeout: 5 * 60_000 });
  if (result.status !== 0) {
    failed++;
    process.stdout.write(`# ${bench.file} FAILED (exit ${result.status ?? result.signal})\n`);
  } else process.stdout.write(`# ${bench.file} took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
process.exitCode = failed > 0 ? 1 : 0;
