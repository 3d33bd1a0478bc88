// Prometheus metrics. One registry per process (not the global one) so tests can run several servers.
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'status'>;
  httpDuration: Histogram<'route'>;
  runsStarted: Counter<'env' | 'source'>;
  runsFinished: Counter<'env' | 'state'>;
  stepDuration: Histogram<'step' | 'outcome'>;
  runsActive: Gauge<'state'>;
  awsCalls: Counter<'service' | 'operation'>;
  orphans: Gauge<'kind'>;
  orphanDailyCost: Gauge;
  sweepIncomplete: Gauge;
  /** adopted (a crash), handed-over and resumed (a planned stop), fenced (a stale driver stopped), dropped (a queued run whose requester died). */
  runRecoveries: Counter<'event'>;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'stagebot_' });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({ name: 'stagebot_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers }),
    httpDuration: new Histogram({ name: 'stagebot_http_request_seconds', help: 'HTTP request duration', labelNames: ['route'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 3], registers }),
    runsStarted: new Counter({ name: 'stagebot_runs_started_total', help: 'Runs started', labelNames: ['env', 'source'], registers }),
    runsFinished: new Counter({ name: 'stagebot_runs_finished_total', help: 'Runs finished by final state', labelNames: ['env', 'state'], registers }),
    stepDuration: new Histogram({ name: 'stagebot_step_seconds', help: 'Pipeline step duration', labelNames: ['step', 'outcome'], buckets: [1, 5, 15, 60, 180, 600, 1800, 3600, 7200], registers }),
    runsActive: new Gauge({ name: 'stagebot_runs', help: 'Runs by current state', labelNames: ['state'], registers }),
    awsCalls: new Counter({ name: 'stagebot_aws_calls_total', help: 'AWS API calls', labelNames: ['service', 'operation'], registers }),
    orphans: new Gauge({ name: 'stagebot_orphans', help: 'Orphaned assets found by the last complete sweep', labelNames: ['kind'], registers }),
    orphanDailyCost: new Gauge({ name: 'stagebot_orphans_daily_cost_usd', help: 'Daily cost of the orphans left by the last complete sweep', registers }),
    sweepIncomplete: new Gauge({ name: 'stagebot_sweep_incomplete', help: '1 when the last sweep could not list every region and kind (the orphan gauges keep the last complete figures)', registers }),
    runRecoveries: new Counter({
      name: 'stagebot_run_recoveries_total',
      help: 'Runs taken over or stopped by recovery: adopted after a crash, handed over on a planned stop, resumed after a handover, fenced, dropped from the queue',
      labelNames: ['event'],
      registers,
    }),
  };
}
