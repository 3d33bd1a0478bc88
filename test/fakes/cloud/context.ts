// What every command handler gets: the whole cloud, the region the client is for, and the fake time.

import type { RegionState } from './model.ts';
import type { FakeCloud } from './world.ts';

export interface Ctx {
  cloud: FakeCloud;
  region: RegionState;
  now: number;
}

// Inputs are typed per handler with the SDK's request types; the registry only needs the common shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (ctx: Ctx, input: any) => object;
