import mt19937 from "@stdlib/random-base-mt19937";
import type { ProbeOutcome } from "../prober/probe-outcome.js";
import { pickBackend } from "../splitter/weighted-splitter.js";

/**
 * True shares by version prefix, and how many probes (in start order) they last; the last lasts forever.
 * With `to`, the shares move linearly from `truth` to `to` over the phase's probes (a ramp, as gateway
 * replicas pick up new weights one after another), and stay at `to` if it is the last phase.
 */
export interface SimulatedPhase {
  truth: Record<string, number>;
  to?: Record<string, number>;
  probes?: number;
}

/** The true shares of probe `probe` (from 0, in start order): its phase's truth, or a point on its ramp. */
export function trueSharesAt(
  split: Record<string, number> | SimulatedPhase[],
  probe: number,
): Record<string, number> {
  const phases = Array.isArray(split) ? split : [{ truth: split }];
  let phase = 0;
  let from = 0;
  let until = phases[0]?.probes ?? Infinity;
  while (probe >= until && phase < phases.length - 1) {
    phase += 1;
    from = until;
    until += phases[phase]?.probes ?? Infinity;
  }
  const { truth, to, probes } = phases[phase] as SimulatedPhase;
  if (to === undefined) return truth;
  const along = probes === undefined ? 1 : Math.min(1, (probe - from) / probes);
  const prefixes = new Set([...Object.keys(truth), ...Object.keys(to)]);
  return Object.fromEntries(
    [...prefixes].map((prefix) => [prefix, (truth[prefix] ?? 0) * (1 - along) + (to[prefix] ?? 0) * along]),
  );
}

export interface SimulationOptions {
  /** Event-loop turns each version takes to answer (default 0, at once): a slower version finishes later. */
  turns?: Record<string, number>;
  /** Share of probes that fail (as `reset`), drawn independently of the version. */
  errorRate?: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A probe that draws its version from true shares with a seeded Mersenne Twister, by the same weighted
 * choice the splitter makes, in the order probes start: the campaign's statistics run unchanged, with no
 * network, and every run is reproducible from its seed. Phases make the split move after so many probes;
 * `turns` make versions answer late, in event-loop turns rather than time, so that runs stay fast and
 * deterministic while probes in flight still finish out of order.
 */
export function simulatedProbe(
  split: Record<string, number> | SimulatedPhase[],
  seed: number,
  options: SimulationOptions = {},
): () => Promise<ProbeOutcome> {
  const integers = mt19937.factory({ seed });
  let started = 0;
  return async () => {
    const shares = trueSharesAt(split, started);
    started += 1;
    const failed = options.errorRate !== undefined && integers() / 4294967296 < options.errorRate;
    const choices = Object.entries(shares).map(([prefix, weight]) => ({ prefix, weight }));
    const { prefix } = pickBackend(choices, integers() / 4294967296) as { prefix: string };
    for (let turn = options.turns?.[prefix] ?? 0; turn > 0; turn--) await nextTurn();
    return failed
      ? { kind: "error", error: "reset", detail: "simulated", latencyMs: 0 }
      : { kind: "reply", prefix, latencyMs: 0, sameVersion: true };
  };
}
