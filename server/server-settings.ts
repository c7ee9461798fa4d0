import { UsageError } from "../common/cli-failure.js";
import { parsePort } from "../common/port-number.js";
import { automaticWorkerCount } from "./cpu-limit.js";

/** Everything the server CLI accepts, validated and in the units the library takes. */
export interface ServerSettings {
  ports: number[];
  prefix: string;
  host: string | undefined;
  logLevel: string;
  logLines: boolean;
  maxLineBytes: number;
  idleTimeoutMs: number;
  maxConnections: number;
  drainTimeoutMs: number;
  adminPort: number | undefined;
  /** Processes serving connections: 1 serves in this process, more fork workers sharing each port. */
  workers: number;
}

export interface ServerArguments {
  ports?: string | undefined;
  prefix?: string | undefined;
  host?: string | undefined;
  logLevel: string;
  logLines: boolean;
  maxLineBytes: number;
  idleTimeout: number;
  maxConnections: number;
  drainTimeout: number;
  adminPort?: number | undefined;
  allowEphemeralPort: boolean;
  workers: string;
}

function wholeNumber(name: string, value: number, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum) {
    throw new UsageError(`invalid --${name}: must be a whole number >= ${minimum}`);
  }
  return value;
}

function workerCount(value: string): number {
  if (value === "auto") return automaticWorkerCount();
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < 1) {
    throw new UsageError(
      `invalid --workers: ${JSON.stringify(value)} is neither a whole number >= 1 nor auto`,
    );
  }
  return count;
}

function seconds(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new UsageError(`invalid --${name}: must be a number of seconds >= 0`);
  }
  return Math.round(value * 1000);
}

export function settingsFromArguments(args: ServerArguments): ServerSettings {
  if (!args.ports) throw new UsageError("missing <ports>: a comma-separated list such as 9000,9001");
  if (args.prefix === undefined) throw new UsageError("missing <prefix>: the text every reply starts with");
  const allowZero = args.allowEphemeralPort;
  const ports = args.ports.split(",").map((text) => parsePort(text, { allowZero }));
  const duplicate = ports.find((port, index) => port !== 0 && ports.indexOf(port) !== index);
  if (duplicate !== undefined) throw new UsageError(`port ${duplicate} is listed twice`);
  return {
    ports,
    prefix: args.prefix,
    host: args.host,
    logLevel: args.logLevel,
    logLines: args.logLines,
    maxLineBytes: wholeNumber("max-line-bytes", args.maxLineBytes, 1),
    idleTimeoutMs: seconds("idle-timeout", args.idleTimeout),
    maxConnections: wholeNumber("max-connections", args.maxConnections, 0),
    drainTimeoutMs: seconds("drain-timeout", args.drainTimeout),
    adminPort: args.adminPort === undefined ? undefined : parsePort(String(args.adminPort), { allowZero }),
    workers: workerCount(args.workers),
  };
}
