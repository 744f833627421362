import { z } from 'zod';
import { maxOf, type DistributionSpec } from '../sim/distributions.js';
import { playerRank } from '../provider/players.js';

/**
 * The one schema behind scenario files, `--set` overrides and defaults. Every knob is here with
 * its default and unit (in its name), so the file, the flags and the docs cannot drift apart.
 */

const nonNegative = z.number().nonnegative();
const positive = z.number().positive();

const distribution = z.discriminatedUnion('dist', [
  z.strictObject({ dist: z.literal('constant'), value: nonNegative }),
  z
    .strictObject({ dist: z.literal('uniform'), min: nonNegative, max: nonNegative })
    .refine((d) => d.min <= d.max, { message: 'min must not exceed max', path: ['max'] }),
  z.strictObject({ dist: z.literal('exponential'), mean: positive }),
  z
    .strictObject({ dist: z.literal('lognormal'), median: positive, p99: positive })
    .refine((d) => d.p99 >= d.median, { message: 'p99 must be at least the median', path: ['p99'] }),
]);

/** The fields of each kind of distribution, for messages. */
const DIST_FIELDS = { constant: 'value', uniform: 'min, max', exponential: 'mean', lognormal: 'median, p99' } as const;
const DIST_SHAPE = `a number >= 0 or {dist: ${Object.keys(DIST_FIELDS).join('|')}, ...}`;

/** What the input is, in words, for a message. */
function described(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return `the string ${JSON.stringify(input)}${input.trim() !== '' && Number.isFinite(Number(input)) ? ' (a number is written without quotes)' : ''}`;
  return String(input);
}

/**
 * zod's message for a value that fits neither a number nor a distribution is "Invalid input":
 * say what is expected, or which distribution field is wrong.
 */
function distributionMessage(issue: { code?: string; input?: unknown; errors?: unknown }): string | undefined {
  if (issue.code !== 'invalid_union') return undefined;
  const input = issue.input;
  if (typeof input === 'number') return `expected ${DIST_SHAPE}, got ${input}`;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return `expected ${DIST_SHAPE}, got ${described(input)}`;
  const kind = (input as { dist?: unknown }).dist;
  const kinds = Object.keys(DIST_FIELDS).join(', ');
  if (kind === undefined) return `missing dist (one of ${kinds}); or give a plain number >= 0 for a constant`;
  if (typeof kind !== 'string' || !Object.hasOwn(DIST_FIELDS, kind)) return `unknown dist ${typeof kind === 'string' ? `'${kind}'` : described(kind)} (one of ${kinds})`;
  // A known kind: the issues of the distribution option (the second), by field.
  const inner = ((issue.errors as { path: PropertyKey[]; message: string; code: string; input?: unknown }[][] | undefined)?.[1] ?? [])
    .map((i) => `${i.path.map(String).join('.') || 'dist'}: ${i.code === 'invalid_type' && i.input === undefined ? 'required field is missing' : i.message}`)
    .join('; ');
  const shape = `{dist: ${kind}, ${DIST_FIELDS[kind as keyof typeof DIST_FIELDS]}}`;
  return `${inner === '' ? 'invalid' : inner} (a ${kind} distribution is ${shape}, numbers${kind === 'exponential' || kind === 'lognormal' ? ' > 0' : ' >= 0'})`;
}

/** A distribution, or a plain number as shorthand for a constant. */
const dist = z.union([nonNegative.transform((value) => ({ dist: 'constant' as const, value })), distribution], { error: distributionMessage });

/**
 * Bounds on traffic. Every operation of a simulated run is kept to the end for the audit (about
 * 600 bytes each, and a round makes two or more), within a heap of about 4 GB: a run far beyond
 * these would grow for minutes and then die out of memory instead of being refused at once.
 */
export const MAX_ROUNDS_PER_SEC = 1_000_000;
export const MAX_ROUNDS_PER_RUN = 3_000_000;
const rate = nonNegative.max(MAX_ROUNDS_PER_SEC);
const MAX_PHASE_SEC = 7 * 24 * 3600;
const phaseDurationSec = positive.max(MAX_PHASE_SEC);

const phase = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('steady'), name: z.string().min(1).optional(), durationSec: phaseDurationSec, roundsPerSec: rate }),
  z.strictObject({ kind: z.literal('spike'), name: z.string().min(1).optional(), durationSec: phaseDurationSec, roundsPerSec: rate }),
  z.strictObject({
    kind: z.literal('ramp'),
    name: z.string().min(1).optional(),
    durationSec: phaseDurationSec,
    fromPerSec: rate,
    toPerSec: rate,
  }),
]);

type Phase = z.output<typeof phase>;

/** Rounds a schedule offers (a ramp offers its mean rate). */
export function roundsOf(phases: readonly Phase[]): number {
  return phases.reduce((n, p) => n + (p.kind === 'ramp' ? (p.fromPerSec + p.toPerSec) / 2 : p.roundsPerSec) * p.durationSec, 0);
}

const peakOf = (p: Phase): number => (p.kind === 'ramp' ? Math.max(p.fromPerSec, p.toPerSec) : p.roundsPerSec);

/**
 * Why a schedule is too large for one run, or undefined: a phase longer or faster than the
 * bounds, or more rounds in all than fit. The schema checks each phase's fields on their own;
 * this is for traffic reshaped after validation (`load --duration --rate-scale`) and for the total.
 */
export function trafficLimitProblem(phases: readonly Phase[]): { readonly index?: number; readonly message: string } | undefined {
  for (const [index, p] of phases.entries()) {
    const phase = `phase ${index + 1}${p.name === undefined ? '' : ` (${p.name})`}`;
    if (p.durationSec > MAX_PHASE_SEC) return { index, message: `${phase} lasts ${Math.round(p.durationSec).toLocaleString('en-US')} s: at most ${MAX_PHASE_SEC.toLocaleString('en-US')} s (7 days)` };
    if (peakOf(p) > MAX_ROUNDS_PER_SEC) {
      return { index, message: `${phase} asks for ${Math.round(peakOf(p)).toLocaleString('en-US')} rounds/s: at most ${MAX_ROUNDS_PER_SEC.toLocaleString('en-US')}` };
    }
  }
  const rounds = roundsOf(phases);
  if (rounds <= MAX_ROUNDS_PER_RUN) return undefined;
  return {
    message: `${Math.round(rounds).toLocaleString('en-US')} rounds in all: at most ${MAX_ROUNDS_PER_RUN.toLocaleString('en-US')} fit one run (every operation is kept for the audit)`,
  };
}

const onOff = z.enum(['on', 'off']);

function retryPolicy(defaults: { maxAttempts: number; backoffMs: number; multiplier: number; maxBackoffMs: number; jitter: number }) {
  return z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(1000).default(defaults.maxAttempts),
      backoffMs: nonNegative.default(defaults.backoffMs),
      multiplier: z.number().min(1).default(defaults.multiplier),
      maxBackoffMs: nonNegative.default(defaults.maxBackoffMs),
      jitter: z.number().min(0).max(1).default(defaults.jitter),
      txId: z.enum(['reuse', 'new']).default('reuse'),
      budget: z.strictObject({ ratio: z.number().min(0).max(10), minPerSec: nonNegative.default(10) }).optional(),
    })
    // Every backoff is capped at maxBackoffMs: a base above the cap is a backoff that never happens.
    // On the policy, not one field: either of the two may be the one that is off (or come from a --set).
    .refine((r) => r.backoffMs <= r.maxBackoffMs, {
      error: (issue) => {
        const r = issue.input as { backoffMs: number; maxBackoffMs: number };
        return `backoffMs (${r.backoffMs}) is above maxBackoffMs (${r.maxBackoffMs}), which caps every backoff: raise maxBackoffMs or lower backoffMs`;
      },
    })
    .prefault({});
}

/** The log behind event-driven and hybrid wallets. */
const logSettings = {
  partitions: z.number().int().min(1).max(10_000).default(16),
  consumers: z.number().int().min(1).max(10_000).default(4),
  applyMs: dist.default({ dist: 'lognormal', median: 0.3, p99: 2 }),
  commitEvery: z.number().int().min(1).default(100),
};

const pool = (workers: number, serviceMedianMs: number, serviceP99Ms: number, queueLimit: number) => ({
  workers: z.number().int().min(1).max(100_000).default(workers),
  serviceTimeMs: dist.default({ dist: 'lognormal', median: serviceMedianMs, p99: serviceP99Ms }),
  queueLimit: z.number().int().min(0).default(queueLimit),
  /** Shed a request that waited longer than this (its client gave up); 0: never. */
  queueTimeoutMs: nonNegative.default(0),
});

/** A fault's active window in seconds from the start of the run; the whole run when omitted. */
const windowed = {
  fromSec: nonNegative.default(0),
  toSec: positive.optional(),
};
/** A fault with a window that must not be empty (a window ending before it starts never fires). */
function windowedFault<T extends z.ZodRawShape>(shape: T) {
  return z
    .strictObject({ ...windowed, ...shape })
    .refine((w) => emptyWindow(w as { fromSec: number; toSec?: number }) === false, { message: 'toSec must be after fromSec', path: ['toSec'] });
}

function emptyWindow(w: { fromSec: number; toSec?: number }): boolean {
  return w.toSec !== undefined && w.toSec <= w.fromSec;
}
const fraction = z.number().min(0).max(1);

/**
 * Named failure modes, all off unless present. Each acts through the world (network, log,
 * capacity, traffic), never as a special case inside a wallet model.
 */
const faults = z
  .strictObject({
    /** The wallet applies the operation but its answer never reaches the provider. */
    responseLoss: windowedFault({ rate: fraction }).optional(),
    /** Service and apply times multiplied (a slow database). */
    walletSlowdown: windowedFault({ factor: z.number().min(1) }).optional(),
    /** Consumers die at atSec and restart after restartAfterSec, replaying from their last commit. */
    consumerCrash: z
      .strictObject({
        atSec: nonNegative,
        restartAfterSec: nonNegative.default(5),
        consumers: z
          .union([z.literal('all'), z.array(z.number().int().min(0)).min(1)], {
            error: (issue) => (issue.code === 'invalid_union' ? `expected all or a list of consumer numbers (from 0), got ${described(issue.input)}` : undefined),
          })
          .default('all'),
        everySec: positive.optional(),
        /** Real broker only (serve --brokers): crash after this many applied records instead of at atSec. */
        afterRecords: z.number().int().min(1).optional(),
      })
      .optional(),
    /** The log delivers a fraction of records twice. */
    duplicateDelivery: windowedFault({ rate: fraction }).optional(),
    /** All consumers pause for a window (a consumer-group rebalance). */
    rebalance: z.strictObject({ atSec: nonNegative, pauseSec: positive, everySec: positive.optional() }).optional(),
    /** A fraction of rounds: the bet is delayed in the network and the rollback overtakes it. */
    reorder: windowedFault({ rate: fraction, delayMs: positive.default(3000) }).optional(),
    /** A fraction of all rounds goes to one player (partition and lock contention). */
    hotPlayer: windowedFault({ share: fraction, playerId: z.string().min(1).default('p0') }).optional(),
    /**
     * A fraction of rounds: the provider also rolls back a bet it saw acknowledged, racing the
     * round's win (a game server cancelling a round it is settling). Only one of the two may apply.
     */
    roundCancel: windowedFault({ rate: fraction }).optional(),
  })
  .prefault({});

/**
 * A trainer's note, shown by the live dashboard when the run reaches it: at a time, or when a
 * condition first holds for a model. Notes never change the run.
 */
export const NARRATION_CONDITIONS = 'firstRetry, firstTimeout, firstDuplicate, queueAbove:N, lagAboveMs:N, lagBelowMs:N (after being above), p99AboveMs:N';
const narrationNote = z
  .strictObject({
    atSec: nonNegative.optional(),
    when: z
      .string()
      .regex(/^(firstRetry|firstTimeout|firstDuplicate|(queueAbove|lagAboveMs|lagBelowMs|p99AboveMs):\d+)$/, `one of ${NARRATION_CONDITIONS}`)
      .optional(),
    /** Only for this model (a condition is otherwise noted once per model). */
    model: z.enum(['request', 'event', 'hybrid']).optional(),
    text: z.string().min(1).max(160),
  })
  .refine((n) => (n.atSec === undefined) !== (n.when === undefined), { message: 'give exactly one of atSec or when' });

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
  traffic: z.strictObject({
    arrivals: z.enum(['poisson', 'uniform']).default('poisson'),
    phases: z.array(phase).min(1, 'at least one phase is needed'),
  }),
  players: z
    .strictObject({
      count: z.number().int().min(1).max(1_000_000).default(1000),
      initialBalance: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(100_000),
      currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR').default('EUR'),
      zipfExponent: z.number().min(0).max(5).default(1),
    })
    .prefault({}),
  round: z
    .strictObject({
      betAmount: dist.default({ dist: 'uniform', min: 100, max: 1000 }),
      winProbability: z.number().min(0).max(1).default(0.45),
      winMultiplier: dist.default({ dist: 'lognormal', median: 1.5, p99: 10 }),
      playTimeMs: dist.default({ dist: 'uniform', min: 200, max: 2000 }),
    })
    .prefault({}),
  provider: z
    .strictObject({
      timeoutMs: positive.default(2000),
      retry: retryPolicy({ maxAttempts: 3, backoffMs: 1000, multiplier: 1, maxBackoffMs: 1000, jitter: 0 }),
      settlementRetry: retryPolicy({ maxAttempts: 10, backoffMs: 1000, multiplier: 2, maxBackoffMs: 60_000, jitter: 0.2 }),
    })
    .prefault({}),
  network: z.strictObject({ latencyMs: dist.default({ dist: 'lognormal', median: 0.5, p99: 2 }) }).prefault({}),
  wallet: z
    .strictObject({
      idempotency: onOff.default('on'),
      inbox: onOff.default('on'),
      request: z.strictObject(pool(16, 2, 10, 1000)).prefault({}),
      event: z
        .strictObject({ ingest: z.strictObject(pool(16, 0.5, 3, 10_000)).prefault({}), ...logSettings })
        .prefault({}),
      hybrid: z
        .strictObject({
          api: z.strictObject(pool(16, 1, 5, 10_000)).prefault({}),
          reservationTtlSec: positive.default(60),
          ...logSettings,
        })
        .prefault({}),
    })
    .prefault({}),
  faults,
  /** The real broker (serve --brokers, load --target kafka://): producer batching and delivery. */
  kafka: z
    .strictObject({
      /** A record waits at most this long for others to share its produce request (linger.ms). */
      lingerMs: nonNegative.max(1000).default(5),
      /** Records per produce request at most. */
      batchSize: z.number().int().min(1).max(100_000).default(2000),
      /** Produce requests in flight at once (1 when the producer is idempotent). */
      maxInFlight: z.number().int().min(1).max(100).default(5),
      /** kafkajs's idempotent producer: retries cannot write a record twice (one request in flight). */
      idempotentProducer: onOff.default('off'),
      /** all: every in-sync replica has the record before it counts as written; leader: only the leader. */
      acks: z.enum(['all', 'leader']).default('all'),
      /** A consumer with nothing to apply for this long commits what it applied (so lag can reach 0). */
      idleCommitMs: positive.default(1000),
    })
    .refine((k) => k.idempotentProducer === 'off' || k.acks === 'all', { message: 'an idempotent producer needs acks: all', path: ['acks'] })
    .prefault({}),
  /** k6-style pass/fail checks on each run's report, e.g. "p99(ack.bet)<250", "duplicates==0". */
  thresholds: z.array(z.string().min(1)).default([]),
  /** Notes for the live dashboard (trainers), tied to times or conditions. */
  narration: z.array(narrationNote).max(100).optional(),
  run: z
    .strictObject({
      drainTimeoutSec: positive.default(600),
      maxEvents: z.number().int().min(1).default(500_000_000),
    })
    .prefault({}),
}).superRefine(acrossFields);

/**
 * Checks that need two fields: a fault naming a player or a consumer that does not exist, a run
 * too large. zod runs them even when a field they read is invalid (reported already), so each
 * one looks only at values that passed.
 */
function acrossFields(s: Scenario, ctx: z.RefinementCtx): void {
  // A phase out of bounds is reported by its own fields already; only the total is new here.
  const tooLarge = trafficLimitProblem(s.traffic.phases);
  if (tooLarge !== undefined && tooLarge.index === undefined) {
    ctx.addIssue({ code: 'custom', path: ['traffic', 'phases'], message: `${tooLarge.message}; shorten the phases or lower their rates` });
  }
  const hot = s.faults.hotPlayer?.playerId;
  const index = hot === undefined ? 0 : playerRank(hot);
  if (s.players.count >= 1 && (index === undefined || index >= s.players.count)) {
    ctx.addIssue({ code: 'custom', path: ['faults', 'hotPlayer', 'playerId'], message: `no such player: players are p0 to p${s.players.count - 1}` });
  }
  for (const problem of faultRepeatProblems(s)) ctx.addIssue({ code: 'custom', ...problem });
  const amounts = amountProblem(s.round);
  if (amounts !== undefined) ctx.addIssue({ code: 'custom', ...amounts });
  const consumers = s.faults.consumerCrash?.consumers;
  const least = Math.min(s.wallet.event.consumers, s.wallet.hybrid.consumers);
  if (Array.isArray(consumers) && consumers.some((c) => c >= least)) {
    const message = `consumers are numbered from 0 to ${least - 1} (wallet.event.consumers is ${s.wallet.event.consumers}, wallet.hybrid.consumers ${s.wallet.hybrid.consumers})`;
    ctx.addIssue({ code: 'custom', path: ['faults', 'consumerCrash', 'consumers'], message });
  }
}

/**
 * Consumer stops a run may schedule: a crash or a rebalance stops and resumes each consumer it
 * hits, in every repeat. A few microseconds each; beyond this a crash every microsecond ran for
 * hours, in one slice of the simulator that Ctrl-C and SIGTERM could not cut short.
 */
export const MAX_CONSUMER_STOPS = 1_000_000;

/** A repeating crash or rebalance that would stop consumers more often than a run can hold. */
function faultRepeatProblems(s: Scenario): { path: string[]; message: string }[] {
  const trafficSec = s.traffic.phases.reduce((sum, p) => sum + p.durationSec, 0);
  const all = Math.max(s.wallet.event.consumers, s.wallet.hybrid.consumers);
  const crash = s.faults.consumerCrash;
  const repeating = [
    crash && { fault: 'consumerCrash', what: 'crashes', atSec: crash.atSec, everySec: crash.everySec, consumers: crash.consumers === 'all' ? all : crash.consumers.length },
    s.faults.rebalance && { fault: 'rebalance', what: 'pauses', ...s.faults.rebalance, consumers: all },
  ];
  return repeating.flatMap((r) => {
    if (r === undefined || r.everySec === undefined) return [];
    // As the simulator repeats them (nextRepeatMs): at atSec, then every everySec until the traffic ends.
    const repeats = 1 + Math.max(0, (trafficSec - r.atSec) / r.everySec);
    const stops = repeats * r.consumers;
    if (stops <= MAX_CONSUMER_STOPS) return [];
    const count = (n: number) => Math.round(n).toLocaleString('en-US');
    const sec = (n: number) => Number(n.toPrecision(3));
    const least = ((trafficSec - r.atSec) * r.consumers) / (MAX_CONSUMER_STOPS - r.consumers);
    return [{
      path: ['faults', r.fault, 'everySec'],
      message: `${r.what} ${count(r.consumers)} consumer${r.consumers === 1 ? '' : 's'} every ${r.everySec} s over ${sec(trafficSec - r.atSec)} s of traffic: ${count(stops)} consumer stops, at most ${count(MAX_CONSUMER_STOPS)} in a run; raise everySec to at least ${sec(least)}`,
    }];
  });
}

/**
 * The largest amount a wallet takes, in minor units: a larger one is not a whole number a double
 * holds exactly, and every wallet refuses it (INVALID_REQUEST), as a request walletstorm got wrong.
 */
export const MAX_AMOUNT_MINOR = Number.MAX_SAFE_INTEGER;

/**
 * A stake or a win the provider could draw above MAX_AMOUNT_MINOR: the largest stake times the
 * largest multiplier, rounded as the provider rounds them (startRound), at the most the samplers
 * can draw (maxOf; a lognormal's tail too).
 */
function amountProblem(round: Scenario['round']): { path: string[]; message: string } | undefined {
  // Run even when a field failed (reported already): only distributions that passed are read.
  const valid = (d: unknown): d is DistributionSpec => distribution.safeParse(d).success;
  if (!valid(round?.betAmount) || !valid(round.winMultiplier)) return undefined;
  const figure = (n: number) => (!Number.isFinite(n) ? 'more than 1e308' : n >= 1e18 ? n.toPrecision(3) : (n >= 1000 ? Math.round(n) : Number(n.toPrecision(3))).toLocaleString('en-US'));
  const bound = `at most ${figure(MAX_AMOUNT_MINOR)} (Number.MAX_SAFE_INTEGER), the largest whole number of minor units a wallet takes`;
  const stake = Math.max(1, Math.round(maxOf(round.betAmount)));
  if (stake > MAX_AMOUNT_MINOR) return { path: ['round', 'betAmount'], message: `a stake can reach ${figure(stake)} minor units: ${bound}` };
  if (round.winProbability === 0) return undefined;
  const multiplier = maxOf(round.winMultiplier);
  const win = Math.round(stake * multiplier);
  if (win <= MAX_AMOUNT_MINOR) return undefined;
  return {
    path: ['round', 'winMultiplier'],
    message: `a win can reach ${figure(win)} minor units (a stake of up to ${figure(stake)} × a multiplier of up to ${figure(multiplier)}${round.winMultiplier.dist === 'lognormal' || round.winMultiplier.dist === 'exponential' ? `, the most a ${round.winMultiplier.dist} draw reaches` : ''}): ${bound}; lower round.winMultiplier or round.betAmount`,
  };
}

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
