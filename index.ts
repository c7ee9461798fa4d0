/** Everything at once; `tcp-echo/prober`, `tcp-echo/server` and `tcp-echo/splitter` load one part each. */
export * from "./prober/index.js";
export * from "./server/index.js";
export * from "./splitter/index.js";
