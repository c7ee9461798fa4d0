/** The echo server's library: `import { startEchoServer } from "tcp-echo/server"`. */
export { type EchoServer, type EchoServerOptions, startEchoServer } from "./echo-server.js";
export { LineEchoer } from "./line-echoer.js";
export { ServerMetrics } from "./server-metrics.js";
