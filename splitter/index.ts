/** The weighted TCP splitter's library: `import { startWeightedSplitter } from "tcp-echo/splitter"`. */
export { type Backend, startWeightedSplitter, type WeightedSplitter } from "./weighted-splitter.js";
