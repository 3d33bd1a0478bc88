// Text as Slack's mrkdwn shows it. Anything that came from a person or from AWS (a lock reason, a
// failing test title, an error line) goes through `esc`: an unescaped `<` would let it write a link,
// a mention or `<!channel>`.

import { formatUsd } from '../../cost/estimate.ts';

const LONGEST_TEXT = 2_900;

/** `&`, `<` and `>` as Slack wants them inside mrkdwn and plain text. */
export function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Money as every front shows it (formatUsd), escaped: `<$0.01` must not open a Slack link. */
export function usd(amount: number | null): string {
  return esc(formatUsd(amount));
}

/** Inline code that stays inline whatever the text holds (a backtick would end the span). */
export function code(text: string): string {
  return `\`${esc(text.replaceAll('`', "'").replace(/\s+/g, ' '))}\``;
}

/** A code block; ``` inside would end it early, so it is broken up. */
export function codeBlock(text: string): string {
  return `\`\`\`${esc(text.replaceAll('```', "'''"))}\`\`\``;
}

/** A requester (`slack:U123`) as a mention; any other source as plain, escaped text. */
export function who(requester: string): string {
  const slack = /^slack:([UW][A-Z0-9]{2,})$/.exec(requester);
  return slack ? `<@${slack[1]}>` : esc(requester);
}

export function userMention(userId: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : esc(userId);
}

export function channelMention(channelId: string): string {
  return /^[CGD][A-Z0-9]{2,}$/.test(channelId) ? `<#${channelId}>` : esc(channelId);
}

/** A time each reader sees in their own zone; the fallback is UTC for clients that cannot. */
export function when(at: Date): string {
  const fallback = `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}

/** Keeps a section's text under Slack's 3000-character limit, saying that it was cut. */
export function fit(text: string, limit = LONGEST_TEXT): string {
  if (text.length <= limit) return text;
  const cut = text.slice(0, limit - 20);
  // A cut inside a code block would leave it open and swallow the rest of the message.
  const open = (cut.match(/```/g) ?? []).length % 2 === 1;
  return `${cut}${open ? '```' : ''}\n… (cut)`;
}
