import type { Clock, Timer } from '../../ports/clock.js';

/** A record the wallet sent to the dead-letter topic instead of applying it. */
export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly reason: string;
  /** Where it went. */
  readonly dlq: string;
}

export interface DeadLetterNoticeOptions {
  /** Dead letters shown in full per interval; the rest of the interval's are counted in one line. */
  readonly fullPerInterval?: number;
  readonly intervalMs?: number;
}

/** A reason is the wallet's own text, but a line is a line: control characters escaped, length capped. */
const REASON_CHARS = 200;

/**
 * One stderr line per dead letter for an operator watching `serve --brokers`, rate-limited: the
 * first few of an interval in full (topic, partition, offset, reason), then one line counting the
 * rest when the interval ends, so a flood of bad records costs a few lines every interval, not one
 * each. The interval starts at the first dead letter after a quiet one, so a lone one is shown at once.
 */
export class DeadLetterNotice {
  private readonly fullPerInterval: number;
  private readonly intervalMs: number;
  private shown = 0;
  private unshown = 0;
  private last: DeadLetter | undefined;
  private window: Timer | undefined;

  constructor(
    private readonly clock: Pick<Clock, 'after'>,
    private readonly write: (line: string) => void,
    options: DeadLetterNoticeOptions = {},
  ) {
    this.fullPerInterval = options.fullPerInterval ?? 5;
    this.intervalMs = options.intervalMs ?? 10_000;
  }

  report(letter: DeadLetter): void {
    this.window ??= this.clock.after(this.intervalMs, () => this.endInterval());
    if (this.shown < this.fullPerInterval) {
      this.shown++;
      const more = this.shown === this.fullPerInterval ? `; more within ${this.intervalMs / 1000} s are counted, not shown` : '';
      this.write(`walletstorm serve: dead letter: ${letter.topic} partition ${letter.partition} offset ${letter.offset}: ${printable(letter.reason)} (sent to ${letter.dlq}${more})\n`);
      return;
    }
    this.unshown++;
    this.last = letter;
  }

  /** The count of an interval not ended yet, at shutdown: nothing goes unsaid. */
  flush(): void {
    this.window?.cancel();
    this.endInterval();
  }

  private endInterval(): void {
    this.window = undefined;
    this.shown = 0;
    if (this.unshown === 0) return;
    const last = this.last!;
    const n = this.unshown;
    this.unshown = 0;
    this.write(
      `walletstorm serve: ${n.toLocaleString('en-US')} more dead letter${n === 1 ? '' : 's'} not shown (the last: ${last.topic} partition ${last.partition} offset ${last.offset}: ${printable(last.reason)}); all are in ${last.dlq}, and GET /healthz counts them\n`,
    );
  }
}

function printable(reason: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = reason.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return escaped.length > REASON_CHARS ? `${escaped.slice(0, REASON_CHARS)}…` : escaped;
}
