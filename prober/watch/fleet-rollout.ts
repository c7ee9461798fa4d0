import type { StepState } from "./watch-machine.js";

/** How far one step of a rollout reached over a fleet: which replicas PASSed it, and when. */
export interface StepReach {
  split: string;
  /** Replicas that PASSed this step, of all the fleet's. */
  reached: number;
  replicas: number;
  /** When the first and the last replica PASSed it (ms since the start), null if none did. */
  firstAtMs: number | null;
  lastAtMs: number | null;
  /** The replicas that never PASSed it, by name. */
  missing: string[];
}

/**
 * Each step's reach over a fleet from every replica's own step states, pure: the rollout's summary
 * ("80:20 on 5/5 replicas 3.2 s after the first") and the replicas that never took a step.
 */
export function stepsReached(replicas: { name: string; steps: StepState[] }[]): StepReach[] {
  const splits = replicas[0]?.steps.map((step) => step.split) ?? [];
  return splits.map((split, i) => {
    const passed = replicas.filter((r) => r.steps[i]?.passedAtMs != null);
    const times = passed.map((r) => r.steps[i]?.passedAtMs as number);
    return {
      split,
      reached: passed.length,
      replicas: replicas.length,
      firstAtMs: times.length > 0 ? Math.min(...times) : null,
      lastAtMs: times.length > 0 ? Math.max(...times) : null,
      missing: replicas.filter((r) => r.steps[i]?.passedAtMs == null).map((r) => r.name),
    };
  });
}

/** `80:20 on 5/5 replicas 3.2 s after the first`, or `80:20 on 4/5 replicas; never on 10.0.0.9:31400`. */
export function describeReach(step: StepReach): string {
  const on = `${step.split} on ${step.reached}/${step.replicas} replicas`;
  if (step.firstAtMs === null || step.lastAtMs === null) return `${on}: no replica took it`;
  const spread = `${((step.lastAtMs - step.firstAtMs) / 1000).toFixed(1)} s after the first`;
  if (step.missing.length === 0) return step.reached > 1 ? `${on} ${spread}` : on;
  const last = step.reached > 1 ? ` (the last ${spread})` : "";
  return `${on}${last}; never on ${step.missing.join(", ")}`;
}
