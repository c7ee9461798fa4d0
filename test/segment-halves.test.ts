import { describe, expect, it } from "vitest";
import { SegmentHalves } from "../prober/statistics/segment-halves.js";
import { isCheckpoint } from "../prober/statistics/split-segments.js";
import { seededVersions } from "./support/seeded-versions.js";

/** Whether the halves differ at the last checkpoint of `replies` drawn from v1's share `shareAt(i)`, seeded. */
function differAtEnd(replies: number, shareAt: (i: number) => number, seed: number): boolean {
  const halves = new SegmentHalves();
  const counts = [0, 0];
  let differ = false;
  seededVersions(replies, shareAt, seed).forEach((version, i) => {
    counts[version] = (counts[version] as number) + 1;
    if (isCheckpoint(i + 1)) differ = halves.differAt([...counts]);
  });
  return differ;
}

describe("SegmentHalves (whether a segment's first half and the rest disagree)", () => {
  it("sees no difference before it has a first half", () => {
    expect(new SegmentHalves().differAt([10, 2])).toBe(false);
  });

  it("finds the halves of a still 80:20 alike at the end of 200 seeded segments of 2,000 replies, but for a few", () => {
    const differing = Array.from({ length: 200 }, (_, seed) => differAtEnd(2000, () => 0.8, seed + 1));
    // 2 × 4.5 nats is the 99.7% point of chi-square(1): about 0.6 of 200.
    expect(differing.filter(Boolean).length).toBeLessThanOrEqual(4);
  });

  it("finds the halves of a jump from 100:0 to 70:30 at the middle different in every one of 200 seeded segments", () => {
    const differing = Array.from({ length: 200 }, (_, seed) =>
      differAtEnd(2000, (i) => (i < 1000 ? 1 : 0.7), seed + 1),
    );
    expect(differing.every(Boolean)).toBe(true);
  });

  it("compares the first half as it was at the checkpoint nearest the middle", () => {
    const halves = new SegmentHalves();
    halves.differAt([50, 0]);
    // 50 of v1 then 50 of v2: the halves are as different as they can be.
    expect(halves.differAt([50, 50])).toBe(true);
  });
});
