import { UsageError } from "./cli-failure.js";

/** Parses a TCP port given as text; port 0 means "any free port" and is only accepted when asked for. */
export function parsePort(text: string, options: { allowZero?: boolean } = {}): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) {
    throw new UsageError(`invalid port "${text}": not a number`);
  }
  const port = Number(trimmed);
  if (port > 65535) {
    throw new UsageError(`invalid port "${text}": must be 1-65535`);
  }
  if (port === 0 && !options.allowZero) {
    throw new UsageError(`invalid port "${text}": must be 1-65535`);
  }
  return port;
}
