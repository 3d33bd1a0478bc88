// Quoting what the user typed inside an error message. The message goes to Slack, GitHub markdown and
// terminals, so an echoed token must not be able to close the code span or flood the message.

const MAX_ECHO = 40;

/** `token` in backticks, cut to 40 characters, with its own backticks made harmless. */
export function echo(token: string): string {
  if (token === '') return '`""`';
  // Hygiene rejects control characters before anything is echoed; replacing them again keeps the
  // message one line even if a caller echoes unchecked text.
  const chars = Array.from(token.replaceAll('`', "'").replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '?'));
  const cut = chars.length > MAX_ECHO ? `${chars.slice(0, MAX_ECHO - 1).join('')}…` : chars.join('');
  return `\`${cut}\``;
}
