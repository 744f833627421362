import type { ScenarioInput } from '../scenario/schema.js';

/** A scenario one step simpler than another, and the step (for the shrink's account). */
export interface Candidate extends Change {
  readonly scenario: ScenarioInput;
}

/**
 * What a step changed: a field, from one value to another (`players.count`, 282 → 141); or a
 * part dropped (`faults.reorder`), without `to`. Successive steps on one subject can be told
 * apart from others, so an account can say "282 → 1" once instead of eight halvings.
 */
export interface Change {
  readonly subject: string;
  readonly from?: string;
  readonly to?: string;
}

type Phase = ScenarioInput['traffic']['phases'][number];
type RetryInput = NonNullable<NonNullable<ScenarioInput['provider']>['retry']>;

/**
 * Halving stops here: a phase must last more than 0 s and a run with no round has nothing left
 * to fail, so the floors keep every candidate a valid scenario with some traffic.
 */
const MIN_PHASE_SEC = 0.1;
const MIN_ROUNDS_PER_SEC = 1;

/**
 * Every scenario one step simpler than `s`, in the order a shrink should try them: what removes
 * the most first (a fault, a phase), then what halves the traffic, then the smaller knobs. Only
 * fields the scenario sets are touched (the swarm sets all it draws), so a default is never
 * guessed here. The same scenario always gives the same list, which keeps a shrink deterministic.
 */
export function simplerCandidates(s: ScenarioInput): Candidate[] {
  return [...dropFaults(s), ...dropPhases(s), ...shorterPhases(s), ...slowerPhases(s), ...fewerPlayers(s), ...simplerRetries(s)];
}

/**
 * Each phase named, with the name it has in a report anyway (compile.ts: kind-N), so that a step
 * names a phase for good: by its place, "phase 1" would be another phase once the first is dropped.
 */
export function withPhaseNames(s: ScenarioInput): ScenarioInput {
  return { ...s, traffic: { ...s.traffic, phases: s.traffic.phases.map((p, i) => ({ ...p, name: p.name ?? `${p.kind}-${i + 1}` })) } };
}

function dropFaults(s: ScenarioInput): Candidate[] {
  const present = Object.entries(s.faults ?? {}).filter(([, fault]) => fault !== undefined);
  return present.map(([name]) => ({ subject: `faults.${name}`, scenario: { ...s, faults: { ...s.faults, [name]: undefined } } }));
}

function dropPhases(s: ScenarioInput): Candidate[] {
  const phases = s.traffic.phases;
  if (phases.length < 2) return [];
  return phases.map((p, i) => withPhases(s, { subject: `phase ${phaseName(p, i)}` }, phases.filter((_, j) => j !== i)));
}

function shorterPhases(s: ScenarioInput): Candidate[] {
  return s.traffic.phases.flatMap((p, i) => {
    const durationSec = halved(p.durationSec, MIN_PHASE_SEC);
    if (durationSec === undefined) return [];
    return [replacePhase(s, i, { ...p, durationSec }, { subject: `phase ${phaseName(p, i)} durationSec`, from: String(p.durationSec), to: String(durationSec) })];
  });
}

function slowerPhases(s: ScenarioInput): Candidate[] {
  return s.traffic.phases.flatMap((p, i) => {
    const slower = slowerPhase(p);
    return slower === undefined ? [] : [replacePhase(s, i, slower.phase, { ...slower.change, subject: `phase ${phaseName(p, i)} ${slower.change.subject}` })];
  });
}

/** A ramp halves both ends, so that its shape stays and its mean rate halves. */
function slowerPhase(p: Phase): { phase: Phase; change: Change } | undefined {
  if (p.kind !== 'ramp') {
    const roundsPerSec = halved(p.roundsPerSec, MIN_ROUNDS_PER_SEC);
    return roundsPerSec === undefined ? undefined : { phase: { ...p, roundsPerSec }, change: { subject: 'roundsPerSec', from: String(p.roundsPerSec), to: String(roundsPerSec) } };
  }
  const fromPerSec = halved(p.fromPerSec, MIN_ROUNDS_PER_SEC) ?? p.fromPerSec;
  const toPerSec = halved(p.toPerSec, MIN_ROUNDS_PER_SEC) ?? p.toPerSec;
  if (fromPerSec === p.fromPerSec && toPerSec === p.toPerSec) return undefined;
  return { phase: { ...p, fromPerSec, toPerSec }, change: { subject: 'fromPerSec..toPerSec', from: `${p.fromPerSec}..${p.toPerSec}`, to: `${fromPerSec}..${toPerSec}` } };
}

function fewerPlayers(s: ScenarioInput): Candidate[] {
  const count = s.players?.count;
  if (count === undefined || count <= 1) return [];
  const fewer = Math.floor(count / 2);
  return [{ subject: 'players.count', from: String(count), to: String(fewer), scenario: { ...s, players: { ...s.players, count: fewer } } }];
}

/** Fewer attempts: one at once (the simplest), else half, else one less. */
function simplerRetries(s: ScenarioInput): Candidate[] {
  const provider = s.provider ?? {};
  const out: Candidate[] = [];
  for (const key of ['retry', 'settlementRetry'] as const) {
    const policy: RetryInput | undefined = provider[key];
    const attempts = policy?.maxAttempts;
    if (attempts !== undefined && attempts > 1) {
      for (const fewer of new Set([1, Math.ceil(attempts / 2), attempts - 1])) {
        if (fewer < attempts) out.push({ subject: `provider.${key}.maxAttempts`, from: String(attempts), to: String(fewer), scenario: { ...s, provider: { ...provider, [key]: { ...policy, maxAttempts: fewer } } } });
      }
    }
    // A retry under a new txId is the unusual policy; reuse is the default.
    if (policy?.txId === 'new') out.push({ subject: `provider.${key}.txId`, from: 'new', to: 'reuse', scenario: { ...s, provider: { ...provider, [key]: { ...policy, txId: 'reuse' } } } });
  }
  return out;
}

/** Half of `value` to the thousandth, not below `floor`; undefined when that is no smaller. */
function halved(value: number, floor: number): number | undefined {
  const half = Math.max(floor, Math.round(value * 500) / 1000);
  return half < value ? half : undefined;
}

function phaseName(p: Phase, i: number): string {
  return p.name ?? `${p.kind}-${i + 1}`;
}

function replacePhase(s: ScenarioInput, index: number, phase: Phase, change: Change): Candidate {
  return withPhases(s, change, s.traffic.phases.map((p, i) => (i === index ? phase : p)));
}

function withPhases(s: ScenarioInput, change: Change, phases: Phase[]): Candidate {
  return { ...change, scenario: { ...s, traffic: { ...s.traffic, phases } } };
}
