import type { ProbeOutcome } from "../probe-outcome.js";

/** What a segment of probes showed, counted. */
export interface SplitObservation {
  /** Replies by version label (only labels of the expectation). */
  counts: Record<string, number>;
  /** Replies whose prefix is no expected version, by prefix. */
  unexpected: Record<string, number>;
  /** Probes that got no valid reply, by kind (refused, reset, read-timeout, ...). */
  errors: Record<string, number>;
}

/**
 * A record keyed by text from the network or the user (reply prefixes, labels): no prototype, so that
 * `constructor` or `__proto__` is a key like any other rather than an inherited member.
 */
export const emptyRecord = (): Record<string, number> => Object.create(null);

/** The count under `key`, counting only the record's own keys. */
export const countIn = (record: Record<string, number>, key: string): number =>
  Object.hasOwn(record, key) ? (record[key] as number) : 0;

/** An observation with nothing counted yet: every expected label at 0. */
export function emptyObservation(labels: string[]): SplitObservation {
  const counts = emptyRecord();
  for (const label of labels) counts[label] = 0;
  return { counts, unexpected: emptyRecord(), errors: emptyRecord() };
}

/**
 * Counts one outcome into the observation and returns its category for a change detector: the index of
 * its label, or `labels.length` for a failed probe or an unexpected prefix.
 */
export function countOutcome(observation: SplitObservation, labels: string[], outcome: ProbeOutcome): number {
  if (outcome.kind === "error") {
    observation.errors[outcome.error] = countIn(observation.errors, outcome.error) + 1;
    return labels.length;
  }
  const category = labels.indexOf(outcome.prefix);
  const record = category === -1 ? observation.unexpected : observation.counts;
  record[outcome.prefix] = countIn(record, outcome.prefix) + 1;
  return category === -1 ? labels.length : category;
}
