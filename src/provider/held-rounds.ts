/** What a round decided when it started. */
export interface Round {
  readonly n: number;
  readonly playerId: string;
  readonly roundId: string;
  readonly amount: number;
  readonly winAmount: number;
  readonly playMs: number;
  readonly phase: number;
}

/**
 * A held first attempt as it leaves HeldRounds: a round's bet, or the win that closes it (with
 * the txId of the bet it settles), its logical operation, and when it was meant to go out.
 */
export interface HeldAttempt {
  readonly round: Round;
  /** undefined for a bet; for a win, the txId of the bet it settles. */
  readonly betTxId: string | undefined;
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
const NUMBERS = 7;

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

  /** Holds a new round's bet (its fields one by one: no object for it while it waits). */
  pushBet(n: number, playerId: string, amount: number, winAmount: number, playMs: number, phase: number, op: number, atMs: number): void {
    this.push(n, playerId, undefined, undefined, amount, winAmount, playMs, phase, op, atMs);
  }

  /** Holds the win that closes `round`, settling the bet acknowledged under betTxId. */
  pushWin(round: Round, betTxId: string, op: number, atMs: number): void {
    this.push(round.n, round.playerId, round.roundId, betTxId, round.amount, round.winAmount, round.playMs, round.phase, op, atMs);
  }

  /** Takes the oldest held attempt out (only when length > 0). */
  shift(): HeldAttempt {
    const i = this.head & this.mask;
    const o = i * NUMBERS;
    const r = i * REFS;
    const x = this.numbers;
    const n = x[o + N]!;
    const round: Round = {
      n,
      playerId: this.refs[r + PLAYER_ID]!,
      roundId: this.refs[r + ROUND_ID] ?? `r${n}`,
      amount: x[o + AMOUNT]!,
      winAmount: x[o + WIN_AMOUNT]!,
      playMs: x[o + PLAY_MS]!,
      phase: x[o + PHASE]!,
    };
    const betTxId = this.refs[r + BET_TX_ID];
    for (let f = 0; f < REFS; f++) this.refs[r + f] = undefined;
    this.head++;
    return { round, betTxId, op: x[o + OP]!, atMs: x[o + AT_MS]! };
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
