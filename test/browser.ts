/**
 * Just enough of the Chrome DevTools Protocol to open a page in Debian's headless chromium,
 * collect what the console and the network complain about, evaluate an expression and take a
 * screenshot. No browser download and no dependency: undici (already a dependency) speaks
 * WebSocket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'undici';

export const CHROMIUM = process.env.WALLETSTORM_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumAvailable = (): boolean => existsSync(CHROMIUM);

export interface PageVisit {
  /** Console messages of level error or warning, uncaught exceptions, log entries, failed requests. */
  readonly problems: readonly string[];
  /** What the expression evaluated to (returned by value). */
  readonly value: unknown;
  readonly screenshot?: Buffer;
}

export interface VisitOptions {
  readonly expression: string;
  readonly width?: number;
  readonly height?: number;
  /** Capture the whole page, not just the first screen. */
  readonly fullPage?: boolean;
  readonly screenshot?: boolean;
  /** Stop the screenshot where this element begins (with fullPage). */
  readonly screenshotUntil?: string;
  /** Device pixels per CSS pixel of the screenshot (below 1 makes a smaller file). */
  readonly scale?: number;
  readonly timeoutMs?: number;
}

type Message = { id?: number; method?: string; params?: any; result?: any; error?: { message: string } };

export async function visit(url: string, options: VisitOptions): Promise<PageVisit> {
  const width = options.width ?? 1280;
  const height = options.height ?? 900;
  const profile = mkdtempSync(join(tmpdir(), 'walletstorm-chromium-'));
  const browser = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      '--remote-debugging-port=0',
      `--window-size=${width},${height}`,
      'about:blank',
    ],
    // Its own process group, so that the renderer and utility processes die with it.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  try {
    const endpoint = await devtoolsEndpoint(browser, deadline);
    const port = new URL(endpoint).port;
    const pages = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
    const page = pages.find((p) => p.type === 'page');
    if (page === undefined) throw new Error('chromium opened no page');
    return await drive(page.webSocketDebuggerUrl, url, options, width, height, deadline);
  } finally {
    const exited = new Promise((resolve) => (browser.exitCode !== null || browser.signalCode !== null ? resolve(undefined) : browser.once('exit', resolve)));
    try {
      process.kill(-browser.pid!, 'SIGKILL');
    } catch {
      browser.kill('SIGKILL');
    }
    await exited;
    // A helper process of chromium may still be writing its profile for a moment: retry, and a
    // temporary directory left behind must never fail the test that used it.
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch {
      // left in the system's temporary directory
    }
  }
}

function devtoolsEndpoint(browser: ChildProcess, deadline: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start:\n${err}`)), Math.max(0, deadline - Date.now()));
    browser.stderr!.setEncoding('utf8').on('data', (t: string) => {
      err += t;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    browser.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited with ${code}:\n${err}`));
    });
  });
}

async function drive(wsUrl: string, url: string, options: VisitOptions, width: number, height: number, deadline: number): Promise<PageVisit> {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', () => reject(new Error('cannot connect to chromium')), { once: true });
  });
  const problems: string[] = [];
  const waiting = new Map<number, { resolve: (r: any) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Message) => void)[] = [];
  let next = 1;
  ws.addEventListener('message', (event) => {
    const m = JSON.parse(String(event.data)) as Message;
    if (m.id !== undefined) {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error) w?.reject(new Error(m.error.message));
      else w?.resolve(m.result);
      return;
    }
    if (m.method === 'Runtime.consoleAPICalled' && ['error', 'warning', 'assert'].includes(m.params.type)) {
      problems.push(`console.${m.params.type}: ${m.params.args.map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(' ')}`);
    }
    if (m.method === 'Runtime.exceptionThrown') problems.push(`exception: ${m.params.exceptionDetails.exception?.description ?? m.params.exceptionDetails.text}`);
    if (m.method === 'Log.entryAdded' && ['error', 'warning'].includes(m.params.entry.level)) problems.push(`log ${m.params.entry.source}: ${m.params.entry.text}`);
    if (m.method === 'Network.loadingFailed') problems.push(`request failed: ${m.params.errorText}`);
    for (const l of listeners) l(m);
  });
  const send = (method: string, params: object = {}): Promise<any> =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
      setTimeout(() => waiting.has(id) && reject(new Error(`${method}: no answer from chromium`)), Math.max(0, deadline - Date.now()));
    });
  try {
    await Promise.all([send('Page.enable'), send('Runtime.enable'), send('Log.enable'), send('Network.enable')]);
    await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    const loaded = new Promise<void>((resolve) => listeners.push((m) => m.method === 'Page.loadEventFired' && resolve()));
    const nav = await send('Page.navigate', { url });
    if (nav.errorText) throw new Error(`navigation failed: ${nav.errorText}`);
    await loaded;
    const evaluated = await send('Runtime.evaluate', { expression: options.expression, returnByValue: true });
    if (evaluated.exceptionDetails) problems.push(`evaluate: ${evaluated.exceptionDetails.exception?.description ?? evaluated.exceptionDetails.text}`);
    let screenshot: Buffer | undefined;
    if (options.screenshot) {
      const scale = options.scale ?? 1;
      if (options.fullPage) {
        const metrics = await send('Page.getLayoutMetrics');
        let full = Math.ceil(metrics.cssContentSize?.height ?? metrics.contentSize.height);
        if (options.screenshotUntil !== undefined) {
          const until = await send('Runtime.evaluate', { expression: `document.querySelector(${JSON.stringify(options.screenshotUntil)})?.getBoundingClientRect().top ?? 0`, returnByValue: true });
          if (until.result.value > 0) full = Math.ceil(until.result.value);
        }
        await send('Emulation.setDeviceMetricsOverride', { width, height: full, deviceScaleFactor: scale, mobile: false });
      } else if (scale !== 1) {
        await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: scale, mobile: false });
      }
      const shot = await send('Page.captureScreenshot', { format: 'png' });
      screenshot = Buffer.from(shot.data, 'base64');
    }
    return { problems, value: evaluated.result?.value, screenshot };
  } finally {
    ws.close();
  }
}
