// What a run creates in AWS, and what the sweeper looks for (design.md sections 3-4).

export const ASSET_KINDS = ['instance', 'volume', 'image', 'snapshot', 'security-group-rule', 'key-pair', 'target'] as const;
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
