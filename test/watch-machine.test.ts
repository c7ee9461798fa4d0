import { describe, expect, it } from "vitest";
import { parseExpectation } from "../prober/expectations/index.js";
import type { ProbeOutcome } from "../prober/probe-outcome.js";
import {
  advanceWatch,
  concludeWatch,
  startWatch,
  type WatchCriteria,
  type WatchEvent,
  type WatchState,
} from "../prober/watch/index.js";

const reply = (prefix: string): ProbeOutcome => ({ kind: "reply", prefix, latencyMs: 1, sameVersion: true });
const refused: ProbeOutcome = { kind: "error", error: "refused", detail: "ECONNREFUSED", latencyMs: 1 };

/** `count` replies in a fixed rotation: 80:20 as four `one` and a `two`, as a round-robin gateway gives. */
const rotation = (pattern: string[], count: number) =>
  Array.from({ length: count }, (_, i) => reply(pattern[i % pattern.length] as string));
const EIGHTY_TWENTY = ["one", "one", "one", "one", "two"];

const criteria = (...splits: string[]): WatchCriteria => ({
  steps: splits.map((split) => parseExpectation(split)),
  confidence: 0.99,
  tolerance: 0.05,
  maxErrorRate: 0.01,
  persistMs: 3000,
});

/** Feeds outcomes one every 10 ms, as a driver at 100 probes/s would, and collects the events. */
function feed(state: WatchState, outcomes: ProbeOutcome[], fromMs = 0): [WatchState, WatchEvent[]] {
  const events: WatchEvent[] = [];
  let current = state;
  outcomes.forEach((outcome, i) => {
    const [next, caused] = advanceWatch(current, { kind: "outcome", outcome, startedMs: fromMs + i * 10 });
    current = next;
    events.push(...caused);
  });
  return [current, events];
}

describe("the watch's state machine", () => {
  it("PASSes a split that holds at the one expected step, with no change announced", () => {
    const [state, events] = feed(startWatch(criteria("80:20")), rotation(EIGHTY_TWENTY, 3000));
    expect(events.filter((event) => event.event === "change")).toEqual([]);
    expect(concludeWatch(state, "duration").verdict).toBe("PASS");
  });

  it("announces the change and both steps of a shift from 100:0 to 80:20, then decides PASS", () => {
    const [before, first] = feed(startWatch(criteria("100:0", "80:20")), rotation(["one"], 1000));
    const [after, second] = feed(before, rotation(EIGHTY_TWENTY, 3000), 10_000);
    const events = [...first, ...second];
    expect(events.filter((event) => event.event === "step").map((event) => event.step)).toEqual([0, 1]);
    expect(events.some((event) => event.event === "change")).toBe(true);
    expect(after.decided).toMatchObject({ stoppedBy: "steps", verdict: "PASS" });
  });

  it("dates the change within a few hundred ms of when the split really moved", () => {
    const [before] = feed(startWatch(criteria("100:0", "80:20")), rotation(["one"], 1000));
    const [, events] = feed(before, rotation(EIGHTY_TWENTY, 3000), 10_000);
    const change = events.find((event) => event.event === "change");
    expect(change?.atMs).toBeGreaterThanOrEqual(9_000);
    expect(change?.atMs).toBeLessThanOrEqual(11_000);
  });

  it("decides ERROR when the probes fail far beyond the error limit", () => {
    const outcomes = Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? refused : reply("one")));
    const [state] = feed(startWatch(criteria("100:0")), outcomes);
    expect(state.decided?.verdict).toBe("ERROR");
  });

  it("FAILs a split that holds at no remaining step for longer than persistMs", () => {
    const [state] = feed(startWatch(criteria("100:0", "80:20")), rotation(["one", "two"], 3000));
    expect(state.decided).toMatchObject({ stoppedBy: "no-step", verdict: "FAIL" });
  });

  it("closes a window on a tick: its counts and shares, then an empty window", () => {
    const [fed] = feed(startWatch(criteria("80:20")), rotation(EIGHTY_TWENTY, 50));
    const [state, [window]] = advanceWatch(fed, { kind: "tick", atMs: 1000 });
    expect(window).toMatchObject({
      event: "window",
      atMs: 1000,
      probes: 50,
      failed: 0,
      shares: { one: 0.8, two: 0.2 },
    });
    expect(state.window.probes).toBe(0);
  });

  it("judges new weights from a new segment and says where they came from", () => {
    const [fed] = feed(startWatch(criteria("80:20")), rotation(EIGHTY_TWENTY, 500));
    const [state, events] = advanceWatch(fed, {
      kind: "expected",
      expected: parseExpectation("50:50"),
      source: "tcproute/tcp-echo@42",
    });
    expect(events).toEqual([
      { event: "expected", atMs: 4990, split: "50:50", source: "tcproute/tcp-echo@42" },
    ]);
    expect(state.segment.probes).toBe(0);
    expect(state.expectationSource).toBe("tcproute/tcp-echo@42");
  });

  it("is INCONCLUSIVE when stopped before every step was seen, naming the steps still to come", () => {
    const [state] = feed(startWatch(criteria("100:0", "80:20")), rotation(["one"], 1500));
    expect(concludeWatch(state, "interrupted")).toEqual({
      verdict: "INCONCLUSIVE",
      reason: "interrupted before every step was seen; not yet: 80:20",
      stoppedBy: "interrupted",
    });
  });

  it("calls a step the split went straight past missed, and FAILs", () => {
    const [before] = feed(startWatch(criteria("100:0", "80:20", "50:50")), rotation(["one"], 1000));
    const [state] = feed(before, rotation(["one", "two"], 3000), 10_000);
    expect(state.stepStates.map((step) => step.missed)).toEqual([false, true, false]);
    expect(state.decided).toMatchObject({
      verdict: "FAIL",
      reason: expect.stringContaining("the split skipped 80:20"),
    });
  });

  it("calls a step the split held too briefly to prove unverified, INCONCLUSIVE with the rate or pause that would do", () => {
    const [first] = feed(startWatch(criteria("100:0", "80:20", "50:50")), rotation(["one"], 1000));
    const [second] = feed(first, rotation(EIGHTY_TWENTY, 250), 10_000);
    const [state, events] = feed(second, rotation(["one", "two"], 3000), 12_500);
    expect(state.stepStates[1]).toMatchObject({ missed: false, unverified: { probes: expect.any(Number) } });
    expect(events.find((event) => event.event === "step")).toMatchObject({
      split: "50:50",
      unverified: ["80:20"],
    });
    expect(state.decided).toMatchObject({ verdict: "INCONCLUSIVE", stoppedBy: "steps" });
    expect(state.decided?.reason).toMatch(
      /not every one proven: 80:20 \(held [\d.]+ s, \d+ probes; proving it takes about \d+: --rate \d+ for a step that holds/,
    );
  });

  it("monitors with no steps: learns the versions as they answer, announces the change, PASSes unless errors", () => {
    const [before] = feed(startWatch(criteria()), rotation(["one"], 1000));
    const [state, events] = feed(before, rotation(["one", "two"], 1000), 10_000);
    expect(state.labels).toEqual(["one", "two"]);
    expect(events.filter((event) => event.event === "change")).toHaveLength(1);
    expect(concludeWatch(state, "duration")).toEqual({
      verdict: "PASS",
      reason: "monitored with no expectation: 1 change of the split seen; versions seen: one, two",
      stoppedBy: "duration",
    });
  });

  it("decides ERROR in a monitor too when the probes fail", () => {
    const [state] = feed(
      startWatch(criteria()),
      Array.from({ length: 400 }, () => refused),
    );
    expect(state.decided?.verdict).toBe("ERROR");
  });
});
