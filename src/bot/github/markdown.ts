// GitHub-flavoured markdown from text we do not control (test titles, error lines, logins). Such
// text must render as itself: no links, no HTML, no tables broken by a `|`, no @mentions that
// ping strangers, no line breaks that start a heading or a list.

/** GitHub caps a check run's output summary and an issue comment at 65,535 characters. */
export const GITHUB_TEXT_LIMIT = 65_535;

const PUNCTUATION = /[\\`*_{}[\]()#+\-.!|~]/g;

function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ').trim();
}

/** Plain text as one line of markdown that shows exactly that text. */
export function escapeMarkdown(text: string): string {
  return oneLine(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(PUNCTUATION, (c) => `\\${c}`)
    // A backslash does not stop GitHub from linking a mention; a zero-width space after the @ does.
    .replaceAll('@', '@&#8203;');
}

/**
 * Text as an inline code span. The fence is longer than any run of backticks inside, so the text
 * cannot close it; a `|` is escaped because GitHub splits table cells before it parses code spans.
 */
export function code(text: string, opts: { inTable?: boolean } = {}): string {
  let body = oneLine(text);
  if (body === '') return '` `';
  const longest = Math.max(0, ...Array.from(body.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  if (opts.inTable) body = body.replaceAll('|', '\\|');
  const pad = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/** A link only to an http(s) URL; anything else is shown as text. */
export function link(label: string, url: string | null | undefined): string {
  if (!url) return escapeMarkdown(label);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return escapeMarkdown(label);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return escapeMarkdown(label);
  // Markdown link destinations end at a space or an unbalanced parenthesis; URL.href percent-encodes
  // spaces, the parentheses are encoded here.
  const href = parsed.href.replaceAll('(', '%28').replaceAll(')', '%29');
  return `[${escapeMarkdown(label)}](${href})`;
}

/** A markdown table; cells are markdown already (escape them with escapeMarkdown or code). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Cuts markdown that would exceed GitHub's limit, saying so, at a line boundary. */
export function fitToLimit(markdown: string, limit = GITHUB_TEXT_LIMIT): string {
  if (markdown.length <= limit) return markdown;
  const note = '\n\n_… cut to fit GitHub\'s size limit; the full report is linked above._';
  const cut = markdown.slice(0, limit - note.length);
  const lastBreak = cut.lastIndexOf('\n');
  return `${lastBreak > 0 ? cut.slice(0, lastBreak) : cut}${note}`;
}

/** Lines of a list, at most `max`, then how many were left out. */
export function boundedList(items: readonly string[], max: number): string[] {
  const shown = items.slice(0, max).map((i) => `- ${i}`);
  if (items.length > max) shown.push(`- _… and ${items.length - max} more_`);
  return shown;
}
