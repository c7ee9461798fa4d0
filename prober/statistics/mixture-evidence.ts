import betainc from "@stdlib/math-base-special-betainc";
import betaln from "@stdlib/math-base-special-betaln";

/** Which side of an edge the evidence is for: "above" tests the null p <= edge, "below" the null p >= edge. */
export type Side = "above" | "below";

/** One Beta component of a mixing prior, by its mean and its weight in pseudo-observations. */
export interface BetaComponent {
  weight: number;
  mean: number;
  strength: number;
}

const logSumExp = (terms: number[]) => {
  const top = Math.max(...terms);
  return top === -Infinity ? top : top + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - top), 0));
};

/** The prior's mass beyond the edge depends on the criteria only: computed once per edge and prior. */
const priorMasses = new Map<string, number>();
function priorMassOf(edge: number, a: number, b: number, upperTail: boolean): number {
  const key = `${edge} ${a} ${b} ${upperTail}`;
  let mass = priorMasses.get(key);
  if (mass === undefined) {
    mass = betainc(edge, a, b, true, upperTail);
    // Bounded: the display bounds bisect over edges, and a long-lived process sees many criteria.
    if (priorMasses.size > 10_000) priorMasses.clear();
    priorMasses.set(key, mass);
  }
  return mass;
}

/** A component's mean moved inside the alternative (edge, 1) or (0, edge) when it lies outside it. */
function alternativeMean(mean: number, edge: number, side: Side): number {
  if (side === "above") return mean > edge && mean < 1 ? mean : (edge + 1) / 2;
  return mean < edge && mean > 0 ? mean : edge / 2;
}

/**
 * The log of a one-sided mixture likelihood ratio for a Bernoulli share p after `successes` of `trials`:
 *   Λ = ∫ π(q) q^S (1-q)^F dq / (edge^S (1-edge)^F),
 * π a mixture of Beta priors truncated to the alternative side of `edge`. For every q on the alternative
 * side the ratio (q/edge)^S ((1-q)/(1-edge))^F is a supermartingale under any p on the null side, so Λ is
 * one too: by Ville's inequality P(Λ ever ≥ 1/α) ≤ α under the null, and the test may be checked after
 * every probe (a mixture sequential probability ratio test: Robbins 1970; Howard et al. 2021).
 * The edge must lie strictly between 0 and 1.
 */
export function logMixtureEvidence(
  successes: number,
  trials: number,
  edge: number,
  side: Side,
  prior: readonly BetaComponent[],
): number {
  const failures = trials - successes;
  const upperTail = side === "above";
  const logRatio = prior.map((component) => {
    const mean = alternativeMean(component.mean, edge, side);
    const a = component.strength * mean;
    const b = component.strength * (1 - mean);
    const posteriorMass = betainc(edge, a + successes, b + failures, true, upperTail);
    const priorMass = priorMassOf(edge, a, b, upperTail);
    return (
      Math.log(component.weight) +
      betaln(a + successes, b + failures) -
      betaln(a, b) +
      Math.log(posteriorMass) -
      Math.log(priorMass) -
      successes * Math.log(edge) -
      failures * Math.log1p(-edge)
    );
  });
  return logSumExp(logRatio);
}

/**
 * The one-sided confidence bound the same test gives: the lowest (side "below": highest) edge whose null
 * it does not reject at `alpha`, by bisection. Anytime-valid like the test: the true share lies beyond the
 * bound with probability at most alpha, at every probe count at once.
 */
export function mixtureBound(
  successes: number,
  trials: number,
  alpha: number,
  side: Side,
  priorFor: (edge: number) => readonly BetaComponent[],
): number {
  const threshold = Math.log(1 / alpha);
  const rejects = (edge: number) =>
    logMixtureEvidence(successes, trials, edge, side, priorFor(edge)) >= threshold;
  const peak = trials === 0 ? 0.5 : successes / trials;
  // "above" rejects edges below the share: search between 0 and the observed share, and mirrored.
  let rejected = side === "above" ? 0 : 1;
  let kept = side === "above" ? Math.min(peak, 1 - 1e-9) : Math.max(peak, 1e-9);
  if (!rejects(side === "above" ? 1e-9 : 1 - 1e-9)) return rejected;
  for (let i = 0; i < 40; i++) {
    const mid = (rejected + kept) / 2;
    if (rejects(Math.min(Math.max(mid, 1e-9), 1 - 1e-9))) rejected = mid;
    else kept = mid;
  }
  return rejected;
}
