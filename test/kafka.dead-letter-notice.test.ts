/**
 * `serve --brokers`: a record sent to the dead-letter topic is said on stderr, rate-limited. Before,
 * only GET /healthz counted them: an operator watching the terminal saw nothing.
 */
import { describe, expect, it } from 'vitest';
import { DeadLetterNotice, type DeadLetter } from '../src/drivers/kafka/dead-letter-notice.js';
import type { Timer } from '../src/ports/clock.js';

/** A clock whose timers fire when the test says the time has come. */
function manualClock() {
  let due: { fn: () => void; cancelled: boolean } | undefined;
  const clock = {
    after(_delayMs: number, fn: () => void): Timer {
      const t = { fn, cancelled: false };
      due = t;
      return { cancel: () => void (t.cancelled = true) };
    },
  };
  const fire = () => {
    const t = due;
    due = undefined;
    if (t !== undefined && !t.cancelled) t.fn();
  };
  return { clock, fire, pending: () => due !== undefined && !due.cancelled };
}

const letter = (offset: number, reason = 'the value is not valid JSON'): DeadLetter => ({ topic: 'wallet.commands', partition: 2, offset: String(offset), reason, dlq: 'wallet.commands.dlq' });

describe('DeadLetterNotice', () => {
  it('says a dead letter at once: topic, partition, offset, reason and where it went', () => {
    const { clock } = manualClock();
    const lines: string[] = [];
    new DeadLetterNotice(clock, (l) => lines.push(l)).report(letter(17));
    expect(lines).toEqual(['walletstorm serve: dead letter: wallet.commands partition 2 offset 17: the value is not valid JSON (sent to wallet.commands.dlq)\n']);
  });

  it('a flood: the first few of an interval in full, then one line counting the rest when it ends', () => {
    const { clock, fire } = manualClock();
    const lines: string[] = [];
    const notice = new DeadLetterNotice(clock, (l) => lines.push(l), { fullPerInterval: 3, intervalMs: 10_000 });
    for (let o = 0; o < 1000; o++) notice.report(letter(o));
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('offset 2: the value is not valid JSON (sent to wallet.commands.dlq; more within 10 s are counted, not shown)');
    fire();
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('walletstorm serve: 997 more dead letters not shown (the last: wallet.commands partition 2 offset 999: the value is not valid JSON); all are in wallet.commands.dlq, and GET /healthz counts them\n');
    // The next interval starts afresh.
    notice.report(letter(1000));
    expect(lines).toHaveLength(5);
    expect(lines[4]).toContain('offset 1000:');
  });

  it('a quiet interval says nothing more, and no timer waits while there is nothing to say', () => {
    const { clock, fire, pending } = manualClock();
    const lines: string[] = [];
    const notice = new DeadLetterNotice(clock, (l) => lines.push(l));
    notice.report(letter(1));
    fire();
    expect(lines).toHaveLength(1);
    expect(pending()).toBe(false);
  });

  it('at shutdown the count not said yet is said', () => {
    const { clock, pending } = manualClock();
    const lines: string[] = [];
    const notice = new DeadLetterNotice(clock, (l) => lines.push(l), { fullPerInterval: 1 });
    notice.report(letter(1));
    notice.report(letter(2));
    notice.flush();
    expect(lines.at(-1)).toMatch(/^walletstorm serve: 1 more dead letter not shown \(the last: wallet\.commands partition 2 offset 2:/);
    expect(pending()).toBe(false);
  });

  it('one line each, whatever the reason holds: control characters escaped, a long reason cut', () => {
    const { clock } = manualClock();
    const lines: string[] = [];
    const notice = new DeadLetterNotice(clock, (l) => lines.push(l));
    notice.report(letter(1, 'a\nb\u0007'));
    notice.report(letter(2, 'x'.repeat(5000)));
    expect(lines[0]).toContain('offset 1: a\\nb\\u0007 (sent');
    expect(lines.every((l) => l.indexOf('\n') === l.length - 1)).toBe(true);
    expect(lines[1]!.length).toBeLessThan(400);
  });
});
