// What a run creates in AWS, and what the sweeper looks for (design.md sections 3-4).

export const ASSET_KINDS = ['instance', 'volume', 'network-interface', 'image', 'snapshot', 'security-group-rule', 'key-pair', 'target', 'artifact'] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

export interface Asset {
  runId: string;
  kind: AssetKind;
  /** The AWS id (i-..., vol-..., sgr-..., key-..., or `tg-arn|i-...` for a target). */
  id: string;
  region: string;
  createdAt: Date;
  deletedAt: Date | null;
}

/**
 * An ALB target is not an AWS resource with an id of its own: stagebot names it by its target
 * group and instance. The one place that spells that id, and reads it back.
 */
export function targetAssetId(targetGroupArn: string, instanceId: string): string {
  return `${targetGroupArn}|${instanceId}`;
}

export function parseTargetAssetId(id: string): { targetGroupArn: string; instanceId: string } | null {
  const bar = id.lastIndexOf('|');
  if (bar <= 0 || bar === id.length - 1) return null;
  return { targetGroupArn: id.slice(0, bar), instanceId: id.slice(bar + 1) };
}
