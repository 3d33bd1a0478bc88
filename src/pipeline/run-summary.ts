// The end of a run in numbers: per-step timings (the seed's timing table), per-browser results and
// what the run cost, all derived from the store so any replica can produce it.
import { isFinished, type Run } from '../domain/run.ts';
import type { ArmSwitchOutputs } from './steps/outputs.ts';
import { accrued, hourlyCost, type Priced } from '../cost/estimate.ts';
import type { EngineServices } from './engine-services.ts';
import type { BrowserOutcome, RunCost, StepTiming } from './events.ts';
import { stepNames } from './pipeline.ts';

export interface RunSummary {
  timings: StepTiming[];
  browsers: BrowserOutcome[];
  cost: RunCost;
  /** The host's dead man's switch while it matters (armed, run not finished); null otherwise. */
  deadManSwitch: DeadManSwitchView | null;
}

export interface DeadManSwitchView {
  /** ISO time the host powers itself off (and terminates) unless stagebot moves it. */
  firesAt: string;
}

/** What pricing a run needs; the audit prices runs without an engine. */
export type CostServices = Pick<EngineServices, 'store' | 'config' | 'prices' | 'clock'>;
type SummaryServices = CostServices & Pick<EngineServices, 'pipeline'>;

export async function summarizeRun(svc: SummaryServices, run: Run): Promise<RunSummary> {
  const steps = await svc.store.getSteps(run.id);
  const byName = new Map(steps.map((s) => [s.name, s]));
  const timings: StepTiming[] = stepNames(svc.pipeline).map((name) => {
    const s = byName.get(name);
    const durationMs = s?.startedAt && s.finishedAt ? s.finishedAt.getTime() - s.startedAt.getTime() : null;
    return { step: name, state: s?.state ?? 'pending', durationMs };
  });
  const browsers = (byName.get('tests')?.outputs.results as BrowserOutcome[] | undefined) ?? [];
  const armed = byName.get('arm-switch');
  // Once the run is over its instance is gone (or the sweeper's): the switch is moot.
  const deadManSwitch = armed?.state === 'succeeded' && !isFinished(run.state) ? { firesAt: String((armed.outputs as ArmSwitchOutputs).firesAt) } : null;
  return { timings, browsers, cost: await runCost(svc, run, byName.get('launch')?.outputs ?? {}), deadManSwitch };
}

/** `launchOutputs`: the launch step's outputs, when the caller has already read them. */
export async function runCost(svc: CostServices, run: Run, launchOutputs?: Record<string, unknown>): Promise<RunCost> {
  const env = run.env ? svc.config.environments[run.env] : undefined;
  const cost: RunCost = { usd: 0, lines: [], unknown: [] };
  if (!env) return cost;
  const launch = launchOutputs ?? (await svc.store.getStep(run.id, 'launch'))?.outputs ?? {};
  const now = svc.clock.now().getTime();
  for (const asset of await svc.store.getAssets(run.id)) {
    let priced: Priced;
    if (asset.kind === 'instance') {
      priced = { kind: 'instance', region: asset.region, instanceType: String(launch.instanceType ?? env.instanceType), publicIpv4: Boolean(launch.publicIp) };
    } else if (asset.kind === 'volume') {
      priced = { kind: 'volume', region: asset.region, volumeType: env.rootVolume.type, sizeGb: env.rootVolume.sizeGb };
    } else continue;
    const ms = (asset.deletedAt?.getTime() ?? now) - asset.createdAt.getTime();
    const line = hourlyCost(svc.prices, priced);
    const usd = accrued(line.hourly, ms);
    cost.lines.push({ what: `${asset.kind} ${asset.id}`, hours: ms / 3_600_000, usd });
    if (line.unknown) cost.unknown.push(line.unknown);
    // Known costs still add up; what could not be priced is listed rather than guessed.
    if (usd !== null) cost.usd = (cost.usd ?? 0) + usd;
  }
  return cost;
}
