/**
 * The HTML report in a real browser: Debian's headless chromium opens it from disk, nothing is
 * logged to the console, nothing is fetched, and every plot is drawn. Skipped (with a message)
 * where /usr/bin/chromium is missing; `.ci/run` installs it.
 *
 * WALLETSTORM_SCREENSHOT=docs/report-peak-traffic.png also saves a screenshot of the full
 * peak-traffic report (WALLETSTORM_FULL=1: the scenario as shipped instead of a shortened one).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLOT_IDS } from '../src/report/reporters/html.js';
import { CHROMIUM, chromiumAvailable, visit } from './browser.js';
import { walletstorm } from './report.helpers.js';

const available = chromiumAvailable();
if (!available) console.warn(`report.browser.test: SKIPPED: no chromium at ${CHROMIUM} (apt-get install chromium, or set WALLETSTORM_CHROMIUM)`);

/** Inspects the page from inside: what a reader would see of each plot. */
const INSPECT = `(() => {
  const plots = [...document.querySelectorAll('figure.plot')].map((f) => ({
    id: f.dataset.plot,
    lines: [...f.querySelectorAll('path.line')].filter((p) => (p.getAttribute('d') || '').length > 20).length,
    bands: f.querySelectorAll('rect.band').length,
    width: f.querySelector('svg').getBoundingClientRect().width,
    height: f.querySelector('svg').getBoundingClientRect().height,
  }));
  return {
    title: document.title,
    plots,
    cards: [...document.querySelectorAll('#verdicts .card')].map((c) => c.dataset.model),
    banner: document.querySelector('.banner')?.textContent ?? '',
    scripts: document.scripts.length,
    external: [...document.querySelectorAll('[src], link[href]')].length,
  };
})()`;

interface Inspected {
  title: string;
  plots: { id: string; lines: number; bands: number; width: number; height: number }[];
  cards: string[];
  banner: string;
  scripts: number;
  external: number;
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'walletstorm-browser-'));
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SHORT_PEAK = [
  '--set', 'traffic.phases.0.durationSec=8',
  '--set', 'traffic.phases.1.durationSec=5',
  '--set', 'traffic.phases.2.durationSec=8',
];

describe.skipIf(!available)('the HTML report in headless chromium', () => {
  it('the check itself sees console errors and blocked requests (a page that has both)', async () => {
    const bad = join(tmp, 'bad.html');
    writeFileSync(bad, '<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; script-src \'unsafe-inline\'"></head><body><img src="https://example.invalid/x.png"><script>console.error("boom")</script></body></html>');
    const page = await visit(pathToFileURL(bad).href, { expression: '1 + 1' });
    expect(page.value).toBe(2);
    expect(page.problems).toEqual(expect.arrayContaining([expect.stringContaining('console.error: boom'), expect.stringMatching(/Content Security Policy|ERR_BLOCKED/)]));
  }, 60_000);

  it('compare peak-traffic: opens without console errors, verdicts first, every plot drawn', async () => {
    const full = process.env.WALLETSTORM_FULL === '1';
    const run = walletstorm(['compare', 'scenarios/peak-traffic.yaml', ...(full ? [] : SHORT_PEAK), '--report', 'html', '--out-dir', tmp, '--name', 'peak'], full ? 300_000 : 60_000);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const shot = process.env.WALLETSTORM_SCREENSHOT;
    const page = await visit(pathToFileURL(join(tmp, 'peak.html')).href, { expression: INSPECT, screenshot: shot !== undefined, fullPage: true, screenshotUntil: '#phases', scale: 0.75, width: 1280 });
    expect(page.problems).toEqual([]);
    const seen = page.value as Inspected;
    expect(seen.title).toBe('walletstorm · peak-traffic · seed 42');
    expect(seen.cards).toEqual(['request', 'event', 'hybrid']);
    expect(seen.banner).toMatch(/^PASS/);
    expect(seen.scripts).toBe(0);
    expect(seen.external).toBe(0);
    expect(seen.plots.map((p) => p.id)).toEqual([...PLOT_IDS]);
    for (const p of seen.plots) {
      // One line per model; offered and goodput for each in the throughput plot.
      expect(p.lines, p.id).toBe(p.id === 'throughput' ? 6 : 3);
      expect(p.width, p.id).toBeGreaterThan(400);
      expect(p.height, p.id).toBeGreaterThan(100);
    }
    if (shot !== undefined && page.screenshot) writeFileSync(shot, page.screenshot);
  }, 240_000);

  it('shades the fault windows of a scenario with faults', async () => {
    const run = walletstorm(
      ['compare', 'scenarios/slow-database.yaml', '--set', 'traffic.phases.0.durationSec=5', '--set', 'traffic.phases.1.durationSec=5', '--set', 'traffic.phases.2.durationSec=5', '--set', 'faults.walletSlowdown.fromSec=5', '--set', 'faults.walletSlowdown.toSec=10', '--report', 'html', '--out-dir', tmp, '--name', 'slow'],
      60_000,
    );
    expect([0, 1], run.stdout + run.stderr).toContain(run.status);
    const page = await visit(pathToFileURL(join(tmp, 'slow.html')).href, { expression: INSPECT });
    expect(page.problems).toEqual([]);
    const seen = page.value as Inspected;
    const timePlots = seen.plots.filter((p) => !p.id.startsWith('spectrum'));
    expect(timePlots.length).toBe(PLOT_IDS.length - 2);
    for (const p of timePlots) expect(p.bands, p.id).toBe(1);
  }, 120_000);
});
