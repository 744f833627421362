import { performance } from 'node:perf_hooks';
import { checkAll, checkEach, EXIT, usageError, WalletstormError, type ExitCode } from '../errors.js';
import { servableModels } from '../drivers/http/server.js';
import { checkTopicPrefix, parseKafkaTarget } from '../drivers/kafka/cluster.js';
import { openKafkaTarget, type KafkaTarget } from '../real/kafka-target.js';
import { startLocalTarget, type LocalTarget } from '../real/local-target.js';
import { runReal, type RealRun, type RealRunReport } from '../real/run-real.js';
import { FAULT_NAMES, faultsAfterTraffic } from '../faults/timed.js';
import { faultWindowsField } from '../report/fault-windows.js';
import { reshapeTraffic, timelineOverrides } from '../real/traffic.js';
import { onInterrupt } from './interrupt.js';
import { refuseNoTraffic } from './no-traffic.js';
import type { Comparison } from '../report/diff.js';
import type { Report } from '../report/model.js';
import { producerInWords } from '../report/kafka-producer.js';
import { trafficLimitProblem, type Scenario } from '../scenario/schema.js';
import { evaluateThresholds, parseThreshold, type Threshold } from '../report/thresholds.js';
import { compileScenario, type CompiledScenario } from '../scenario/compile.js';
import { loadScenario, type LoadedScenario } from '../scenario/load.js';
import { packageVersion } from '../util/package-root.js';
import { parseDecimal, parseSeed, parseWhole } from './parse-flags.js';
import { ofOtherSegment, type Segment } from '../provider/players.js';
import { checkOutputFlags, gatedExitCode, jsonDestination, prepareOutput, type PreparedOutput, type ReportFlags } from './report-output.js';
import { parseTraceFlags, type TraceFlags } from './trace-flags.js';
import { writeTraceOutput } from './trace-output.js';

export interface LoadOptions extends ReportFlags {
  readonly target: string;
  /** Undefined when not given: --target local then serves the request-driven wallet. */
  readonly model?: string;
  readonly duration?: string;
  readonly rateScale?: string;
  /** Undefined when not given: 64 over HTTP; over kafka:// there are no connections to set. */
  readonly connections?: string;
  readonly json?: string;
  readonly set: string[];
  readonly threshold: string[];
  readonly seed?: string;
  readonly color: boolean;
  readonly wallet?: string;
  readonly topicPrefix?: string;
  /** K/N: this load generator drives the K-th of N slices of the players (several at once on one wallet). */
  readonly segment?: string;
  /** Players whose story to print after the report (repeatable). */
  readonly trace?: string[];
  readonly traceLimit?: string;
}

export interface LoadIo {
  /** The summary and the trace: standard output, or standard error when --json - takes standard output. */
  readonly out: (t: string) => void;
  /** Whether `out` is a terminal: the full table there, a compact summary in logs. */
  readonly tty: boolean;
  readonly err: (t: string) => void;
}

/** A real run cannot wait as long as the simulator's virtual deadline: its drain is capped at this. */
const REAL_DRAIN_CAP_MS = 120_000;
/**
 * Faults that act inside the simulated world (the log, the wallet's capacity) and not over HTTP.
 * The traffic faults (hotPlayer, roundCancel) change what the provider sends: applied everywhere.
 */
const SIMULATOR_ONLY_FAULTS = ['walletSlowdown', 'consumerCrash', 'duplicateDelivery', 'rebalance', 'reorder'];
/** Over Kafka: the producer duplicates records, the wallet's consumers crash; responseLoss has no answer to lose. */
const NOT_OVER_KAFKA = ['responseLoss', 'walletSlowdown', 'rebalance', 'reorder'];

/** Everything a load run needs, checked before any traffic: a usage error leaves nothing started. */
interface LoadPlan {
  readonly segment: Segment | undefined;
  readonly connections: number;
  readonly durationSec: number | undefined;
  readonly seed: number;
  readonly target: Target;
  readonly loaded: LoadedScenario;
  /** The scenario as --duration and --rate-scale reshape it. */
  readonly scenario: Scenario;
  readonly compiled: CompiledScenario;
  readonly thresholds: readonly Threshold[];
  readonly trace: TraceFlags;
  readonly output: PreparedOutput;
  /** The faults that act on this target: their windows go in the report. */
  readonly appliedFaults: readonly string[];
  /** What a wallet child started here is given beside the scenario file. */
  readonly childOverrides: readonly string[];
}

/** The wallets a run started (--target local, kafka://): stopped when it ends. */
interface StartedTargets {
  local?: LocalTarget;
  kafka?: KafkaTarget;
}

/**
 * `walletstorm load`: the simulator's provider and checker against a real wallet over HTTP.
 * Exit codes as everywhere: 0, 1 (a check failed), 2 (usage), 3 (the target could not be
 * reached, or went away mid-run: partial report), 130 (SIGINT or SIGTERM: partial report).
 */
export async function loadCommand(scenarioRef: string, options: LoadOptions, io: LoadIo): Promise<ExitCode> {
  const plan = planLoad(scenarioRef, options, io);
  const interrupt = new AbortController();
  // Ctrl-C or SIGTERM. A second one is ignored: the drain is bounded (3 s) and the report follows it.
  const stopListening = onInterrupt((signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) return;
    // Named: in a CI log, SIGTERM is the job's cancel or timeout, not someone at a keyboard.
    io.err(`\nwalletstorm: interrupted (${signal}): stopping the traffic, draining for up to 3 s, then writing a partial report\n`);
    interrupt.abort();
  });
  const targets: StartedTargets = {};
  const started = performance.now();
  try {
    const url = await startTargets(plan, options, targets);
    announce(plan, options, targets, url, io);
    const run = await runAgainst(plan, url, targets, interrupt.signal, io);
    const report = loadReport(plan, run, performance.now() - started);
    const { comparison, writeError } = await plan.output.emit(report);
    io.out(sendsSummary(run.report));
    writeTraceOutput({ flags: plan.trace, traces: run.trace === undefined ? [] : [run.trace], report, color: options.color, write: io.out });
    // Before the end reason: its lines promise a partial report, which does not exist.
    if (writeError !== undefined) throw writeError;
    return exitCodeOf(run, report, comparison, url, options, io);
  } finally {
    stopListening();
    await targets.local?.stop();
    await targets.kafka?.close();
  }
}

/** Every flag and the scenario checked (all problems at once), the traffic reshaped, the outputs prepared, the faults noted. */
function planLoad(scenarioRef: string, options: LoadOptions, io: LoadIo): LoadPlan {
  // The scenario as soon as it is read: --trace is checked against its players (see trace).
  let read: LoadedScenario | undefined;
  const flags = checkAll({
    connections: () => (options.connections === undefined ? DEFAULT_CONNECTIONS : parseWhole('--connections', options.connections, 1, 10_000)),
    durationSec: () => parseDecimal('--duration', options.duration, 0.1, 86_400),
    rateScale: () => parseDecimal('--rate-scale', options.rateScale, 0.001, 1000),
    target: () => parseTarget(options),
    loaded: () => (read = loadScenario(scenarioRef, options.set)),
    seed: () => (options.seed === undefined ? undefined : parseSeed(options.seed)),
    // Parsed before the run: a typo fails now, not after minutes of traffic. The scenario's own are checked with it.
    thresholds: () => checkEach(options.threshold, parseThreshold),
    trace: () => parseTraceFlags(options.trace ?? [], options.traceLimit, read?.scenario.players.count),
    segment: () => parseSegment(options.segment, read?.scenario.players.count),
    output: () => checkOutputFlags(options),
  });
  const { durationSec, rateScale, loaded } = flags;
  refuseTraceOfOtherSegment(flags.trace.players, loaded.scenario.players.count, flags.segment);
  // These need the flags above: the traffic as --duration and --rate-scale reshape it.
  const scenario = reshapeTraffic(loaded.scenario, durationSec, rateScale);
  refuseNoTraffic(scenario, { flags: reshapeFlags(durationSec, rateScale), does: 'send', hint: "raise --rate-scale or --duration (or the scenario's rates)" });
  refuseOversizedTraffic(scenario, durationSec, rateScale);
  const compiled = compileScenario(scenario);
  // Last of the checks: it creates missing output directories, which a usage error should not leave behind.
  const output = prepareOutput(options, flags.output, { label: 'load', color: options.color, tty: io.tty, write: io.out, inputs: [loaded.file] });
  noteWalletOverrides(options.set, flags.target, io);
  return {
    connections: flags.connections,
    segment: flags.segment,
    durationSec,
    seed: flags.seed ?? loaded.scenario.seed,
    target: flags.target,
    loaded,
    scenario,
    compiled,
    thresholds: [...loaded.scenario.thresholds.map(parseThreshold), ...flags.thresholds],
    trace: flags.trace,
    output,
    appliedFaults: noteFaults(scenario, flags.target, io),
    // The wallet child reads the scenario file: it gets the phases and the faults' times as --duration moved them.
    childOverrides: durationSec === undefined ? options.set : [...options.set, ...timelineOverrides(scenario)],
  };
}

/** Notes the faults this target does not apply, and those that start after the traffic; returns the ones it applies. */
function noteFaults(scenario: Scenario, target: Target, io: LoadIo): string[] {
  const notApplied = target.brokers === undefined ? SIMULATOR_ONLY_FAULTS : NOT_OVER_KAFKA;
  const ignored = notApplied.filter((f) => (scenario.faults as Record<string, unknown>)[f] !== undefined);
  if (ignored.length > 0) {
    // Named from the lists above, so the note cannot drift from what the run applies.
    const applied = FAULT_NAMES.filter((f) => !notApplied.includes(f));
    io.err(`walletstorm: note: ${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} not applied against this target (${andList(applied)} are)\n`);
  }
  for (const late of faultsAfterTraffic(scenario, Math.min(scenario.run.drainTimeoutSec, REAL_DRAIN_CAP_MS / 1000))) {
    if (!ignored.some((f) => late.startsWith(`faults.${f}.`))) io.err(`walletstorm: note: ${late}\n`);
  }
  // Their windows go in the report; a wallet given with --wallet crashes (or not) by its own scenario.
  return FAULT_NAMES.filter((f) => !notApplied.includes(f) && !(f === 'consumerCrash' && target.walletOrigin !== undefined));
}

/**
 * `--set wallet.*` (and players.initialBalance) reaches only a wallet this run starts (--target
 * local, kafka:// without --wallet): a wallet at a URL runs the settings it was started with. Said, or the run (and its
 * report, which lists the overrides) would look like a test of settings that never acted.
 */
function noteWalletOverrides(overrides: readonly string[], target: Target, io: LoadIo): void {
  const external = target.local ? undefined : target.brokers === undefined ? target.origin : target.walletOrigin;
  if (external === undefined) return;
  // The players' starting balances too: a running wallet's own are read before the traffic.
  const wallet = overrides.filter((o) => /^(wallet(\.|=)|players\.initialBalance=)/.test(o.trim()));
  if (wallet.length > 0) {
    io.err(`walletstorm: note: --set ${wallet.join(', ')} does not change the wallet at ${external}: it runs the settings it was started with (give them to its serve --set)\n`);
  }
}

/** Starts the wallets the run needs (a local child, the Kafka side); returns the origin of the wallet to read. */
async function startTargets(plan: LoadPlan, options: LoadOptions, targets: StartedTargets): Promise<string> {
  const { local, brokers, origin, walletOrigin, topicPrefix } = plan.target;
  const { loaded, childOverrides: overrides, seed } = plan;
  if (local) targets.local = await startLocalTarget({ model: options.model ?? 'request', scenarioFile: loaded.file, overrides, seed });
  if (brokers !== undefined) {
    targets.kafka = await openKafkaTarget({ brokers, walletOrigin, topicPrefix, scenario: plan.compiled, scenarioFile: loaded.file, overrides, seed });
  }
  return targets.local?.url ?? targets.kafka?.origin ?? origin!;
}

function announce(plan: LoadPlan, options: LoadOptions, targets: StartedTargets, url: string, io: LoadIo): void {
  const { kafka, local } = targets;
  const name = plan.scenario.name;
  if (kafka !== undefined) {
    const who = kafka.local === undefined ? `the wallet at ${url}` : `a local event-driven wallet (pid ${kafka.local.pid}, ${url})`;
    io.err(`walletstorm load: ${name} on Kafka ${plan.target.brokers!.join(',')}: ${kafka.topics.commands} (${kafka.partitions} partitions), applied by ${who}\n`);
    return;
  }
  const child = local === undefined ? '' : ` (local ${options.model ?? 'request'}-driven wallet, pid ${local.pid})`;
  io.err(`walletstorm load: ${name} against ${url}${child}, ${plan.connections} connections\n`);
}

async function runAgainst(plan: LoadPlan, url: string, targets: StartedTargets, signal: AbortSignal, io: LoadIo): Promise<RealRun> {
  const progress = process.stderr.isTTY === true;
  const run = await runReal({
    scenario: plan.compiled,
    origin: url,
    connections: plan.connections,
    seed: plan.seed,
    drainTimeoutMs: Math.min(plan.compiled.drainTimeoutMs, REAL_DRAIN_CAP_MS),
    signal,
    kafka: targets.kafka?.transport,
    trace: plan.trace.players,
    segment: plan.segment,
    onTick: progress
      ? (t) => io.err(`\r  ${(t.nowMs / 1000).toFixed(0)} / ${(t.trafficMs / 1000).toFixed(0)} s · ${t.ops} ops · sent ${t.stats.sent} · late ${t.stats.late} · dropped ${t.stats.dropped}   `)
      : undefined,
  });
  if (progress) io.err('\n');
  return run;
}

function loadReport(plan: LoadPlan, run: RealRun, wallMs: number): Report {
  const { scenario, seed, loaded, compiled, thresholds } = plan;
  return {
    tool: { name: 'walletstorm', version: packageVersion() },
    scenario: {
      name: scenario.name,
      seed,
      file: loaded.file,
      overrides: loaded.overrides,
      ...(plan.segment !== undefined && { segment: `${plan.segment.index}/${plan.segment.count}` }),
      ...faultWindowsField(compiled, plan.appliedFaults, Math.min(compiled.drainTimeoutMs, REAL_DRAIN_CAP_MS)),
    },
    runs: [thresholds.length === 0 ? run.report : { ...run.report, thresholds: evaluateThresholds(thresholds, run.report) }],
    timing: { wallMs: Math.round(wallMs), simulatedOpsPerSec: Math.round(run.report.operations.logical / (wallMs / 1000)) },
  };
}

/** How the run ended, as an exit code and, for anything but a gate's verdict, a line saying why. */
function exitCodeOf(run: RealRun, report: Report, comparison: Comparison | undefined, url: string, options: LoadOptions, io: LoadIo): ExitCode {
  const written = `partial report${options.json === undefined ? '' : ` written to ${jsonDestination(options.json)}`}`;
  if (run.ended === 'interrupted') {
    io.err(`walletstorm: interrupted: ${written} (exit 130)\n`);
    return EXIT.interrupted;
  }
  if (run.ended === 'unreachable') {
    io.err(`walletstorm: the wallet at ${url} ${run.reason}; ${written} (exit 3)\n`);
    return EXIT.unreachable;
  }
  if (run.error !== undefined) {
    const e = run.error;
    throw new WalletstormError(e.code, `${e.message}; ${written}`, e.exitCode, e.hint, { cause: e });
  }
  const ops = run.report.operations;
  if (ops.logical === 0) {
    // Nothing was sent, so nothing was checked: "consistent" would be a pass for no reason.
    io.err('walletstorm: the run sent nothing, so it checked nothing (exit 1)\n');
    return EXIT.checkFailed;
  }
  if (ops.acknowledged + ops.failed === 0 && (run.report.sends?.responsesLost ?? 0) === 0) {
    // Every operation timed out: a wallet that hangs on its money endpoints (and answers its
    // reads) is "consistent" with having done nothing. (Answers the responseLoss fault threw
    // away did arrive: that run saw a working wallet.)
    io.err(
      `walletstorm: the wallet answered none of the run's ${ops.logical.toLocaleString('en-US')} operations (all indeterminate: ${run.report.timeouts.toLocaleString('en-US')} attempts timed out), so none was acknowledged or refused: a hung wallet would pass (exit 1)\n`,
    );
    return EXIT.checkFailed;
  }
  return gatedExitCode(report, comparison);
}

interface Target {
  readonly local: boolean;
  readonly brokers?: string[];
  /** The wallet's origin: --target http://... */
  readonly origin?: string;
  /** With kafka://: the wallet whose audit to read (--wallet). */
  readonly walletOrigin?: string;
  readonly topicPrefix: string;
}

/**
 * --segment K/N: several load generators at once on one wallet, each on its own players (see
 * Segment). Every slice needs a player: N is at most players.count. Checked after the scenario
 * (`players`: undefined when the scenario did not load, reported on its own).
 */
function parseSegment(value: string | undefined, players: number | undefined): Segment | undefined {
  if (value === undefined) return undefined;
  const m = /^([1-9]\d{0,5})\/([1-9]\d{0,5})$/.exec(value);
  const hint = 'K/N: this load generator takes the K-th of N slices of the players, e.g. --segment 1/2 and --segment 2/2 for two generators';
  if (m === null) throw usageError('E_BAD_FLAG', `--segment must be K/N with 1 <= K <= N, got "${value}"`, hint);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (index > count) throw usageError('E_BAD_FLAG', `--segment ${value}: K is above N`, hint);
  if (players !== undefined && count > players) {
    throw usageError('E_BAD_FLAG', `--segment ${value}: ${count} slices of ${players} players leave a slice without any`, 'fewer load generators, or more players (--set players.count=...)');
  }
  return { index, count };
}

/** A traced player this load generator does not drive (--segment): its story would be empty. */
function refuseTraceOfOtherSegment(players: readonly string[], count: number, segment: Segment | undefined): void {
  const other = players.find((p) => ofOtherSegment(p, count, segment));
  if (other === undefined || segment === undefined) return;
  throw usageError('E_BAD_FLAG', `--trace ${other}: --segment ${segment.index}/${segment.count} does not drive that player`, `trace it from the load generator whose segment has it (player pI is in segment (I mod ${segment.count}) + 1)`);
}

/** Keep-alive connections to an HTTP wallet when --connections is not given. */
const DEFAULT_CONNECTIONS = 64;

/** --target and the flags that go with it (--model, --wallet, --topic-prefix, --connections), every problem reported. */
function parseTarget(options: LoadOptions): Target {
  const local = options.target === 'local';
  const kafka = options.target.startsWith('kafka://');
  const parsed = checkAll({
    brokers: () => (kafka ? parseKafkaTarget(options.target) : undefined),
    origin: () => (local || kafka ? undefined : loopbackOrigin(options.target)),
    model: () => checkTargetModel(options.model, local, kafka),
    connections: () => {
      // Commands go to the log through the producer: a connection count would be ignored without a word.
      if (kafka && options.connections !== undefined) {
        throw usageError('E_BAD_FLAG', '--connections goes with an HTTP target: over kafka:// the commands are produced to the log', "drop --connections; the producer's own settings are kafka.maxInFlight, kafka.batchSize and kafka.lingerMs (--set)");
      }
    },
    walletOrigin: () => {
      if (options.wallet === undefined) return undefined;
      // Whether it belongs here at all comes first: a bad URL is beside the point without Kafka.
      if (!kafka) throw usageError('E_BAD_FLAG', '--wallet goes with --target kafka:// only');
      return loopbackOrigin(options.wallet, '--wallet');
    },
    topicPrefix: () => {
      // Without --wallet the run starts its own wallet on fresh topics of its own: a prefix would be ignored.
      if (options.topicPrefix !== undefined && options.wallet === undefined) {
        throw usageError('E_BAD_FLAG', '--topic-prefix goes with --wallet (the prefix that wallet was started with)', 'without --wallet, load --target kafka:// starts its own wallet on topics of its own');
      }
      return checkTopicPrefix(options.topicPrefix ?? '');
    },
  });
  return { local, ...parsed };
}

function checkTargetModel(model: string | undefined, local: boolean, kafka: boolean): void {
  if (model === undefined) return;
  // Checked for every target, as a typo should be.
  if (!servableModels().includes(model)) {
    throw usageError('E_UNKNOWN_MODEL', `unknown model "${model}"`, `${local ? '--target local serves' : '--model is'} one of: ${servableModels().join(', ')}`);
  }
  if (kafka && model !== 'event') {
    const hint = model === 'hybrid' ? 'for the hybrid wallet on Kafka: serve --model hybrid --brokers ..., then load --target http://...' : 'drop --model, or give --model event';
    throw usageError('E_BAD_TARGET', `--target kafka:// drives the event-driven wallet (commands straight to its log), not --model ${model}`, hint);
  }
  // A wallet at a URL runs the model it runs: a --model beside it would be ignored, and a CI job
  // that meant to gate another model would pass on the wrong one without a word.
  if (!local && !kafka) {
    throw usageError('E_BAD_FLAG', `--model goes with --target local: a wallet at a URL runs the model it was started with (the report names it, from its /healthz)`, `drop --model; for the ${model} model, start a wallet with serve --model ${model} and point --target at it, or use --target local --model ${model}`);
  }
}

/**
 * The scenario's bounds hold for the traffic as reshaped too: `--rate-scale 1000` on a scenario
 * within them can ask for rates and round counts that would exhaust memory mid-run.
 */
function refuseOversizedTraffic(scenario: Scenario, durationSec: number | undefined, rateScale: number | undefined): void {
  const problem = trafficLimitProblem(scenario.traffic.phases);
  if (problem === undefined) return;
  // --duration stretches the phases without changing their rates: only --rate-scale lowers a rate.
  const hint = problem.index === undefined ? 'lower --rate-scale or --duration' : 'lower --rate-scale';
  throw usageError('E_TOO_MUCH_TRAFFIC', `the traffic of ${scenario.name}${reshapeFlags(durationSec, rateScale)}: ${problem.message}`, hint);
}

function reshapeFlags(durationSec: number | undefined, rateScale: number | undefined): string {
  return [durationSec === undefined ? '' : ` --duration ${durationSec}`, rateScale === undefined ? '' : ` --rate-scale ${rateScale}`].join('');
}

function sendsSummary(r: RealRunReport): string {
  const s = r.sends;
  if (r.kafka !== undefined) {
    const k = r.kafka;
    const gaps = k.producerGaps.length === 0 ? 'none' : `${k.producerGaps.length} (longest ${(k.longestGapMs / 1000).toFixed(1)} s)`;
    return (
      `kafka: ${k.produced} command records produced (${k.producedTwice} twice on purpose, ${k.produceFailed} failed) · ${k.resultsRead} results read (${k.resultReplays} replays)` +
      ` · dead letters ${deadLettersInWords(k)} · max consumer lag ${k.maxConsumerLagRecords} records · producer gaps ${gaps}\n` +
      `  producer: ${producerInWords(k.producer)}` +
      ` · ack latency from the produce: ${s.latency.count === 0 ? '-' : `p50 ${s.latency.p50} ms, p99 ${s.latency.p99} ms`} · checked by ${r.consistency.checkedBy}\n`
    );
  }
  const lat = s.latency.count === 0 ? '-' : `p50 ${s.latency.p50} ms, p99 ${s.latency.p99} ms`;
  return (
    `load generator: ${s.sent} requests on ${s.connections} connections · late ${s.late} · dropped ${s.dropped} · responses lost (fault) ${s.responsesLost}` +
    ` · aborted at timeout ${s.aborted} · refused ${s.refused} · broken ${s.socketErrors} · unreadable ${s.unreadable}\n` +
    `  latency from the actual send: ${lat} · checked by ${r.consistency.checkedBy}${refusalsNote(r)}\n`
  );
}

/**
 * A dead letter is a record on the commands topic the wallet could not read: walletstorm writes
 * none, so another tool wrote there. Where to look is named, as the count alone sends the
 * reader searching; each dead letter holds its record's partition, offset and the reason.
 */
function deadLettersInWords(k: NonNullable<RealRunReport['kafka']>): string {
  if (k.deadLetters === 0) return '0';
  return `${k.deadLetters} (records on ${k.topics.commands} the wallet could not read, in ${k.topics.dlq}, each with its partition, offset and reason)`;
}

/** Over HTTP, a wallet that does not list its settlement refusals hides its late rejections: say so beside the check. */
function refusalsNote(r: RealRunReport): string {
  // Only where it matters: operations accepted and never seen applied (a request-driven wallet
  // accepts nothing ahead of applying it; a run not checked at all says so already).
  if (r.consistency.refusalsVisible !== false || r.unsettled === 0 || r.consistency.checkedBy === 'none') return '';
  const why = r.consistency.checkedBy === 'ledger-audit' ? ' (no GET /wallet/refusals)' : '';
  return ` · settlement refusals not visible${why}: late rejections count as unsettled`;
}

/**
 * Only this machine: 127.0.0.0/8, ::1 or localhost. Load and failure traffic never goes to
 * another host from here. `flag` names the flag in the messages: --target, or --wallet.
 */
export function loopbackOrigin(target: string, flag: '--target' | '--wallet' = '--target'): string {
  // --target also takes local and kafka:// (parsed before this); --wallet is an HTTP wallet only.
  const kinds = flag === '--target' ? '"local", an http:// URL such as http://127.0.0.1:8080 or kafka://HOST:PORT' : 'an http:// URL such as http://127.0.0.1:8080';
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    // WHATWG's parser refuses a port past 65535 as it refuses nonsense: name the port.
    const port = /^http:\/\/(?:\[[^\]]*\]|[^/:@]*):(\d+)(?:[/?#]|$)/i.exec(target)?.[1];
    if (port !== undefined) throw usageError('E_BAD_TARGET', `${flag} has port ${port}, outside 1 to 65535: got "${target}"`);
    throw usageError('E_BAD_TARGET', `${flag} must be ${kinds}, got "${target}"`);
  }
  if (url.protocol !== 'http:') throw usageError('E_BAD_TARGET', `${flag} must be ${flag === '--target' ? '"local", an http:// URL or kafka://HOST:PORT' : 'an http:// URL'}, got "${target}"`);
  const host = url.hostname;
  if (!(host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host))) {
    throw usageError('E_TARGET_NOT_LOOPBACK', `refusing to send load to ${host} (${flag}): only this machine's loopback addresses are allowed`, 'use 127.0.0.1, ::1 or localhost');
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') throw usageError('E_BAD_TARGET', `${flag} is the wallet's origin (http://host:port), without a path: got "${target}"`);
  // Port 0 is no port to connect to (it would only fail later as "cannot reach").
  if (url.port === '0') throw usageError('E_BAD_TARGET', `${flag} has port 0, outside 1 to 65535: got "${target}"`);
  // walletstorm sends no credentials: a user:password in the URL would be dropped without a word.
  if (url.username !== '' || url.password !== '') throw usageError('E_BAD_TARGET', `${flag} carries credentials (user:password@), which walletstorm does not send: got "${target.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')}"`, 'give the origin alone, http://host:port; a wallet that needs authentication needs an adapter in front of it (docs/protocol.md)');
  return url.origin;
}

/** "a, b and c". */
function andList(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
