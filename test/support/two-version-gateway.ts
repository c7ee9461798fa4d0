import { afterAll, beforeAll } from "vitest";
import { type EchoServerProcess, startEchoServerProcess } from "./echo-server-process.js";
import { type GatewayBackend, type L4Gateway, startGateway } from "./l4-gateway.js";

/** v1 (`one`) and v2 (`two`) behind a real gateway, for the tests of one describe block. */
export interface TwoVersionGateway {
  readonly gateway: L4Gateway;
  /** `127.0.0.1:<gateway port>`. */
  readonly target: string;
  /** Reloads the gateway gracefully to the weights w1:w2. */
  route(w1: number, w2: number): Promise<void>;
}

/** The gateway backends for echo servers v1, v2, … at `weights` (a version without one gets 0). */
export const versionBackends = (servers: EchoServerProcess[], weights: number[]): GatewayBackend[] =>
  servers.map((server, i) => ({
    name: `v${i + 1}`,
    port: server.ports[0] as number,
    weight: weights[i] ?? 0,
  }));

/** Starts the two versions and the gateway before the block's tests and stops them after, even on failure. */
export function useTwoVersionGateway(
  kind: "nginx" | "haproxy",
  [w1, w2]: [number, number],
): TwoVersionGateway {
  let servers: EchoServerProcess[] = [];
  let gateway: L4Gateway | undefined;
  const split = (a: number, b: number) => versionBackends(servers, [a, b]);
  beforeAll(async () => {
    servers = await Promise.all([startEchoServerProcess("0", "one"), startEchoServerProcess("0", "two")]);
    gateway = await startGateway(kind, split(w1, w2));
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all(servers.map((server) => server.stop()));
  });
  const started = () => {
    if (!gateway)
      throw new Error("the gateway is not started: use it inside the tests of its describe block");
    return gateway;
  };
  return {
    get gateway() {
      return started();
    },
    get target() {
      return `127.0.0.1:${started().port}`;
    },
    route: (a, b) => started().reload(split(a, b)),
  };
}
