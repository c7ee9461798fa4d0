/** The echo server's library: `import { startEchoServer } from "tcp-echo/server"`. */
export { type EchoServer, type EchoServerOptions, startEchoServer } from "./echo-server.js";
export { LineEchoer } from "./line-echoer.js";
export { exitCodeOf, type RunningServer, runServer } from "./run-server.js";
export { ServerMetrics } from "./server-metrics.js";
export type { ServerSettings } from "./server-settings.js";
