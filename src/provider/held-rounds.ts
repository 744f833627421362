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

/** A held round, as it comes out of HeldRounds: the round, its bet's operation and its intended time. */
export interface HeldRound {
  readonly round: Round;
  readonly betOp: number;
  readonly atMs: number;
}

const N = 0;
const AMOUNT = 1;
const WIN_AMOUNT = 2;
const PLAY_MS = 3;
const PHASE = 4;
const BET_OP = 5;
const AT_MS = 6;
const STRIDE = 7;

/**
 * Rounds the provider has drawn and opened but not sent yet, because every connection of the
 * transport was busy (see TransportFlow), oldest first. A held round is numbers in a ring (and a
 * reference to its player's id, which the population keeps anyway): under overload thousands
 * wait here, and as objects each would be copied by every young-generation collection it
 * outlived. Its objects are made when it leaves the ring to be sent.
 */
export class HeldRounds {
  private numbers = new Float64Array(256 * STRIDE);
  private playerIds: (string | undefined)[] = new Array<string | undefined>(256).fill(undefined);
  private mask = 255;
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  /** The intended time of the oldest held round (only when length > 0). */
  oldestAtMs(): number {
    return this.numbers[(this.head & this.mask) * STRIDE + AT_MS]!;
  }

  /** Holds a round (its fields one by one: no object for it while it waits). */
  push(n: number, playerId: string, amount: number, winAmount: number, playMs: number, phase: number, betOp: number, atMs: number): void {
    if (this.tail - this.head > this.mask) this.grow();
    const i = this.tail & this.mask;
    const o = i * STRIDE;
    const x = this.numbers;
    x[o + N] = n;
    x[o + AMOUNT] = amount;
    x[o + WIN_AMOUNT] = winAmount;
    x[o + PLAY_MS] = playMs;
    x[o + PHASE] = phase;
    x[o + BET_OP] = betOp;
    x[o + AT_MS] = atMs;
    this.playerIds[i] = playerId;
    this.tail++;
  }

  /** Takes the oldest held round out (only when length > 0). */
  shift(): HeldRound {
    const i = this.head & this.mask;
    const o = i * STRIDE;
    const x = this.numbers;
    const n = x[o + N]!;
    const round: Round = { n, playerId: this.playerIds[i]!, roundId: `r${n}`, amount: x[o + AMOUNT]!, winAmount: x[o + WIN_AMOUNT]!, playMs: x[o + PLAY_MS]!, phase: x[o + PHASE]! };
    this.playerIds[i] = undefined;
    this.head++;
    return { round, betOp: x[o + BET_OP]!, atMs: x[o + AT_MS]! };
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const numbers = new Float64Array(cap * STRIDE);
    const playerIds = new Array<string | undefined>(cap).fill(undefined);
    for (let p = this.head; p < this.tail; p++) {
      const from = p & this.mask;
      const to = p & (cap - 1);
      numbers.set(this.numbers.subarray(from * STRIDE, from * STRIDE + STRIDE), to * STRIDE);
      playerIds[to] = this.playerIds[from];
    }
    this.numbers = numbers;
    this.playerIds = playerIds;
    this.mask = cap - 1;
  }
}
