import mt19937 from "@stdlib/random-base-mt19937";
import type { ProbeOutcome } from "../prober/tcp-probe.js";
import { pickBackend } from "../splitter/weighted-splitter.js";

/**
 * A probe that draws its version from fixed true shares with a seeded Mersenne Twister, by the same
 * weighted choice the splitter makes: the campaign's statistics run unchanged, with no network, and every
 * run is reproducible from its seed.
 */
export function simulatedProbe(truth: Record<string, number>, seed: number): () => Promise<ProbeOutcome> {
  const integers = mt19937.factory({ seed });
  const versions = Object.entries(truth).map(([prefix, weight]) => ({ prefix, weight }));
  return () => {
    const { prefix } = pickBackend(versions, integers() / 4294967296) as { prefix: string };
    return Promise.resolve({ kind: "reply", prefix, latencyMs: 0, sameVersion: true });
  };
}
