// What the code needs from the Slack app, so a test can hold slack-app-manifest.json to it.

/** Bot token scopes, each for what uses it. Nothing more is asked for. */
export const BOT_SCOPES = {
  commands: 'the /stage slash command',
  'chat:write': 'chat.postMessage and chat.update: the run threads, the daily sweep report',
  'chat:write.public': 'posting a run thread in a public channel the bot was not invited to',
  'files:write': "files.getUploadURLExternal and files.completeUploadExternal: the first failed test's screenshot in its run thread",
  'usergroups:read': 'usergroups.users.list: user groups in slack.admins and slack.allow',
} as const;

/** Events API events the front listens to. */
export const BOT_EVENTS = ['app_home_opened'] as const;

export const SLASH_COMMAND = '/stage';
