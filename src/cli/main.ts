import { Command, CommanderError, Help, Option } from 'commander';
import { EXIT, WalletstormError } from '../errors.js';
import { packageVersion } from '../util/package-root.js';
import { MODEL_NAMES } from '../models/config.js';
import { loadCommand, type LoadOptions } from './load-command.js';
import { scenariosCommand } from './scenarios-command.js';
import { swarmCommand, type SwarmOptions } from './swarm-command.js';
import { serveCommand, type ServeOptions } from './serve-command.js';
import { simulateCommand, type SimulateOptions } from './simulate-command.js';
import { diffCommand, type DiffOptions } from './diff-command.js';
import { mergeCommand, type MergeOptions } from './merge-command.js';
import { addReportFlags, consoleStream } from './report-output.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** Set when the JSON report goes to standard output (--json -): no other text may go there. */
let reportOnStdout = false;

/** Where the command prints its text (consoleStream), remembered for outputFailure. */
function textStream(opts: { json?: string }): NodeJS.WriteStream {
  const stream = consoleStream(opts);
  if (stream !== process.stdout) reportOnStdout = true;
  return stream;
}

/** Colour on the stream the command prints its text to (standard error with --json -). */
function colorWanted(flag: boolean | undefined, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (flag === false || process.env.NO_COLOR !== undefined) return false;
  return stream.isTTY === true || process.env.FORCE_COLOR !== undefined;
}

function program(setExit: (code: number) => void): Command {
  const p = new Command('walletstorm')
    .description('Simulate and load-test iGaming wallets: request-driven, event-driven and hybrid.')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    // A repeatable flag starts from an empty list, which "(default: [])" only echoes; beside
    // --max-regression's own default (10%) it read as a contradiction. Set before the commands,
    // which inherit it.
    .configureHelp({
      optionDescription(this: Help, option: Option): string {
        return Help.prototype.optionDescription.call(this, option).replace(/ \(default: \[\]\)$/, '');
      },
    });

  const simOptions = (cmd: Command) =>
    addReportFlags(cmd)
      .option('--seed <n>', 'seed for every random draw (default: the scenario’s)')
      .option('--set <path=value>', 'override a scenario field, e.g. wallet.idempotency=off (repeatable)', collect, [])
      .option('--threshold <expr>', "pass/fail check, e.g. 'p99(ack.bet)<250' or 'duplicates==0' (repeatable)", collect, [])
      .option('--json <file>', 'write the full JSON report to this file (-: to standard output, and the summary to standard error)')
      .option('--no-color', 'plain text output')
      .option('--pace <speed>', 'run time against the wall clock: 1x (real time), 10x, or max', 'max')
      .option('--no-ui', 'no live dashboard, even on a terminal (progress lines on stderr instead)')
      .option('--trace <playerId>', 'after the report, the story of this player per model: attempts, answers, ledger entries (repeatable, up to 5)', collect, [])
      .option('--trace-limit <lines>', 'with --trace: lines per player and model, from the first problem (default 100; 0: all)');

  simOptions(
    p
      .command('simulate')
      .description('run a scenario in the deterministic simulator')
      .argument('<scenario>', 'scenario file, or the name of a shipped one')
      .addOption(new Option('--model <name>', 'request, event, hybrid, a comma list, or all').default('all')),
  ).action(async (scenario: string, opts: SimulateOptions & { color: boolean }) => {
    setExit(await simulateCommand(scenario, { ...opts, color: colorWanted(opts.color, textStream(opts)) }, 'simulate'));
  });

  simOptions(
    p
      .command('compare')
      .description('run every model on the same traffic and seed, side by side')
      .argument('<scenario>', 'scenario file, or the name of a shipped one'),
  ).action(async (scenario: string, opts: SimulateOptions & { color: boolean }) => {
    setExit(await simulateCommand(scenario, { ...opts, color: colorWanted(opts.color, textStream(opts)) }, 'compare'));
  });

  p.command('serve')
    .description('run the reference wallet over HTTP (docs/protocol.md) until SIGTERM or SIGINT')
    // Not commander's choices: a bad name is then reported with the command's other problems (E_UNKNOWN_MODEL).
    .option('--model <name>', `wallet model: ${MODEL_NAMES.join(', ')}`, 'request')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: a free one)', '8080')
    .option('--scenario <file>', 'scenario whose wallet capacity settings and players to use', 'steady')
    .option('--set <path=value>', 'override a scenario field, e.g. wallet.idempotency=off (repeatable)', collect, [])
    .option('--seed <n>', 'seed for the service-time draws (default: the scenario’s)')
    .option('--no-audit', 'serve no audit endpoint, as a wallet without one (load then checks balances only)')
    .option('--brokers <host:port>', 'event and hybrid: put the log on these Kafka brokers (loopback), e.g. 127.0.0.1:9092')
    .option('--topic-prefix <prefix>', 'with --brokers: put before the topic and group names, to keep runs apart', '')
    .action(async (opts: ServeOptions) => {
      setExit(await serveCommand(opts, (t) => process.stdout.write(t)));
    });

  addReportFlags(p.command('load'))
    .description('run a scenario against a real wallet, over HTTP or on a Kafka broker: the simulator’s provider and checker, real sockets and timers')
    .argument('<scenario>', 'scenario file, or the name of a shipped one')
    .option('--target <url|local>', 'the wallet: http://127.0.0.1:PORT (loopback only), local to start the reference server, or kafka://127.0.0.1:9092 to produce commands to a broker', 'local')
    .option('--wallet <url>', 'with kafka://: the serve --brokers whose audit to read (default: start one, event-driven, on fresh topics)')
    .option('--topic-prefix <prefix>', 'with kafka:// and --wallet: the topic prefix that wallet was started with')
    .option('--model <name>', `with --target local: the wallet model to serve, ${MODEL_NAMES.join(', ')} (default: request)`)
    .option('--duration <s>', 'squeeze or stretch the traffic to this many seconds, keeping its shape')
    .option('--rate-scale <x>', 'multiply every arrival rate by this')
    .option('--connections <n>', 'keep-alive connections to the wallet, over HTTP (default: 64)')
    .option('--segment <k/n>', 'one of n load generators at once on one wallet: drive (and audit) only the k-th slice of the players')
    .option('--seed <n>', 'seed for the traffic (default: the scenario’s)')
    .option('--set <path=value>', 'override a scenario field, e.g. wallet.idempotency=off (repeatable)', collect, [])
    .option('--threshold <expr>', "pass/fail check, e.g. 'p99(ack.bet)<250' or 'duplicates==0' (repeatable)", collect, [])
    .option('--json <file>', 'write the full JSON report to this file (-: to standard output, and the summary to standard error)')
    .option('--no-color', 'plain text output')
    .option('--trace <playerId>', 'after the report, the story of this player: attempts, answers, and the ledger entries the audit endpoint lists (repeatable, up to 5)', collect, [])
    .option('--trace-limit <lines>', 'with --trace: lines per player, from the first problem (default 100; 0: all)')
    .action(async (scenario: string, opts: LoadOptions & { color: boolean }) => {
      const out = textStream(opts);
      const io = { out: (t: string) => out.write(t), tty: out.isTTY === true, err: (t: string) => process.stderr.write(t) };
      setExit(await loadCommand(scenario, { ...opts, color: colorWanted(opts.color, out) }, io));
    });

  p.command('swarm')
    .description('hunt for consistency bugs: many seeds, each drawing its own scenario and faults')
    .option('--seeds <n>', 'how many seeds', '100')
    .option('--from <seed>', 'first seed', '1')
    .option('--model <name>', 'request, event, hybrid, a comma list, or all', 'all')
    // One seed or many: a --seeds or --from beside them would be silently ignored.
    .addOption(new Option('--replay <seed>', 'run one seed and show its full report').conflicts(['seeds', 'from', 'emitScenario']))
    .addOption(new Option('--emit-scenario <seed>', 'print the scenario a seed draws, as YAML for simulate').conflicts(['seeds', 'from', 'model', 'shrink', 'out']))
    .option('--shrink', 'with --replay and one --model: shrink the failing scenario, write it as a file and print the simulate command that replays it')
    .option('--out <file.yaml>', 'with --shrink: where to write the shrunk scenario (default: reports/swarm-SEED-MODEL-shrunk.yaml)')
    .option('--no-color', 'plain text output')
    .action(async (opts: SwarmOptions) => setExit(await swarmCommand({ ...opts, color: colorWanted(opts.color) })));

  p.command('diff')
    .description('compare two JSON reports figure by figure; exit 1 when a figure regressed')
    .argument('<old>', 'the baseline report (JSON)')
    .argument('<new>', 'the report to judge (JSON)')
    .option('--max-regression <allowance>', 'noise allowed before a change counts as a regression: 10% (the default), +2 (absolute, in each figure’s unit), p99(ack.bet)=25%, timeouts=+5 (repeatable)', collect, [])
    .option('--all', 'list every figure, not only those that regressed, improved or are in one report only')
    .option('--no-color', 'plain text output')
    .action((oldFile: string, newFile: string, opts: DiffOptions) => {
      setExit(diffCommand(oldFile, newFile, { ...opts, color: colorWanted(opts.color) }, (t) => process.stdout.write(t)));
    });

  addReportFlags(
    p
      .command('merge')
      .description('add reports of the same scenario from several processes into one: histograms added, counters summed, consistency judged again')
      .argument('<reports...>', 'JSON reports to add up')
      .option('--json <file>', 'write the merged JSON report to this file (-: to standard output, and the summary to standard error)')
      .option('--no-color', 'plain text output'),
  ).action(async (files: string[], opts: MergeOptions) => {
    setExit(await mergeCommand(files, { ...opts, color: colorWanted(opts.color, textStream(opts)) }));
  });

  p.command('scenarios')
    .description('list the shipped scenarios')
    .action(() => setExit(scenariosCommand((t) => process.stdout.write(t))));
  return p;
}

let stdoutGuarded = false;

/** Set when standard output or error failed otherwise than by its reader leaving: the command then exits 3. */
let outputFailed = false;

/**
 * Standard output (or error) read by a reader that left (`walletstorm compare … | head`, `2>&1 |
 * head`, a `grep -m1` waiting for serve's first line): what is written from then on is lost, as it
 * would be to a terminal closed, but the run goes on, writes its report files and keeps its exit
 * code. Unhandled, the EPIPE killed the process with a stack trace and exit 1, which reads as a
 * failed check. Any other failure (a full disk, `> /dev/full`, EIO) is the output's, not the
 * reader's choice, and so is losing the JSON report of --json -: see outputFailure.
 */
function guardStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  const streams = [
    [process.stdout, 'standard output', process.stderr],
    [process.stderr, 'standard error', process.stdout],
  ] as const;
  for (const [stream, name, other] of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      // A reader leaving is its choice, but not when standard output carries the JSON report
      // (--json -): the run's only report is then lost, and a pipeline must not read exit 0.
      if (error.code !== 'EPIPE' || (stream === process.stdout && reportOnStdout)) outputFailure(name, error, other);
    });
  }
}

/**
 * Output that could not be written ends the command with exit 3, the run could not complete (as
 * E_REPORT_WRITE for a report file), and one line on the other stream if it still works. Thrown
 * from the stream's error event, it was a stack trace and exit 1, read as a failed check. The
 * command still runs to its end, so that the report files it was asked for are written; every
 * later write to the failed stream fails again (Node keeps it open) and is not reported again.
 */
function outputFailure(name: string, error: NodeJS.ErrnoException, other: NodeJS.WriteStream): void {
  if (outputFailed) return;
  outputFailed = true;
  // Also here: the failed write may be the command's last, after main returned its code.
  process.exitCode = EXIT.unreachable;
  // Not into the JSON report on standard output (--json -): a pipe would read it as broken JSON.
  if (other === process.stdout && reportOnStdout) return;
  const why = error.code === undefined ? error.message : `${error.code}: ${error.message.replace(/^\w+: /, '').replace(/, write$/, '')}`;
  const lost = other === process.stderr && reportOnStdout ? 'the JSON report (--json -) is lost' : 'the rest of its text is lost, report files are still written';
  other.write(`walletstorm: could not write to ${name} (${why}); ${lost} (E_STDIO_WRITE, exit 3)\n`);
}

/** Runs the CLI and returns the exit code; never calls process.exit, so output is flushed. */
export async function main(argv: readonly string[]): Promise<number> {
  guardStdout();
  let code: number = EXIT.ok;
  try {
    await program((c) => (code = c)).parseAsync([...argv]);
  } catch (error) {
    code = handleError(error);
  }
  return outputFailed ? EXIT.unreachable : code;
}

function handleError(error: unknown): number {
  if (error instanceof CommanderError) {
    const benign = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
    return benign.includes(error.code) ? EXIT.ok : EXIT.invalidInput;
  }
  if (error instanceof WalletstormError) {
    process.stderr.write(`walletstorm: ${error.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    process.stderr.write(`(${error.code}, exit ${error.exitCode})\n`);
    return error.exitCode;
  }
  process.stderr.write(`walletstorm: internal error (a bug, please report it):\n${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.unreachable;
}
