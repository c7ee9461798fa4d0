import { describe, expect, it } from "vitest";
import { describeReach, stepsReached } from "../prober/watch/fleet-rollout.js";
import type { StepState } from "../prober/watch/watch-machine.js";

const step = (split: string, passedAtMs: number | null): StepState => ({
  split,
  passedAtMs,
  missed: false,
  unverified: null,
});

describe("stepsReached", () => {
  const reach = stepsReached([
    { name: "a", steps: [step("100:0", 1000), step("80:20", 5000)] },
    { name: "b", steps: [step("100:0", 1200), step("80:20", 8200)] },
    { name: "c", steps: [step("100:0", 1100), step("80:20", null)] },
  ]);

  it("counts the replicas that PASSed each step, with the first and the last moment", () => {
    expect(reach[0]).toEqual({
      split: "100:0",
      reached: 3,
      replicas: 3,
      firstAtMs: 1000,
      lastAtMs: 1200,
      missing: [],
    });
  });

  it("names the replicas that never took a step", () => {
    expect(reach[1]).toMatchObject({ reached: 2, firstAtMs: 5000, lastAtMs: 8200, missing: ["c"] });
  });
});

describe("describeReach", () => {
  it("says how long after the first the last replica took a step every replica took", () => {
    expect(
      describeReach({
        split: "80:20",
        reached: 5,
        replicas: 5,
        firstAtMs: 1000,
        lastAtMs: 4200,
        missing: [],
      }),
    ).toBe("80:20 on 5/5 replicas 3.2 s after the first");
  });

  it("names the replica that never took it", () => {
    expect(
      describeReach({
        split: "80:20",
        reached: 4,
        replicas: 5,
        firstAtMs: 1000,
        lastAtMs: 2000,
        missing: ["e"],
      }),
    ).toBe("80:20 on 4/5 replicas (the last 1.0 s after the first); never on e");
  });

  it("says no replica took a step none PASSed", () => {
    expect(
      describeReach({
        split: "50:50",
        reached: 0,
        replicas: 2,
        firstAtMs: null,
        lastAtMs: null,
        missing: ["a", "b"],
      }),
    ).toBe("50:50 on 0/2 replicas: no replica took it");
  });
});
