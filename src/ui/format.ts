/** Small text helpers for the live outputs: plain strings, no escape codes. */

const BLOCKS = '▁▂▃▄▅▆▇█';

/** A sparkline of the values, scaled to `max` (so two lines can share one scale). */
export function sparkline(values: readonly number[], width: number, max = Math.max(0, ...values)): string {
  const shown = values.slice(-width);
  if (max <= 0) return '▁'.repeat(shown.length);
  return shown.map((v) => BLOCKS[Math.min(BLOCKS.length - 1, Math.max(0, Math.round((v / max) * (BLOCKS.length - 1))))]).join('');
}

/** A progress bar of `width` cells. */
export function bar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Milliseconds as a reader wants them: 0.42 ms, 12 ms, 1.4 s. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value >= 10_000) return `${(value / 1000).toFixed(0)} s`;
  if (value >= 1000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 10) return `${Math.round(value)} ms`;
  return `${value.toFixed(value >= 1 ? 1 : 2)} ms`;
}

/** Run or wall time in seconds, one decimal below a minute, m:ss above. */
export function clock(msValue: number): string {
  const s = msValue / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s - m * 60)).padStart(2, '0')}`;
}

export function paceLabel(pace: number | null): string {
  return pace === null ? 'max' : `${pace}x`;
}
