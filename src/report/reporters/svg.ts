/*
 * Line plots as inline SVG strings: the HTML report stays one self-contained file that opens
 * without network access or scripts. Only what the report needs: linear and log axes, several
 * lines, shaded bands (fault windows) and vertical marks (phase boundaries).
 */

export interface Line {
  readonly label: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

export interface Band {
  readonly fromX: number;
  readonly toX: number;
  readonly label: string;
}

export interface Mark {
  readonly x: number;
  readonly label: string;
}

export interface Tick {
  readonly value: number;
  readonly label: string;
}

export interface Axis {
  readonly label: string;
  readonly log?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** Fixed ticks (the percentile axis); else nice numbers or powers of ten. */
  readonly ticks?: readonly Tick[];
}

export interface PlotSpec {
  /** Stable name, also the `data-plot` attribute that the browser test looks for. */
  readonly id: string;
  readonly title: string;
  readonly x: Axis;
  readonly y: Axis;
  readonly lines: readonly Line[];
  readonly bands?: readonly Band[];
  readonly marks?: readonly Mark[];
  /** A sentence under the title: how to read the plot. */
  readonly note?: string;
}

const WIDTH = 760;
const HEIGHT = 260;
const MARGIN = { left: 64, right: 24, top: 18, bottom: 40 } as const;
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

interface Scale {
  readonly at: (v: number) => number;
  readonly ticks: readonly Tick[];
}

export function renderPlot(spec: PlotSpec): string {
  const xs = spec.lines.flatMap((l) => l.points.map((p) => p[0]));
  const ys = spec.lines.flatMap((l) => l.points.map((p) => p[1]));
  const x = scale(spec.x, xs, MARGIN.left, MARGIN.left + PLOT_W);
  const y = scale(spec.y, ys, MARGIN.top + PLOT_H, MARGIN.top);
  const parts: string[] = [];
  const left = MARGIN.left;
  const right = MARGIN.left + PLOT_W;
  const top = MARGIN.top;
  const bottom = MARGIN.top + PLOT_H;
  for (const b of spec.bands ?? []) {
    const x0 = clamp(x.at(b.fromX), left, right);
    const x1 = clamp(x.at(b.toX), left, right);
    if (x1 - x0 < 0.5) continue;
    parts.push(`<rect class="band" x="${f(x0)}" y="${top}" width="${f(x1 - x0)}" height="${PLOT_H}"><title>${esc(b.label)}</title></rect>`);
    parts.push(`<text class="band-label" x="${f(x0 + 3)}" y="${top + 10}">${esc(b.label)}</text>`);
  }
  for (const t of y.ticks) {
    const py = y.at(t.value);
    parts.push(`<line class="grid" x1="${left}" x2="${right}" y1="${f(py)}" y2="${f(py)}"/>`);
    parts.push(`<text class="tick" x="${left - 6}" y="${f(py + 3.5)}" text-anchor="end">${esc(t.label)}</text>`);
  }
  for (const t of x.ticks) {
    const px = x.at(t.value);
    parts.push(`<line class="grid" x1="${f(px)}" x2="${f(px)}" y1="${top}" y2="${bottom}"/>`);
    // The last label would stick out of the picture: it ends at its tick instead.
    const anchor = right - px < 3.5 * t.label.length ? 'end' : 'middle';
    parts.push(`<text class="tick" x="${f(px)}" y="${bottom + 14}" text-anchor="${anchor}">${esc(t.label)}</text>`);
  }
  for (const m of spec.marks ?? []) {
    const px = x.at(m.x);
    if (px < left || px > right) continue;
    parts.push(`<line class="mark" x1="${f(px)}" x2="${f(px)}" y1="${top}" y2="${bottom}"/>`);
    // Near the right edge the label goes to the left of its line, so it is not cut off.
    const nearEdge = right - px < 8 * m.label.length;
    parts.push(`<text class="mark-label" x="${f(nearEdge ? px - 3 : px + 3)}" y="${bottom - 4}"${nearEdge ? ' text-anchor="end"' : ''}>${esc(m.label)}</text>`);
  }
  parts.push(`<rect class="frame" x="${left}" y="${top}" width="${PLOT_W}" height="${PLOT_H}"/>`);
  for (const l of spec.lines) {
    if (l.points.length === 0) continue;
    const d = l.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${f(x.at(p[0]))} ${f(y.at(p[1]))}`).join('');
    parts.push(`<path class="line" data-series="${esc(l.label)}" d="${d}" stroke="${l.color}"${l.dashed ? ' stroke-dasharray="5 3"' : ''}><title>${esc(l.label)}</title></path>`);
  }
  parts.push(`<text class="axis-label" x="${left + PLOT_W / 2}" y="${HEIGHT - 6}" text-anchor="middle">${esc(spec.x.label)}</text>`);
  parts.push(`<text class="axis-label" transform="translate(14 ${top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">${esc(spec.y.label)}</text>`);
  const empty = spec.lines.every((l) => l.points.length === 0);
  if (empty) parts.push(`<text class="empty" x="${left + PLOT_W / 2}" y="${top + PLOT_H / 2}" text-anchor="middle">no data</text>`);
  const legend = spec.lines
    .map((l) => `<span class="key"><svg width="22" height="10" aria-hidden="true"><line x1="1" x2="21" y1="5" y2="5" stroke="${l.color}" stroke-width="2.5"${l.dashed ? ' stroke-dasharray="5 3"' : ''}/></svg>${esc(l.label)}</span>`)
    .join('');
  const bandKey = (spec.bands ?? []).length > 0 ? '<span class="key"><span class="swatch band-swatch"></span>fault active</span>' : '';
  return [
    `<figure class="plot" data-plot="${esc(spec.id)}">`,
    `<figcaption>${esc(spec.title)}${spec.note ? `<span class="note">${esc(spec.note)}</span>` : ''}</figcaption>`,
    `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${esc(spec.title)}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`,
    `<div class="legend">${legend}${bandKey}</div>`,
    '</figure>',
  ].join('\n');
}

function scale(axis: Axis, values: readonly number[], from: number, to: number): Scale {
  if (axis.log) {
    const positive = values.filter((v) => v > 0 && Number.isFinite(v));
    const lo = axis.min ?? (positive.length > 0 ? Math.min(...positive) : 1);
    const hi = axis.max ?? (positive.length > 0 ? Math.max(...positive) : 10);
    const e0 = Math.floor(Math.log10(lo));
    const e1 = Math.max(Math.ceil(Math.log10(hi)), e0 + 1);
    const at = (v: number) => from + ((Math.log10(Math.max(v, 10 ** e0)) - e0) / (e1 - e0)) * (to - from);
    const ticks = axis.ticks ?? range(e0, e1).map((e) => ({ value: 10 ** e, label: formatNumber(10 ** e) }));
    return { at, ticks };
  }
  const finite = values.filter((v) => Number.isFinite(v));
  const lo = axis.min ?? Math.min(0, ...finite);
  const rawHi = axis.max ?? Math.max(...finite, lo + 1);
  const step = niceStep(rawHi - lo);
  const hi = axis.max ?? Math.ceil(rawHi / step) * step;
  const at = (v: number) => from + ((v - lo) / (hi - lo || 1)) * (to - from);
  const ticks: Tick[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step / 1e6; v += step) ticks.push({ value: v, label: formatNumber(v) });
  return { at, ticks: axis.ticks ?? ticks };
}

function niceStep(span: number): number {
  const raw = (span > 0 ? span : 1) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}

export function formatNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  if (a >= 1 || a === 0) return trim(v);
  return String(Number(v.toPrecision(3)));
}

function trim(v: number): string {
  return String(Math.round(v * 100) / 100);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function f(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
