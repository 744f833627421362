import type { ChalkInstance } from 'chalk';
import type { BalanceVerdict, Verdict } from '../check/verdicts.js';
import type { DropReason } from '../ports/transport.js';
import type { Outcome } from '../provider/observer.js';
import type { AppliedEvent, RefusedEvent, TracedAnswer, TracedOp, TraceEvent } from './model.js';

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

/**
 * One event of a player's story in words, coloured by what it means to a reader looking for a
 * problem, with the checker's verdicts about it (`playerId`: whose story it is).
 */
export function eventText(e: TraceEvent, playerId: string, c: ChalkInstance): EventText {
  const { side, text } = plainText(e, c);
  const marks = (e.verdicts ?? []).map((v) => `  ${c.red.bold(`◀ ${verdictText(v, e, playerId)}`)}`);
  return { side, text: text + marks.join('') };
}

function plainText(e: TraceEvent, c: ChalkInstance): EventText {
  switch (e.type) {
    case 'opened':
      return { side: 'provider', text: `${e.op.kind} ${name(e.op)} opened${openedWhat(e.op)}` };
    case 'sent':
      return { side: 'provider', text: `${name(e.op)} attempt ${e.attempt} sent${sentHow(e.attempt, e.txId, e.newTxId, c)}` };
    case 'dropped':
      return { side: 'provider', text: `${name(e.op)} attempt ${e.attempt} ${c.yellow('never sent')}: ${DROPPED[e.why]}` };
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
      return { side: 'wallet', text: appliedText(e) };
    case 'refused':
      return { side: 'wallet', text: refusedText(e, c) };
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

/** Why the load generator never sent an attempt. */
const DROPPED: Readonly<Record<DropReason, string>> = {
  'waited-past-timeout': 'it waited for a free connection until it had timed out',
  'wait-list-full': 'every connection was busy and the wait list full',
  stopped: 'the load generator had stopped sending',
};

function appliedText(e: AppliedEvent): string {
  const own = e.op === undefined || e.txId === e.op.txId ? e.txId : `${e.txId} (of ${e.op.txId})`;
  const what = `${own} ${e.kind} ${signed(e.delta)} applied`;
  const balance = `balance ${amount(e.balanceAfter)}`;
  if (e.duplicate) return `${what} again, ${balance}`;
  if (e.nth > 1) return `${what} again, ${balance} (a repeat that moved nothing)`;
  return `${what}, ${balance}`;
}

/** As an entry would read, with what it would have moved, and the balance it left as it was. */
function refusedText(e: RefusedEvent, c: ChalkInstance): string {
  const own = e.txId === e.op.txId ? e.txId : `${e.txId} (of ${e.op.txId})`;
  const delta = e.op.kind === 'bet' ? -e.op.amount : e.op.amount;
  return `${own} ${e.op.kind} ${signed(delta)} ${c.red(`refused ${e.code}`)}, balance ${amount(e.balance)}`;
}

/**
 * A verdict of the checker on the line it is about, in the trace's own words (from the
 * verdict's data, never from the report's problem lines). `e`: the line; `playerId`: whose story.
 */
function verdictText(v: Verdict, e: TraceEvent, playerId: string): string {
  const op = e.op;
  switch (v.kind) {
    case 'duplicate': {
      // Another player's operation booked to this one has no name in this story: the entry's own.
      const what = op !== undefined ? `${op.kind} ${op.txId}` : e.type === 'applied' ? `${e.kind} ${e.txId}` : 'it';
      return `DUPLICATE: ${what} applied a ${ordinal(v.nth)} time`;
    }
    case 'unexpected':
      return 'UNEXPECTED: no attempt sent it';
    case 'entry-mismatch':
      if (v.bookedTo !== v.sentFor) return playerId === v.bookedTo ? `MISMATCH: sent for ${v.sentFor}, booked to ${playerId}` : `MISMATCH: its entry was booked to ${v.bookedTo}`;
      return `MISMATCH: ${amount(v.sentMinorUnits)} was sent, the entry moved ${signed(v.deltaMinorUnits)}`;
    case 'answer-mismatch':
      return 'MISMATCH: the wallet knew its txId with other content';
    case 'refused-applied':
      return `REFUSED BUT APPLIED: the wallet refused it ${v.code}, yet its audit lists it`;
    case 'below-zero':
      return `BELOW ZERO: the first entry to take the balance under 0`;
    case 'lost':
      return v.accepted ? 'LOST: accepted, but the wallet, with nothing left to apply, neither applied nor refused it' : 'LOST: acknowledged, but not in the ledger';
    case 'unsettled':
      return 'UNSETTLED: accepted, but neither applied nor refused when the run ended';
    case 'rejected-late':
      return `${v.opKind === 'bet' ? 'LATE REJECTION' : 'FAILED EVENT'}: accepted, then refused ${v.code} when applied`;
    case 'unrefunded':
      return `UNREFUNDED: ${unrefundedText(v, op)}`;
    case 'balance-mismatch':
    case 'held':
    case 'out-of-bounds':
    case 'negative':
      return balanceVerdictText(v);
  }
}

function unrefundedText(v: Extract<Verdict, { kind: 'unrefunded' }>, op: TracedOp | undefined): string {
  const bet = `bet ${op?.betOpTxId ?? op?.betTxId ?? '?'}`;
  if (v.wonMinorUnits !== undefined) return `${bet} was settled by a win too (credited ${amount(v.wonMinorUnits)}); its round moved ${signed(v.movedMinorUnits)}`;
  return v.movedMinorUnits < 0 ? `${bet} still took ${amount(-v.movedMinorUnits)}` : `${bet} was refunded ${amount(v.movedMinorUnits)} more than it took`;
}

/** A verdict about a player's balance as a whole: printed under the headline, as no line of the story is about it. */
export function balanceVerdictText(v: BalanceVerdict): string {
  switch (v.kind) {
    case 'balance-mismatch':
      return `BALANCE: the wallet says ${amount(v.balance)}, its entries add up to ${amount(v.entriesSum)}`;
    case 'held':
      return `HELD: ${amount(v.heldMinorUnits)} ${v.heldMinorUnits > 0 ? 'still held' : 'held below zero (released twice)'} with nothing left to settle; it can spend ${amount(v.balance - v.heldMinorUnits)} of ${amount(v.balance)}`;
    case 'out-of-bounds':
      return `OUT OF BOUNDS: the balance ends at ${amount(v.balance)}, outside what the acknowledged operations allow [${amount(v.lower)}, ${amount(v.upper)}]`;
    case 'negative':
      return `NEGATIVE: the balance ends at ${amount(v.balance)}`;
  }
}
