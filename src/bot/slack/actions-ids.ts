// The action ids of the parent message's buttons; the manifest needs no list of them, but the
// handlers and the renderer must agree.
export const ACTIONS = {
  cancel: 'stagebot.cancel',
  keep: 'stagebot.keep',
  rerun: 'stagebot.rerun',
} as const;
