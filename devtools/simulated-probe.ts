import mt19937 from "@stdlib/random-base-mt19937";
import type { ProbeOutcome } from "../prober/probe-outcome.js";
import { pickBackend } from "../splitter/weighted-splitter.js";

/** True shares by version prefix, and how many probes (in start order) they last; the last lasts forever. */
export interface SimulatedPhase {
  truth: Record<string, number>;
  probes?: number;
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
  const phases = Array.isArray(split) ? split : [{ truth: split }];
  const choices = phases.map(({ truth }) =>
    Object.entries(truth).map(([prefix, weight]) => ({ prefix, weight })),
  );
  let started = 0;
  return async () => {
    let phase = 0;
    let until = phases[0]?.probes ?? Infinity;
    while (started >= until && phase < phases.length - 1) {
      phase += 1;
      until += phases[phase]?.probes ?? Infinity;
    }
    started += 1;
    const failed = options.errorRate !== undefined && integers() / 4294967296 < options.errorRate;
    const { prefix } = pickBackend(choices[phase] ?? [], integers() / 4294967296) as { prefix: string };
    for (let turn = options.turns?.[prefix] ?? 0; turn > 0; turn--) await nextTurn();
    return failed
      ? { kind: "error", error: "reset", detail: "simulated", latencyMs: 0 }
      : { kind: "reply", prefix, latencyMs: 0, sameVersion: true };
  };
}
