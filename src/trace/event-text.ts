import type { ChalkInstance } from 'chalk';
import type { Outcome } from '../provider/observer.js';
import type { AppliedEvent, TracedAnswer, TracedOp, TraceEvent } from './model.js';

/** Who a line is about: the provider's view, the network between, or the wallet's ledger. */
export type Side = 'provider' | 'network' | 'wallet';

export interface EventText {
  readonly side: Side;
  readonly text: string;
}

const amount = (n: number) => n.toLocaleString('en-US');
const signed = (n: number) => `${n > 0 ? '+' : ''}${amount(n)}`;
const ordinal = (n: number) => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

/** An operation by the txId of its first attempt, as the checker's problem lines name it. */
const name = (op: TracedOp) => (op.txId === '' ? `${op.kind} (never sent)` : op.txId);

/** One event of a player's story in words, coloured by what it means to a reader looking for a problem. */
export function eventText(e: TraceEvent, c: ChalkInstance): EventText {
  switch (e.type) {
    case 'opened':
      return { side: 'provider', text: `${e.op.kind} ${name(e.op)} opened${openedWhat(e.op)}` };
    case 'sent':
      return { side: 'provider', text: `${name(e.op)} attempt ${e.attempt} sent${sentHow(e.attempt, e.txId, e.newTxId, c)}` };
    case 'answered':
      return { side: 'provider', text: `${name(e.op)} attempt ${e.attempt} answered ${answerText(e.answer, c)}` };
    case 'timed-out':
      return { side: 'provider', text: `${name(e.op)} attempt ${e.attempt} ${c.yellow('timed out')}: no answer in time` };
    case 'late':
      return { side: 'provider', text: `${name(e.op)} attempt ${e.attempt} answered ${answerText(e.answer, c)}, ${c.yellow('too late')}: it had timed out` };
    case 'answer-lost':
      return { side: 'network', text: `${name(e.op)} answer to attempt ${e.attempt} ${c.yellow('lost')} on its way back: ${answerText(e.answer, c)}` };
    case 'finished':
      return { side: 'provider', text: `${name(e.op)} ${e.op.kind} ended ${outcomeText(e.outcome, e.attempts, c)}` };
    case 'applied':
      return { side: 'wallet', text: appliedText(e, c) };
  }
}

function openedWhat(op: TracedOp): string {
  // A rollback under the txId of a retry leaves the bet's first attempt alone: say which txId it names.
  const which = op.betOpTxId === undefined || op.betOpTxId === op.betTxId ? '' : ` (of ${op.betOpTxId})`;
  const of = op.betTxId === undefined ? '' : ` for bet ${op.betTxId}${which}`;
  return op.kind === 'rollback' ? `${of} (${amount(op.amount)})` : `: ${amount(op.amount)}${of}`;
}

function sentHow(attempt: number, txId: string, newTxId: boolean, c: ChalkInstance): string {
  if (newTxId) return ` as ${c.yellow(txId)}, a new txId: the wallet cannot know it is a retry`;
  return attempt > 1 ? ' again, same txId' : '';
}

function answerText(a: TracedAnswer, c: ChalkInstance): string {
  const code = a.code === 'OK' ? c.green(a.code) : c.red(a.code);
  const balance = a.balance === undefined ? '' : `, balance ${amount(a.balance)}`;
  const notes = [...(a.replay ? [c.green('replay: known txId, nothing applied again')] : []), ...(a.accepted ? ['accepted: applied later'] : [])];
  return `${code}${balance}${notes.length === 0 ? '' : ` (${notes.join('; ')})`}`;
}

function outcomeText(outcome: Outcome, attempts: number, c: ChalkInstance): string {
  const after = `after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
  if (outcome === 'ok') return `${c.green('ok')} ${after}`;
  if (outcome === 'failed') return `${c.red('failed')} ${after}`;
  return `${c.yellow('indeterminate')} ${after}: applied or not, the provider cannot tell`;
}

function appliedText(e: AppliedEvent, c: ChalkInstance): string {
  const own = e.op === undefined || e.txId === e.op.txId ? e.txId : `${e.txId} (of ${e.op.txId})`;
  const what = `${own} ${e.kind} ${signed(e.delta)} applied`;
  const balance = `balance ${amount(e.balanceAfter)}`;
  if (e.op === undefined) return `${what}, ${balance}  ${c.red.bold('◀ UNEXPECTED: no attempt of this player sent it')}`;
  if (e.duplicate) return `${what} again, ${balance}  ${c.red.bold(`◀ DUPLICATE: ${e.op.kind} ${e.op.txId} applied a ${ordinal(e.nth)} time`)}`;
  if (e.nth > 1) return `${what} again, ${balance} (a repeat that moved nothing)`;
  return `${what}, ${balance}`;
}
