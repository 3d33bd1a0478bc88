// HTML built from tagged templates that escape every interpolated value (escape-html) unless it is
// already Html: run ids, requester names and error text can never become markup.
import escapeHtml from 'escape-html';

export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Markup written by this module's own code (an SVG chart), never text from outside. */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** Escaped text, for building attribute values or SVG outside a template. */
export function esc(value: string | number): string {
  return escapeHtml(String(value));
}

/** A link target from data (a report URL, a chat link): http(s) or a path on this site, never `javascript:`. */
export function safeHref(url: string): string | null {
  return /^https?:\/\//i.test(url) || /^\/(?![/\\])/.test(url) ? url : null;
}

/** A link when the URL is safe to follow, else the URL as text. */
export function link(url: string, label: HtmlValue): Html {
  const href = safeHref(url);
  return href ? html`<a href="${href}">${label}</a>` : html`${label} <span class="muted">(${url})</span>`;
}
