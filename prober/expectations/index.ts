/** What split is expected: parsed from `80:20`, a manifest or a label map (a live object is read by `cluster-expectation.ts`, loaded only when needed). */
export {
  ClusterError,
  type ClusterReference,
  type ClusterSource,
  parseClusterReference,
} from "./cluster-reference.js";
export {
  DEFAULT_LABELS,
  type Expectation,
  expectationFromWeights,
  expectationProblem,
  parseExpectation,
} from "./expectation.js";
export { expectationFromManifest, parseLabelMap } from "./manifest-expectation.js";
