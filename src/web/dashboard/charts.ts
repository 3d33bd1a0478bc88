// Charts drawn on the server as SVG: stacked bars of runs and orphans, by group (horizontal) and by
// day (vertical). No script and no inline style (the CSP forbids both); colours are presentation
// attributes. Each chart has a title for screen readers, and its numbers are in a table beside it.
import { formatUsd } from './format.ts';
import { esc, trusted, type Html } from './html.ts';

const RUNS = '#0969da';
const ORPHANS = '#bf3989';

export interface StackedValue {
  label: string;
  runUsd: number;
  orphanUsd: number;
}

function niceMax(max: number): number {
  if (max <= 0) return 1;
  const pow = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * pow >= max) return step * pow;
  return 10 * pow;
}

const short = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** One horizontal bar per group, runs then orphans, the total at its end. */
export function groupBars(id: string, title: string, values: readonly StackedValue[]): Html {
  const shown = values.slice(0, 15);
  const labelW = 150;
  const barW = 360;
  const rowH = 26;
  const width = labelW + barW + 80;
  const height = Math.max(1, shown.length) * rowH + 10;
  const max = niceMax(Math.max(0, ...shown.map((v) => v.runUsd + v.orphanUsd)));
  const rows = shown.map((v, i) => {
    const y = 5 + i * rowH;
    const rw = (v.runUsd / max) * barW;
    const ow = (v.orphanUsd / max) * barW;
    return `<text x="${labelW - 6}" y="${y + 16}" text-anchor="end">${esc(short(v.label, 22))}</text>
<rect x="${labelW}" y="${y + 4}" width="${rw.toFixed(1)}" height="16" fill="${RUNS}"><title>${esc(v.label)}: runs ${esc(formatUsd(v.runUsd))}</title></rect>
<rect x="${(labelW + rw).toFixed(1)}" y="${y + 4}" width="${ow.toFixed(1)}" height="16" fill="${ORPHANS}"><title>${esc(v.label)}: orphans ${esc(formatUsd(v.orphanUsd))}</title></rect>
<text x="${(labelW + rw + ow + 6).toFixed(1)}" y="${y + 16}">${esc(formatUsd(v.runUsd + v.orphanUsd))}</text>`;
  });
  return trusted(
    `<svg class="chart" id="${esc(id)}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${esc(id)}-t"><title id="${esc(id)}-t">${esc(title)}</title>${rows.join('')}</svg>`,
  );
}

/** One column per day, runs below orphans, with the scale's top and every fifth day labelled. */
export function dayColumns(id: string, title: string, days: readonly StackedValue[]): Html {
  const left = 56;
  const plotW = 520;
  const plotH = 160;
  const top = 10;
  const width = left + plotW + 10;
  const height = top + plotH + 30;
  const max = niceMax(Math.max(0, ...days.map((d) => d.runUsd + d.orphanUsd)));
  const colW = plotW / Math.max(1, days.length);
  const bars = days.map((d, i) => {
    const x = left + i * colW + 1;
    const rh = (d.runUsd / max) * plotH;
    const oh = (d.orphanUsd / max) * plotH;
    const w = Math.max(1, colW - 2).toFixed(1);
    const label = i % 5 === 0 || i === days.length - 1 ? `<text x="${(x + colW / 2).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle">${esc(d.label.slice(5))}</text>` : '';
    return `<rect x="${x.toFixed(1)}" y="${(top + plotH - rh).toFixed(1)}" width="${w}" height="${rh.toFixed(1)}" fill="${RUNS}"><title>${esc(d.label)}: runs ${esc(formatUsd(d.runUsd))}</title></rect>
<rect x="${x.toFixed(1)}" y="${(top + plotH - rh - oh).toFixed(1)}" width="${w}" height="${oh.toFixed(1)}" fill="${ORPHANS}"><title>${esc(d.label)}: orphans ${esc(formatUsd(d.orphanUsd))}</title></rect>${label}`;
  });
  const axis = `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#57606a"/>
<line x1="${left}" y1="${top}" x2="${left + plotW}" y2="${top}" stroke="#d0d7de" stroke-dasharray="3 3"/>
<text x="${left - 6}" y="${top + 4}" text-anchor="end">${esc(formatUsd(max))}</text><text x="${left - 6}" y="${top + plotH}" text-anchor="end">$0</text>`;
  return trusted(
    `<svg class="chart" id="${esc(id)}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${esc(id)}-t"><title id="${esc(id)}-t">${esc(title)}</title>${axis}${bars.join('')}</svg>`,
  );
}
