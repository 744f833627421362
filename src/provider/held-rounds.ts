/**
 * What a round decided when it started, and what its win needs of its bet. Once the bet is
 * acknowledged the round alone waits out the game (the bet's call and request are garbage by
 * then): under overload thousands of rounds are being played at once.
 */
export class Round {
  /** The txId of the bet's acknowledged attempt, that the win names; '' until then. */
  betTxId = '';

  constructor(
    readonly n: number,
    readonly playerId: string,
    readonly roundId: string,
    readonly amount: number,
    readonly winAmount: number,
    readonly playMs: number,
    readonly phase: number,
    /** The bet's logical operation (the checker's id). */
    readonly betOp: number,
  ) {}
}

/**
 * A held first attempt as it leaves HeldRounds: a round's bet, or the win that closes it (its
 * round's betTxId set), its logical operation, and when it was meant to go out.
 */
export interface HeldAttempt {
  readonly round: Round;
  readonly isWin: boolean;
  readonly op: number;
  readonly atMs: number;
}

const N = 0;
const AMOUNT = 1;
const WIN_AMOUNT = 2;
const PLAY_MS = 3;
const PHASE = 4;
const OP = 5;
const AT_MS = 6;
const BET_OP = 7;
const NUMBERS = 8;

const PLAYER_ID = 0;
const ROUND_ID = 1;
const BET_TX_ID = 2;
const REFS = 3;

/**
 * First attempts the provider has opened but not sent, because every connection of the
 * transport was busy (see TransportFlow), oldest first: new rounds' bets, and the wins of rounds
 * whose game ended meanwhile. A held attempt is numbers in a ring, and references to strings
 * that live anyway (its player's id; for a win, its round's id and its bet's txId): under
 * overload thousands wait here, and as objects each would be copied by every young-generation
 * collection it outlived. Its objects are made when it leaves the ring to be sent.
 */
export class HeldRounds {
  private numbers = new Float64Array(256 * NUMBERS);
  private refs: (string | undefined)[] = new Array<string | undefined>(256 * REFS).fill(undefined);
  private mask = 255;
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  /** When the oldest held attempt was meant to go out; Infinity when none is held. */
  oldestAtMs(): number {
    return this.tail === this.head ? Infinity : this.numbers[(this.head & this.mask) * NUMBERS + AT_MS]!;
  }

  /** Holds a new round's bet, its operation `betOp` (its fields one by one: no object for it while it waits). */
  pushBet(n: number, playerId: string, amount: number, winAmount: number, playMs: number, phase: number, betOp: number, atMs: number): void {
    this.push(n, playerId, undefined, undefined, amount, winAmount, playMs, phase, betOp, betOp, atMs);
  }

  /** Holds the win that closes `round` (its bet acknowledged), operation `op`. */
  pushWin(round: Round, op: number, atMs: number): void {
    this.push(round.n, round.playerId, round.roundId, round.betTxId, round.amount, round.winAmount, round.playMs, round.phase, round.betOp, op, atMs);
  }

  /** Takes the oldest held attempt out (only when length > 0). */
  shift(): HeldAttempt {
    const i = this.head & this.mask;
    const o = i * NUMBERS;
    const r = i * REFS;
    const x = this.numbers;
    const n = x[o + N]!;
    const roundId = this.refs[r + ROUND_ID] ?? `r${n}`;
    const round = new Round(n, this.refs[r + PLAYER_ID]!, roundId, x[o + AMOUNT]!, x[o + WIN_AMOUNT]!, x[o + PLAY_MS]!, x[o + PHASE]!, x[o + BET_OP]!);
    const betTxId = this.refs[r + BET_TX_ID];
    if (betTxId !== undefined) round.betTxId = betTxId;
    for (let f = 0; f < REFS; f++) this.refs[r + f] = undefined;
    this.head++;
    return { round, isWin: betTxId !== undefined, op: x[o + OP]!, atMs: x[o + AT_MS]! };
  }

  private push(
    n: number,
    playerId: string,
    roundId: string | undefined,
    betTxId: string | undefined,
    amount: number,
    winAmount: number,
    playMs: number,
    phase: number,
    betOp: number,
    op: number,
    atMs: number,
  ): void {
    if (this.tail - this.head > this.mask) this.grow();
    const i = this.tail & this.mask;
    const o = i * NUMBERS;
    const r = i * REFS;
    const x = this.numbers;
    x[o + N] = n;
    x[o + AMOUNT] = amount;
    x[o + WIN_AMOUNT] = winAmount;
    x[o + PLAY_MS] = playMs;
    x[o + PHASE] = phase;
    x[o + BET_OP] = betOp;
    x[o + OP] = op;
    x[o + AT_MS] = atMs;
    this.refs[r + PLAYER_ID] = playerId;
    this.refs[r + ROUND_ID] = roundId;
    this.refs[r + BET_TX_ID] = betTxId;
    this.tail++;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const numbers = new Float64Array(cap * NUMBERS);
    const refs = new Array<string | undefined>(cap * REFS).fill(undefined);
    for (let p = this.head; p < this.tail; p++) {
      const from = p & this.mask;
      const to = p & (cap - 1);
      numbers.set(this.numbers.subarray(from * NUMBERS, from * NUMBERS + NUMBERS), to * NUMBERS);
      for (let f = 0; f < REFS; f++) refs[to * REFS + f] = this.refs[from * REFS + f];
    }
    this.numbers = numbers;
    this.refs = refs;
    this.mask = cap - 1;
  }
}
