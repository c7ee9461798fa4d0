import { type Expectation, expectationFromWeights } from "../expectations/index.js";
import type { ProbeOutcome } from "../probe-outcome.js";
import {
  ChangeDetector,
  countIn,
  countOutcome,
  DEFAULT_CHANGE_DETECTOR,
  emptyObservation,
  type Interval,
  isCheckpoint,
  judgeSplit,
  probesToSettle,
  SegmentHalves,
  type SplitCriteria,
  type SplitJudgement,
  type SplitObservation,
  splitBounds,
  type Verdict,
} from "../statistics/index.js";

/** The shares of one stretch of probes, by version label. */
export type Shares = Record<string, number>;

export type WatchEvent =
  | {
      event: "window";
      atMs: number;
      /** Probes counted in this window, and failed among them. */
      probes: number;
      failed: number;
      shares: Shares;
      /** The split since the last change: its start, probes, shares and each share's bounds. */
      segment: { startMs: number; probes: number; shares: Shares; intervals: Record<string, Interval> };
    }
  | { event: "change"; atMs: number; detectedAtMs: number; before: Shares; after: Shares }
  | { event: "step"; atMs: number; step: number; split: string; missed: string[]; unverified: string[] }
  | { event: "expected"; atMs: number; split: string; source: string }
  | ({ event: "summary" } & WatchSummary);

export interface WatchSummary {
  verdict: Verdict;
  reason: string;
  target: string;
  probes: number;
  durationMs: number;
  changes: number;
  /** With several steps: each step's split and when it was PASSed (null: not seen, or missed). */
  steps: StepState[];
  stoppedBy: StopCause;
  /** Where the split judged last came from, when it was read from a cluster object; else null. */
  expectationSource: string | null;
}

export type StopCause = "steps" | "no-step" | "errors" | "duration" | "interrupted";

export interface StepState {
  split: string;
  passedAtMs: number | null;
  /** Skipped: every segment since the step before it was shown outside this step's band. */
  missed: boolean;
  /**
   * Skipped but not shown skipped: the split may have held here for a while, too short to prove. The
   * longest such stretch: its probes and duration, and about how many probes would have proved it.
   */
  unverified: { probes: number; heldMs: number; neededProbes: number | null } | null;
}

/** What the watch judges with: the steps in order, and the statistics' settings. */
export interface WatchCriteria {
  /** The splits expected in order; none for a monitor, which reports windows and changes only. */
  steps: Expectation[];
  confidence: number;
  tolerance: number;
  maxErrorRate: number;
  /** How long a split that matches no remaining step must hold, with no change seen, before it FAILs. */
  persistMs: number;
}

/** Something that happens to a watch: a probe's outcome (in start order), a window's end, new weights. */
export type WatchInput =
  | { kind: "outcome"; outcome: ProbeOutcome; startedMs: number }
  | { kind: "tick"; atMs: number }
  | { kind: "expected"; expected: Expectation; source: string };

interface WatchSegment {
  startMs: number;
  probes: number;
  observation: SplitObservation;
  judgements: Map<number, SplitJudgement>;
  halves: SegmentHalves;
  noStepSinceMs: number | undefined;
}

/**
 * Everything a watch knows: the steps and how far along them the split has gone, the segment since the
 * last change with its change detector, and the current window's counts. `decided` is set once the watch
 * has its verdict; the driver then stops probing.
 */
export interface WatchState {
  readonly criteria: WatchCriteria;
  labels: string[];
  steps: Expectation[];
  stepStates: StepState[];
  /** The first step not yet PASSed. */
  next: number;
  changes: number;
  /** 1 for the first segment; segment k spends alpha / 2^k. */
  segmentIndex: number;
  segment: WatchSegment;
  detector: ChangeDetector;
  /** Start times of the probes at the detector's block boundaries, by their index in the segment. */
  boundaryTimes: Map<number, number>;
  window: { probes: number; failed: number; counts: number[] };
  lastStartedMs: number;
  /** For each step not yet passed: the longest segment since the last step passed that was not shown outside it. */
  held: Map<number, NonNullable<StepState["unverified"]>>;
  expectationSource: string | null;
  decided: { stoppedBy: StopCause; verdict: Verdict; reason: string } | undefined;
}

export const describeSplit = (expectation: Expectation) => expectation.weights.join(":");

const sharesOf = (labels: string[], counts: number[]): Shares => {
  const total = labels.reduce((sum, _, i) => sum + (counts[i] ?? 0), 0);
  return Object.fromEntries(labels.map((label, i) => [label, total === 0 ? 0 : (counts[i] ?? 0) / total]));
};

/** Every step over the same labels (the union, in order of first use), missing ones at weight 0. */
function alignSteps(steps: Expectation[]): { labels: string[]; steps: Expectation[] } {
  const labels = [...new Set(steps.flatMap((step) => step.labels))];
  return {
    labels,
    steps: steps.map((step) =>
      expectationFromWeights(
        labels.map((label) => [label, step.weights[step.labels.indexOf(label)] ?? 0]),
        describeSplit(step),
      ),
    ),
  };
}

const newStepState = (step: Expectation): StepState => ({
  split: describeSplit(step),
  passedAtMs: null,
  missed: false,
  unverified: null,
});
const newSegment = (labels: string[], startMs: number): WatchSegment => ({
  startMs,
  probes: 0,
  observation: emptyObservation(labels),
  judgements: new Map(),
  halves: new SegmentHalves(),
  noStepSinceMs: undefined,
});
/** A monitor expects nothing: each version is learnt from its first reply (up to this many). */
const MONITOR_VERSIONS = 16;
/**
 * The detector's categories: each version and one for failures and unexpected prefixes. A monitor keeps
 * room for every version it may learn, so that one appearing is a change the detector sees.
 */
const newDetector = (labels: string[], monitor: boolean) =>
  new ChangeDetector({
    ...DEFAULT_CHANGE_DETECTOR,
    categories: (monitor ? MONITOR_VERSIONS : labels.length) + 1,
  });
const newWindow = (labels: string[]) => ({ probes: 0, failed: 0, counts: labels.map(() => 0) });

/** A watch before its first probe. */
export function startWatch(criteria: WatchCriteria, expectationSource: string | null = null): WatchState {
  const { labels, steps } = alignSteps(criteria.steps);
  return {
    criteria,
    labels,
    steps,
    stepStates: steps.map((step) => newStepState(step)),
    next: 0,
    changes: 0,
    segmentIndex: 1,
    segment: newSegment(labels, 0),
    detector: newDetector(labels, steps.length === 0),
    boundaryTimes: new Map(),
    window: newWindow(labels),
    lastStartedMs: 0,
    held: new Map(),
    expectationSource,
    decided: undefined,
  };
}

/**
 * The watch's transition: the state after `input`, and the events it causes. Deterministic, with no clock,
 * timer or I/O: time comes in with the inputs. The state passed in is taken over (updated in place, as
 * its change detector is), so a caller keeps only the state returned.
 */
export function advanceWatch(state: WatchState, input: WatchInput): [WatchState, WatchEvent[]] {
  const events: WatchEvent[] = [];
  if (input.kind === "outcome") recordOutcome(state, input.outcome, input.startedMs, events);
  else if (input.kind === "tick") events.push(closeWindow(state, input.atMs));
  else changeExpectation(state, input.expected, input.source, events);
  return [state, events];
}

/** The verdict when probing stops: the decided one, else what the evidence so far says. */
export function concludeWatch(
  state: WatchState,
  stoppedBy: StopCause | undefined,
): { verdict: Verdict; reason: string; stoppedBy: StopCause } {
  if (state.decided) return state.decided;
  const cause = stoppedBy ?? "duration";
  if (state.steps.length > 1) {
    const pending = state.stepStates.filter(
      (step) => step.passedAtMs === null && !step.missed && step.unverified === null,
    );
    return {
      verdict: "INCONCLUSIVE",
      reason: `${cause === "interrupted" ? "interrupted" : "time budget spent"} before every step was seen; not yet: ${pending.map((step) => step.split).join(", ")}`,
      stoppedBy: cause,
    };
  }
  if (state.steps.length === 0) {
    const seen = state.labels.length > 0 ? state.labels.join(", ") : "none";
    return {
      verdict: "PASS",
      reason: `monitored with no expectation: ${state.changes} change${state.changes === 1 ? "" : "s"} of the split seen; versions seen: ${seen}`,
      stoppedBy: cause,
    };
  }
  const judgement = judgeSplit(state.segment.observation, criteriaFor(state, reference(state)), {
    previous: state.segment.judgements.get(0),
  });
  const since = state.changes === 0 ? "since the start" : "since the last change";
  return { verdict: judgement.verdict, reason: `${since}: ${judgement.reason}`, stoppedBy: cause };
}

const criteriaFor = (state: WatchState, expected: Expectation): SplitCriteria => ({
  expected,
  confidence: state.criteria.confidence,
  tolerance: state.criteria.tolerance,
  maxErrorRate: state.criteria.maxErrorRate,
});
const several = (state: WatchState) => state.steps.length > 1;
/** The step the current split is compared with in windows: the one last seen, still holding. */
const reference = (state: WatchState): Expectation =>
  state.steps[several(state) ? Math.max(0, state.next - 1) : 0] ??
  // A monitor's bounds and error test: against equal shares of the versions seen.
  expectationFromWeights(
    (state.labels.length > 0 ? state.labels : ["none"]).map((label) => [label, 1]),
    "the versions seen",
  );
const segmentCounts = (state: WatchState) =>
  state.labels.map((label) => countIn(state.segment.observation.counts, label));

function decide(state: WatchState, stoppedBy: StopCause, verdict: Verdict, reason: string): void {
  state.decided ??= { stoppedBy, verdict, reason };
}

function recordOutcome(
  state: WatchState,
  outcome: ProbeOutcome,
  startedMs: number,
  events: WatchEvent[],
): void {
  state.lastStartedMs = startedMs;
  const monitor = state.steps.length === 0;
  if (
    monitor &&
    outcome.kind === "reply" &&
    !state.labels.includes(outcome.prefix) &&
    state.labels.length < MONITOR_VERSIONS
  ) {
    // A version not seen before: counted from now on, in the detector's next free category.
    state.labels = [...state.labels, outcome.prefix];
    state.window.counts.push(0);
    state.segment.observation.counts[outcome.prefix] = 0;
  }
  const { segment, labels, window } = state;
  const { observation } = segment;
  const counted = countOutcome(observation, labels, outcome);
  const category = monitor && counted === labels.length ? MONITOR_VERSIONS : counted;
  window.probes += 1;
  if (outcome.kind === "error") window.failed += 1;
  else if (counted < labels.length) window.counts[counted] = (window.counts[counted] as number) + 1;
  const index = segment.probes;
  segment.probes += 1;
  const { blockSize, candidates } = DEFAULT_CHANGE_DETECTOR;
  if (index % blockSize === 0) {
    state.boundaryTimes.set(index, startedMs);
    state.boundaryTimes.delete(index - (candidates + 1) * blockSize);
  }
  const change = state.detector.add(category);
  if (change) {
    state.changes += 1;
    events.push({
      event: "change",
      atMs: state.boundaryTimes.get(change.before) ?? startedMs,
      detectedAtMs: startedMs,
      before: sharesOf(labels, change.beforeCounts),
      after: sharesOf(labels, change.afterCounts),
    });
    restart(state, startedMs);
    return;
  }
  if (isCheckpoint(segment.probes)) judgeSegment(state, events);
}

/** A new segment from `atMs`: after a change of the split, or of what is expected of it. */
function restart(state: WatchState, atMs: number): void {
  noteSegment(state);
  state.segmentIndex += 1;
  state.segment = newSegment(state.labels, atMs);
  state.detector = newDetector(state.labels, state.steps.length === 0);
  state.boundaryTimes = new Map();
}

/**
 * Keeps, for each step still ahead, the longest segment that was not shown outside its band: the split
 * may have held there. A step skipped with no such segment was shown skipped (missed); one with it was
 * only not proven (unverified).
 */
function noteSegment(state: WatchState): void {
  const { segment } = state;
  if (segment.probes === 0) return;
  for (let i = state.next; i < state.steps.length; i++) {
    if (segment.judgements.get(i)?.verdict === "FAIL") continue;
    const best = state.held.get(i);
    if (best !== undefined && best.probes >= segment.probes) continue;
    state.held.set(i, {
      probes: segment.probes,
      heldMs: state.lastStartedMs - segment.startMs,
      neededProbes: probesToProve(state, state.steps[i] as Expectation),
    });
  }
}

/**
 * About how many probes prove a step were the split exactly at it, at the confidence of a first segment:
 * the counts of its weights (from 20, where none settles) settled at the smallest total. A random split, and a later segment's smaller
 * share of alpha, take more (docs/statistics.md gives the spread): this is the least to plan for.
 */
function probesToProve(state: WatchState, step: Expectation): number | null {
  const ideal = emptyObservation(state.labels);
  state.labels.forEach((label, i) => {
    ideal.counts[label] = Math.round((step.shares[i] ?? 0) * 20);
  });
  return probesToSettle(ideal, criteriaFor(state, step)) ?? null;
}

/** Why a step could not be proven, and what would prove it: more probes a second, or a longer pause. */
function unverifiedReason(step: StepState): string {
  const evidence = step.unverified as NonNullable<StepState["unverified"]>;
  const seconds = evidence.heldMs / 1000;
  const rate = seconds > 0 ? evidence.probes / seconds : 0;
  // Held longer than an exact split needs and still not proven (a later segment's smaller alpha, a
  // random split's spread): plan for twice what it had.
  const least = evidence.neededProbes ?? 0;
  const needed = least > evidence.probes ? least : evidence.probes * 2;
  const advice =
    seconds > 0 && rate > 0
      ? `: --rate ${Math.ceil(needed / seconds)} for a step that holds ${seconds.toFixed(1)} s, or ${(needed / rate).toFixed(1)} s a step at ${Math.round(rate)} probes/s`
      : "";
  return `${step.split} (held ${seconds.toFixed(1)} s, ${evidence.probes} probes; proving it takes about ${needed}${advice})`;
}

function judgeSegment(state: WatchState, events: WatchEvent[]): void {
  const { segment, steps, criteria } = state;
  // Steps the segment may still be shown to be: the one last seen (still holding) onward.
  const from = several(state) ? Math.max(0, state.next - 1) : 0;
  const tested = steps.map((_, i) => i).filter((i) => i >= from);
  const alpha = (1 - criteria.confidence) / 2 ** state.segmentIndex / tested.length;
  // A reload passes through a blend of old and new workers: neither a PASS nor a "no step" FAIL while
  // the segment's halves disagree.
  const unsteady = segment.halves.differAt(segmentCounts(state));
  for (const i of tested) {
    const previous = segment.judgements.get(i);
    segment.judgements.set(
      i,
      judgeSplit(segment.observation, criteriaFor(state, steps[i] as Expectation), {
        previous,
        alpha,
        unsteady,
      }),
    );
  }
  if (steps.length === 0) {
    const judgement = judgeSplit(segment.observation, criteriaFor(state, reference(state)), {
      alpha: 1 - criteria.confidence,
    });
    if (judgement.errorsShownAbove) decide(state, "errors", "ERROR", judgement.reason);
    return;
  }
  const judged = tested.map((i) => [i, segment.judgements.get(i) as SplitJudgement] as const);
  const errors = judged.find(([, judgement]) => judgement.errorsShownAbove);
  if (errors) {
    decide(state, "errors", "ERROR", errors[1].reason);
    return;
  }
  if (!several(state)) return;
  const passed = judged.find(([i, judgement]) => i >= state.next && judgement.verdict === "PASS");
  if (passed) {
    passStep(state, passed[0], events);
    if (state.next === steps.length) concludeSteps(state);
    return;
  }
  const matchesNone =
    !unsteady && judged.every(([, judgement]) => judgement.verdict === "FAIL" && !judgement.contradicted);
  checkNoStep(state, matchesNone, tested);
}

/** Step `i` PASSed: the steps skipped on the way are missed (never held) or unverified (held too briefly). */
function passStep(state: WatchState, i: number, events: WatchEvent[]): void {
  const { stepStates } = state;
  const at = state.lastStartedMs;
  noteSegment(state);
  const skipped = stepStates.slice(state.next, i);
  skipped.forEach((step, k) => {
    const held = state.held.get(state.next + k);
    if (held === undefined) step.missed = true;
    else step.unverified = held;
  });
  state.held = new Map();
  (stepStates[i] as StepState).passedAtMs = at;
  events.push({
    event: "step",
    atMs: at,
    step: i,
    split: stepStates[i]?.split ?? "",
    missed: skipped.filter((step) => step.missed).map((step) => step.split),
    unverified: skipped.filter((step) => step.unverified !== null).map((step) => step.split),
  });
  state.next = i + 1;
}

/** After the last step: FAIL if one was missed, INCONCLUSIVE if one was unproven, else PASS. */
function concludeSteps(state: WatchState): void {
  const { stepStates } = state;
  const missed = stepStates.filter((step) => step.missed).map((step) => step.split);
  const unverified = stepStates.filter((step) => step.unverified !== null);
  if (missed.length > 0)
    decide(
      state,
      "steps",
      "FAIL",
      `the split skipped ${missed.join(", ")}: every segment since the step before was shown outside ${missed.length > 1 ? "them" : "it"}`,
    );
  else if (unverified.length > 0)
    decide(
      state,
      "steps",
      "INCONCLUSIVE",
      `every step was reached, but not every one proven: ${unverified.map(unverifiedReason).join("; ")}`,
    );
  else
    decide(
      state,
      "steps",
      "PASS",
      `the split passed through every step in order: ${stepStates.map((step) => step.split).join(" → ")}`,
    );
}

/**
 * No step: a reload's blend of old and new workers can look like no step for a moment, so only a segment
 * that matches none for persistMs with no change detected FAILs.
 */
function checkNoStep(state: WatchState, matchesNone: boolean, tested: number[]): void {
  const { segment, stepStates, criteria, labels } = state;
  const at = state.lastStartedMs;
  segment.noStepSinceMs = matchesNone ? (segment.noStepSinceMs ?? at) : undefined;
  if (!matchesNone || at - (segment.noStepSinceMs as number) < criteria.persistMs) return;
  const shares = sharesOf(labels, segmentCounts(state));
  const seen = labels.map((label) => `${label} ${((shares[label] ?? 0) * 100).toFixed(1)}%`).join(", ");
  decide(
    state,
    "no-step",
    "FAIL",
    `the split holds at ${seen}, which matches no remaining step (${tested.map((i) => stepStates[i]?.split).join(", ")})`,
  );
}

function closeWindow(state: WatchState, atMs: number): WatchEvent {
  const { window, segment, labels } = state;
  const expected = criteriaFor(state, reference(state));
  const event: WatchEvent = {
    event: "window",
    atMs,
    probes: window.probes,
    failed: window.failed,
    shares: sharesOf(labels, window.counts),
    segment: {
      startMs: segment.startMs,
      probes: segment.probes,
      shares: sharesOf(labels, segmentCounts(state)),
      intervals: splitBounds(judgeSplit(segment.observation, expected), expected),
    },
  };
  state.window = newWindow(labels);
  return event;
}

function changeExpectation(
  state: WatchState,
  expected: Expectation,
  source: string,
  events: WatchEvent[],
): void {
  state.expectationSource = source;
  ({ labels: state.labels, steps: state.steps } = alignSteps([expected]));
  state.stepStates = [newStepState(expected)];
  state.window = newWindow(state.labels);
  restart(state, state.lastStartedMs);
  events.push({ event: "expected", atMs: state.lastStartedMs, split: describeSplit(expected), source });
}
