// The action ids of the bot's buttons (a run's parent message, the daily sweep report); the manifest
// needs no list of them, but the handlers and the renderers must agree.
export const ACTIONS = {
  cancel: 'stagebot.cancel',
  keep: 'stagebot.keep',
  rerun: 'stagebot.rerun',
  reapNow: 'stagebot.reap-now',
} as const;
