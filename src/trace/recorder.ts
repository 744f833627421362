import { VerdictSink } from '../check/verdicts.js';
import type { MoneyRequest, WalletRequest } from '../domain/operations.js';
import type { WalletProbe } from '../models/probe.js';
import type { DropReason } from '../ports/transport.js';
import type { WalletResponse } from '../domain/results.js';
import type { OpInfo, Outcome, ProviderObserver } from '../provider/observer.js';
import type { RefusedEvent, TracedAnswer, TracedOp, TraceEvent } from './model.js';

/**
 * Operations one player's trace keeps at most. A hot player of a long run opens hundreds of
 * thousands; past the bound they are counted, not kept (a trace prints a window of lines anyway).
 */
export const MAX_OPS_PER_PLAYER = 50_000;

/** A traced operation while the run goes on: its txId and attempts are known as they are sent. */
class OpRecord implements TracedOp {
  txId = '';
  attempts = 0;
  /** Every txId an attempt carried (one, unless retries mint new ones): a ledger entry must carry one of them. */
  readonly sentTxIds: string[] = [];
  /** Per attempt (from 1), the index of its 'sent' event among the player's: a transport may drop it later. */
  readonly sentEvents: number[] = [];

  constructor(
    readonly opId: number,
    readonly kind: TracedOp['kind'],
    readonly amount: number,
    readonly player: PlayerRecord,
    readonly betTxId: string | undefined,
    readonly betOpTxId: string | undefined,
  ) {}
}

/** A settlement the wallet refused, as its probe reported it; the ledger side adds the balance (see ledger-side.ts). */
export type RecordedRefusal = Omit<RefusedEvent, 'balance'>;

class PlayerRecord {
  readonly events: TraceEvent[] = [];
  /** In the order the wallet reported them, which is the order it refused them in. */
  readonly refusals: RecordedRefusal[] = [];
  readonly ops: OpRecord[] = [];
  opsNotRecorded = 0;
  /** The id of the first operation not kept (ids grow as operations open): Infinity while every one is. */
  firstUnrecordedOpId = Infinity;

  constructor(readonly playerId: string) {}
}

/** What the recorder kept of one player: the provider's side of the story. */
export interface ProviderSide {
  readonly playerId: string;
  readonly events: readonly TraceEvent[];
  readonly ops: readonly (TracedOp & { readonly sentTxIds: readonly string[] })[];
  readonly opsNotRecorded: number;
  readonly firstUnrecordedOpId: number;
  /** The wallet's refusals of the player's settlements, in the order it refused them. */
  readonly refusals: readonly RecordedRefusal[];
}

/**
 * Records, for a few chosen players, every step of their logical operations as the provider
 * reports them to the checker, and the answers the network lost. Everything else is passed by
 * at the cost of one map lookup: the players are chosen when an operation opens.
 */
export class TraceRecorder {
  /** Where the checker puts what it judged wrong about these players, when it audits the run. */
  readonly verdicts: VerdictSink;
  private readonly players: Map<string, PlayerRecord>;
  private readonly ops = new Map<number, OpRecord>();

  constructor(playerIds: readonly string[]) {
    this.players = new Map(playerIds.map((id) => [id, new PlayerRecord(id)]));
    this.verdicts = new VerdictSink(playerIds);
  }

  opened(opId: number, info: OpInfo): void {
    const player = this.players.get(info.playerId);
    if (player === undefined) return;
    if (player.ops.length >= MAX_OPS_PER_PLAYER) {
      player.opsNotRecorded++;
      player.firstUnrecordedOpId = Math.min(player.firstUnrecordedOpId, opId);
      return;
    }
    const betOpTxId = info.betOp === undefined ? undefined : this.ops.get(info.betOp)?.txId;
    const op = new OpRecord(opId, info.kind, info.amount, player, info.betTxId ?? betOpTxId, betOpTxId);
    this.ops.set(opId, op);
    player.ops.push(op);
    player.events.push({ type: 'opened', atMs: info.intendedAtMs, op });
  }

  attemptSent(opId: number, txId: string, attempt: number, sentAtMs: number): void {
    const op = this.ops.get(opId);
    if (op === undefined) return;
    if (op.txId === '') op.txId = txId;
    const newTxId = !op.sentTxIds.includes(txId);
    if (newTxId) op.sentTxIds.push(txId);
    op.attempts = attempt;
    op.sentEvents[attempt - 1] = op.player.events.length;
    op.player.events.push({ type: 'sent', atMs: sentAtMs, op, attempt, txId, newTxId: newTxId && attempt > 1 });
  }

  answered(opId: number, response: WalletResponse, nowMs: number): void {
    const op = this.ops.get(opId);
    op?.player.events.push({ type: 'answered', atMs: nowMs, op, attempt: op.attempts, answer: answerOf(response) });
  }

  timedOut(opId: number, nowMs: number): void {
    const op = this.ops.get(opId);
    op?.player.events.push({ type: 'timed-out', atMs: nowMs, op, attempt: op.attempts });
  }

  lateAnswer(opId: number, attempt: number, response: WalletResponse, nowMs: number): void {
    const op = this.ops.get(opId);
    op?.player.events.push({ type: 'late', atMs: nowMs, op, attempt, answer: answerOf(response) });
  }

  finished(opId: number, outcome: Outcome, nowMs: number): void {
    const op = this.ops.get(opId);
    op?.player.events.push({ type: 'finished', atMs: nowMs, op, outcome, attempts: op.attempts });
  }

  /**
   * The network lost the wallet's answer to an attempt (the responseLoss fault): the wallet may
   * have applied what the provider will now time out on and retry. `attempt` is the token the
   * provider sent the attempt with, which is its attempt number.
   */
  readonly answerLost = (request: WalletRequest, attempt: number, response: WalletResponse, nowMs: number): void => {
    if (request.kind === 'balance' || request.opRef === undefined) return;
    const op = this.ops.get(request.opRef);
    op?.player.events.push({ type: 'answer-lost', atMs: nowMs, op, attempt, answer: answerOf(response) });
  };

  /**
   * The transport never sent an attempt the provider had counted as sent (`attempt`: the token
   * it was handed): its line says so instead, at the time it was asked for.
   */
  readonly attemptDropped = (request: WalletRequest, attempt: number, why: DropReason, nowMs: number): void => {
    if (request.kind === 'balance' || request.opRef === undefined) return;
    const op = this.ops.get(request.opRef);
    const at = op?.sentEvents[attempt - 1];
    if (op === undefined || at === undefined) return;
    const sent = op.player.events[at]!;
    if (sent.type !== 'sent') return;
    op.player.events[at] = { type: 'dropped', atMs: sent.atMs, op, attempt, txId: sent.txId, why, droppedAtMs: nowMs };
  };

  /**
   * The wallet refused a settlement of a traced operation, when it applied it from its log (see
   * probeFor). A replay refused nothing new: its first application was reported already.
   */
  settled(request: MoneyRequest, response: WalletResponse, nowMs: number): void {
    if (response.code === 'OK' || response.replay === true) return;
    const op = this.ops.get(request.opRef ?? -1);
    op?.player.refusals.push({ type: 'refused', atMs: nowMs, op, txId: request.txId ?? op.txId, code: response.code });
  }

  /**
   * The provider's side of each traced player, in the order they were asked for, with the
   * wallet's refusals so far: a copy of them, as a real run interrupted while reading the wallet
   * builds its trace at once and the reading, left to finish, may report more.
   */
  providerSides(): ProviderSide[] {
    return [...this.players.values()].map((p) => ({
      playerId: p.playerId,
      events: p.events,
      ops: p.ops,
      opsNotRecorded: p.opsNotRecorded,
      firstUnrecordedOpId: p.firstUnrecordedOpId,
      refusals: [...p.refusals],
    }));
  }
}

function answerOf(response: WalletResponse): TracedAnswer {
  const answer = { code: response.code, replay: response.replay === true, accepted: response.accepted === true };
  return response.balance === undefined ? answer : { ...answer, balance: response.balance };
}

/**
 * The provider's observer with a trace beside the checker: every call goes to the checker as
 * before, then to the recorder. Only a traced run is wired through it, so an untraced run pays
 * nothing and its report cannot change.
 */
export class TracingObserver implements ProviderObserver {
  constructor(
    private readonly checker: ProviderObserver,
    private readonly recorder: TraceRecorder,
  ) {}

  opened(info: OpInfo): number {
    const opId = this.checker.opened(info);
    this.recorder.opened(opId, info);
    return opId;
  }

  attemptSent(opId: number, txId: string, attempt: number, sentAtMs: number): void {
    this.checker.attemptSent(opId, txId, attempt, sentAtMs);
    this.recorder.attemptSent(opId, txId, attempt, sentAtMs);
  }

  answered(opId: number, response: WalletResponse, sentAtMs: number, nowMs: number): void {
    this.checker.answered(opId, response, sentAtMs, nowMs);
    this.recorder.answered(opId, response, nowMs);
  }

  timedOut(opId: number, nowMs: number): void {
    this.checker.timedOut(opId, nowMs);
    this.recorder.timedOut(opId, nowMs);
  }

  lateAnswer(opId: number, attempt: number, response: WalletResponse, nowMs: number): void {
    this.checker.lateAnswer(opId, attempt, response, nowMs);
    this.recorder.lateAnswer(opId, attempt, response, nowMs);
  }

  finished(opId: number, outcome: Outcome, response: WalletResponse | undefined, nowMs: number): void {
    this.checker.finished(opId, outcome, response, nowMs);
    this.recorder.finished(opId, outcome, nowMs);
  }
}

/** The wallet's probe with a trace beside the checker: settlements go to the recorder too (see TraceRecorder.settled). */
class TracingProbe implements WalletProbe {
  constructor(
    private readonly checker: WalletProbe,
    private readonly recorder: TraceRecorder,
  ) {}

  settled(request: MoneyRequest, response: WalletResponse, nowMs: number): void {
    this.checker.settled(request, response, nowMs);
    this.recorder.settled(request, response, nowMs);
  }

  queueDepth(depth: number, nowMs: number): void {
    this.checker.queueDepth(depth, nowMs);
  }

  logLag(lagMs: number, backlogRecords: number, nowMs: number): void {
    this.checker.logLag(lagMs, backlogRecords, nowMs);
  }

  idle(nowMs: number): void {
    this.checker.idle(nowMs);
  }
}

/**
 * The wallet's probe for a run: the checker alone, or, in a traced run of a wallet that settles
 * later (from its log: event-driven, hybrid, anything over Kafka), the checker with the recorder
 * beside it, so that a refused settlement gets the wallet's line. A request-driven wallet reports
 * its refusals as it answers them, and the provider's line shows the answer already.
 */
export function probeFor(checker: WalletProbe, recorder: TraceRecorder | undefined, settlesLater: boolean): WalletProbe {
  return recorder === undefined || !settlesLater ? checker : new TracingProbe(checker, recorder);
}

/**
 * The provider's observer for a run: the checker alone, or, when players are traced, the checker
 * with a recorder beside it. Both worlds wire it so, and an untraced run exactly as before.
 */
export function observerFor(checker: ProviderObserver, players: readonly string[] | undefined): { observer: ProviderObserver; recorder?: TraceRecorder } {
  if (players === undefined || players.length === 0) return { observer: checker };
  const recorder = new TraceRecorder(players);
  return { observer: new TracingObserver(checker, recorder), recorder };
}
