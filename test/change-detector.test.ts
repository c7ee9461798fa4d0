import { describe, expect, it } from "vitest";
import { ChangeDetector, DEFAULT_CHANGE_DETECTOR } from "../prober/statistics/change-detector.js";
import { seededVersions } from "./support/seeded-versions.js";

/** The first change the default detector reports on `outcomes` drawn from v1's share `shareAt(i)`, seeded. */
function firstChange(outcomes: number, shareAt: (i: number) => number, seed: number) {
  const detector = new ChangeDetector({ ...DEFAULT_CHANGE_DETECTOR, categories: 3 });
  const versions = seededVersions(outcomes, shareAt, seed);
  for (const [i, version] of versions.entries()) {
    const change = detector.add(version);
    if (change) return { ...change, at: i + 1 };
  }
  return undefined;
}

describe("ChangeDetector (a change of the split within a stream of outcomes)", () => {
  it("raises no alarm on a still 80:20 over 100 seeded streams of 10,000 outcomes but for a few", () => {
    const alarms = Array.from({ length: 100 }, (_, seed) => firstChange(10_000, () => 0.8, seed + 1));
    expect(alarms.filter(Boolean).length).toBeLessThanOrEqual(2);
  });

  it("finds a jump from 100:0 to 80:20 within 400 outcomes in each of 100 seeded streams", () => {
    const changes = Array.from({ length: 100 }, (_, seed) =>
      firstChange(3000, (i) => (i < 1000 ? 1 : 0.8), seed + 1),
    );
    expect(changes.every((c) => c !== undefined && c.at <= 1400)).toBe(true);
  });

  it("puts the estimated change point within two blocks of the true one, as a block boundary", () => {
    const changes = Array.from({ length: 100 }, (_, seed) =>
      firstChange(3000, (i) => (i < 1000 ? 1 : 0.5), seed + 1),
    );
    for (const change of changes) {
      expect(change?.before).toBeGreaterThanOrEqual(1000 - 2 * DEFAULT_CHANGE_DETECTOR.blockSize);
      expect(change?.before).toBeLessThanOrEqual(1000 + 2 * DEFAULT_CHANGE_DETECTOR.blockSize);
      expect((change?.before ?? 1) % DEFAULT_CHANGE_DETECTOR.blockSize).toBe(0);
    }
  });

  it("reports the counts on each side of the change point", () => {
    const change = firstChange(3000, (i) => (i < 1000 ? 1 : 0), 1);
    // The change point is a block boundary: the block holding outcome 1,000 is mixed, and goes after it.
    expect(change?.before).toBe(992);
    expect(change?.beforeCounts).toEqual([992, 0, 0]);
    // After it: that block's 8 of v1, then v2 only.
    expect(change?.afterCounts[0]).toBe(8);
    expect(change?.afterCounts[1]).toBeGreaterThan(0);
    expect(change?.statistic).toBeGreaterThanOrEqual(DEFAULT_CHANGE_DETECTOR.threshold);
  });
});
