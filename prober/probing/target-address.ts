import { UsageError } from "../../common/cli-failure.js";
import { parsePort } from "../../common/port-number.js";

/** Parses `host:port` (IPv6 as `[::1]:9000`); without one, the tutorial's INGRESS_HOST and INGRESS_PORT. */
export function resolveTarget(
  text: string | undefined,
  env: NodeJS.ProcessEnv,
): { host: string; port: number } {
  if (text === undefined) {
    const host = env.INGRESS_HOST;
    const port = env.INGRESS_PORT;
    if (!host || !port) {
      throw new UsageError("missing target: give host:port, or set INGRESS_HOST and INGRESS_PORT");
    }
    return { host, port: parsePort(port) };
  }
  const match = /^(?:\[([^\]]+)\]|([^:]+)):([^:]*)$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  if (!match || !host) throw new UsageError(`invalid target "${text}": expected host:port, or [ipv6]:port`);
  return { host, port: parsePort(match[3] ?? "") };
}

/** host:port as people type it: an IPv6 address in brackets. */
export function formatTarget(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
