// How a cost report groups what runs and orphans cost (`cost --by`): the command grammar offers
// these, the audit groups by them.

export const COST_GROUPS = ['env', 'user'] as const;
export type CostGroup = (typeof COST_GROUPS)[number];
