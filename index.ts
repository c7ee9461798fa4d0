export { type EchoServer, type EchoServerOptions, startEchoServer } from "./server/echo-server.js";
export { LineEchoer } from "./server/line-echoer.js";
export { ServerMetrics } from "./server/server-metrics.js";
