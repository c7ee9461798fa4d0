/** Probes: one TCP probe, the loop that runs them at a concurrency and rate, and target addresses. */
export { type ProbeFunction, ProbeLoop } from "./probe-loop.js";
export { formatTarget, resolveTarget } from "./target-address.js";
export { type TcpProbeOptions, TcpProber } from "./tcp-probe.js";
