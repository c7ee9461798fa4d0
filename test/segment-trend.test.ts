import { describe, expect, it } from "vitest";
import { SegmentTrend } from "../prober/statistics/segment-trend.js";
import { seededVersions } from "./support/seeded-versions.js";

/** A segment of `replies` drawn from v1's share `shareAt(i)` (v2 the rest), seeded. */
function trendOf(replies: number, shareAt: (i: number) => number, seed: number): SegmentTrend {
  const trend = new SegmentTrend(2);
  for (const version of seededVersions(replies, shareAt, seed)) trend.add(version);
  return trend;
}

describe("SegmentTrend (the linear trend of the shares along a segment)", () => {
  it("is 0 before two replies", () => {
    const trend = new SegmentTrend(2);
    trend.add(0);
    expect(trend.statistic()).toBe(0);
  });

  it("is 0 when every reply came from one version", () => {
    expect(trendOf(500, () => 1, 1).statistic()).toBe(0);
  });

  it("is exactly z²/2 of the Cochran-Armitage score for a small worked example", () => {
    // Positions 0-3, versions 0, 0, 1, 1: share 1/2, score Σ t·x - p·Σ t = (0 + 1) - 3 = -2,
    // spread Σ t² - (Σ t)²/n = 14 - 9 = 5, variance 1/4 · 5; z² / 2 = 4 / 1.25 / 2 = 1.6.
    const trend = new SegmentTrend(2);
    for (const version of [0, 0, 1, 1]) trend.add(version);
    expect(trend.statistic()).toBeCloseTo(1.6, 12);
  });

  it("stays near its null mean of 0.5 nats on a still 80:20 (200 seeded segments of 1,000 replies)", () => {
    const values = Array.from({ length: 200 }, (_, seed) => trendOf(1000, () => 0.8, seed + 1).statistic());
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.35);
    expect(mean).toBeLessThan(0.65);
    // z²/2 > 2 is |z| > 2: 4.6% under the null.
    expect(values.filter((v) => v > 2).length).toBeLessThanOrEqual(20);
  });

  it("grows far past 2 nats on a ramp from 90% to 70% over 1,000 replies (200 seeded segments)", () => {
    const values = Array.from({ length: 200 }, (_, seed) =>
      trendOf(1000, (i) => 0.9 - (0.2 * i) / 1000, seed + 1).statistic(),
    );
    expect(values.filter((v) => v > 2).length).toBeGreaterThanOrEqual(190);
  });
});

describe("SegmentTrend.endInside (where the trend line ends, against the bands)", () => {
  const bands8020 = [
    { lower: 0.75, upper: 0.85 },
    { lower: 0.15, upper: 0.25 },
  ];

  it("puts the end of a small worked example where its least-squares line ends", () => {
    // Versions 0, 0, 1, 1: v0's share 1/2, slope -2 / 5 per reply, at position 3: 0.5 - 0.4 × 1.5 = -0.1.
    const trend = new SegmentTrend(2);
    for (const version of [0, 0, 1, 1]) trend.add(version);
    expect(
      trend.endInside(
        [
          { lower: -0.2, upper: 0 },
          { lower: 1, upper: 1.2 },
        ],
        0,
      ),
    ).toBe(true);
    expect(
      trend.endInside(
        [
          { lower: 0, upper: 0.2 },
          { lower: 0.8, upper: 1 },
        ],
        0,
      ),
    ).toBe(false);
  });

  it("releases most still 80:20 segments of 5,000 replies that the trend flags by chance (400 seeded)", () => {
    const flagged = Array.from({ length: 400 }, (_, seed) => trendOf(5000, () => 0.8, seed + 1)).filter(
      (trend) => trend.statistic() > 1,
    );
    expect(flagged.length).toBeGreaterThan(40);
    const released = flagged.filter((trend) => trend.endInside(bands8020, 2));
    expect(released.length / flagged.length).toBeGreaterThan(0.8);
  });

  it("holds a ramp from 90% to 70% over 1,000 replies, whose end is outside (200 seeded)", () => {
    const released = Array.from({ length: 200 }, (_, seed) =>
      trendOf(1000, (i) => 0.9 - (0.2 * i) / 1000, seed + 1),
    ).filter((trend) => trend.endInside(bands8020, 2));
    expect(released.length).toBeLessThanOrEqual(2);
  });
});
