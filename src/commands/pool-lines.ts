// The warm pool's standing-cost line, for fronts that render `list` and `cost`. Its own module, not
// reports.ts: that one brings the sweep report's text and with it the asset kinds and the AWS SDK, which
// `list` must not load (test/app/cli-modules.test.ts).
export { poolStandingLine, type PoolStanding } from '../audit/pool-standing.ts';
