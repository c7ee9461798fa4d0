import { ExpectationError } from "../errors.js";

/** The expected split: version labels (reply prefixes) with their weights and the normalised shares. */
export interface Expectation {
  labels: string[];
  weights: number[];
  shares: number[];
}

/** Labels used for positional weights when none are given: the tutorial's prefixes, then onward. */
export const DEFAULT_LABELS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

function parseWeight(text: string, spec: string): number {
  const trimmed = text.trim();
  if (!/^-?\d+(\.\d+)?$/.test(trimmed))
    throw new ExpectationError(`expected split "${spec}": "${text}" is not a weight`);
  const weight = Number(trimmed);
  if (weight < 0) throw new ExpectationError(`expected split "${spec}": weight ${weight} is negative`);
  return weight;
}

/**
 * What is wrong with an expectation built by hand rather than parsed, or undefined: labels unique and
 * non-empty, one weight and one share for each, weights finite and >= 0, shares in [0, 1] summing to 1
 * and proportional to the weights.
 */
export function expectationProblem(expected: Expectation): string | undefined {
  const { labels, weights, shares } = expected;
  if (!Array.isArray(labels) || labels.length === 0) return "needs at least one label";
  if (labels.some((label) => typeof label !== "string" || label === "")) return "has an empty label";
  const duplicate = labels.find((label, i) => labels.indexOf(label) !== i);
  if (duplicate !== undefined) return `has the label "${duplicate}" twice`;
  if (!Array.isArray(weights) || weights.length !== labels.length)
    return `needs one weight per label (${labels.length})`;
  if (!Array.isArray(shares) || shares.length !== labels.length)
    return `needs one share per label (${labels.length})`;
  if (weights.some((weight) => !(Number.isFinite(weight) && weight >= 0)))
    return "has a weight that is not a number >= 0";
  if (shares.some((share) => !(share >= 0 && share <= 1)))
    return `has shares outside [0, 1]: ${shares.join(", ")} (shares are fractions; weights go in weights)`;
  const total = shares.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) > 1e-9) return `has shares summing to ${total}, not 1`;
  const weightTotal = weights.reduce((a, b) => a + b, 0);
  if (!(weightTotal > 0)) return "has weights that are all zero";
  if (shares.some((share, i) => Math.abs(share - (weights[i] as number) / weightTotal) > 1e-9))
    return "has shares that are not its weights normalised";
  return undefined;
}

/** Builds an expectation from label → weight pairs, normalising the weights into shares. */
export function expectationFromWeights(pairs: [string, number][], source: string): Expectation {
  if (pairs.length === 0) throw new ExpectationError(`${source}: no versions`);
  const labels = pairs.map(([label]) => label);
  const duplicate = labels.find((label, i) => labels.indexOf(label) !== i);
  if (duplicate !== undefined) throw new ExpectationError(`${source}: version "${duplicate}" appears twice`);
  const weights = pairs.map(([, weight]) => weight);
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new ExpectationError(`${source}: the weights are all zero`);
  return { labels, weights, shares: weights.map((weight) => weight / total) };
}

/**
 * Parses `--expect`: positional weights `80:20` (labels from `labels`, else one, two, ...) or named
 * weights `one=80,two=20`.
 */
export function parseExpectation(spec: string, labels?: string[]): Expectation {
  const source = `expected split "${spec}"`;
  if (spec.includes("=")) {
    if (labels)
      throw new ExpectationError(
        `${source}: give labels either with the weights or as a separate list, not both`,
      );
    const pairs = spec.split(",").map((part): [string, number] => {
      const [label, weight, extra] = part.split("=");
      if (!label?.trim() || weight === undefined || extra !== undefined) {
        throw new ExpectationError(`${source}: expected label=weight pairs such as one=80,two=20`);
      }
      return [label.trim(), parseWeight(weight, spec)];
    });
    return expectationFromWeights(pairs, source);
  }
  const weights = spec.split(":").map((part) => parseWeight(part, spec));
  if (weights.length < 1 || spec.trim() === "")
    throw new ExpectationError(`${source}: expected weights such as 80:20`);
  const names = labels ?? DEFAULT_LABELS.slice(0, weights.length);
  if (names.length !== weights.length) {
    throw new ExpectationError(
      `${source}: ${weights.length} weights but ${names.length} labels (${names.join(",")})`,
    );
  }
  return expectationFromWeights(
    weights.map((weight, i) => [names[i] as string, weight]),
    source,
  );
}
