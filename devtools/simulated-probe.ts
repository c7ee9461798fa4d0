import mt19937 from "@stdlib/random-base-mt19937";
import type { ProbeOutcome } from "../prober/tcp-probe.js";

/**
 * A probe that draws its version from fixed true shares with a seeded Mersenne Twister: the campaign's
 * statistics run unchanged, with no network, and every run is reproducible from its seed.
 */
export function simulatedProbe(truth: Record<string, number>, seed: number): () => Promise<ProbeOutcome> {
  const integers = mt19937.factory({ seed });
  const random = () => integers() / 4294967296;
  const labels = Object.keys(truth);
  return () => {
    let point = random();
    let prefix = labels[labels.length - 1] as string;
    for (const label of labels) {
      point -= truth[label] as number;
      if (point < 0) {
        prefix = label;
        break;
      }
    }
    return Promise.resolve({ kind: "reply", prefix, latencyMs: 0, sameVersion: true });
  };
}
