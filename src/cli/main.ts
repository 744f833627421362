import { Command, CommanderError, Option } from 'commander';
import { EXIT, WalletstormError } from '../errors.js';
import { packageVersion } from '../util/package-root.js';
import { scenariosCommand } from './scenarios-command.js';
import { simulateCommand, type SimulateOptions } from './simulate-command.js';

const collect = (value: string, previous: string[]) => [...previous, value];

function colorWanted(flag: boolean | undefined): boolean {
  if (flag === false || process.env.NO_COLOR !== undefined) return false;
  return process.stdout.isTTY === true || process.env.FORCE_COLOR !== undefined;
}

function program(setExit: (code: number) => void): Command {
  const p = new Command('walletstorm')
    .description('Simulate and load-test iGaming wallets: request-driven, event-driven and hybrid.')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  const simOptions = (cmd: Command) =>
    cmd
      .option('--seed <n>', 'seed for every random draw (default: the scenario’s)')
      .option('--set <path=value>', 'override a scenario field, e.g. wallet.idempotency=off (repeatable)', collect, [])
      .option('--json <file>', 'write the full JSON report to this file')
      .option('--no-color', 'plain text output');

  simOptions(
    p
      .command('simulate')
      .description('run a scenario in the deterministic simulator')
      .argument('<scenario>', 'scenario file, or the name of a shipped one')
      .addOption(new Option('--model <name>', 'request, event, a comma list, or all').default('all')),
  ).action(async (scenario: string, opts: SimulateOptions & { color: boolean }) => {
    setExit(await simulateCommand(scenario, { ...opts, color: colorWanted(opts.color) }, 'simulate'));
  });

  simOptions(
    p
      .command('compare')
      .description('run every model on the same traffic and seed, side by side')
      .argument('<scenario>', 'scenario file, or the name of a shipped one'),
  ).action(async (scenario: string, opts: SimulateOptions & { color: boolean }) => {
    setExit(await simulateCommand(scenario, { ...opts, color: colorWanted(opts.color) }, 'compare'));
  });

  p.command('scenarios')
    .description('list the shipped scenarios')
    .action(() => setExit(scenariosCommand((t) => process.stdout.write(t))));
  return p;
}

/** Runs the CLI and returns the exit code; never calls process.exit, so output is flushed. */
export async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  try {
    await program((c) => (code = c)).parseAsync([...argv]);
    return code;
  } catch (error) {
    return handleError(error);
  }
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
