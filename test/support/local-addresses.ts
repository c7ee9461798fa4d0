import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Addresses on an interface the test made: local (the kernel delivers them through lo), never routed off the machine. */
export interface LocalAddresses {
  readonly addresses: string[];
  remove(): Promise<void>;
}

/**
 * Adds `count` addresses of 10.234.<block>.0/24 (beside the local cluster's ranges) on one end of a new
 * veth pair (this kernel has no dummy interfaces), for what refuses loopback: an EndpointSlice may not
 * hold 127.0.0.0/8. Deleting that end deletes the pair. Needs root.
 */
export async function addLocalAddresses(name: string, block: number, count: number): Promise<LocalAddresses> {
  const addresses = Array.from({ length: count }, (_, i) => `10.234.${block}.${i + 1}`);
  const remove = async () => {
    await run("ip", ["link", "del", name]).catch(() => undefined);
  };
  await remove();
  try {
    await run("ip", ["link", "add", name, "type", "veth", "peer", "name", `${name}p`]);
    for (const address of addresses) await run("ip", ["addr", "add", `${address}/32`, "dev", name]);
    await run("ip", ["link", "set", name, "up"]);
  } catch (error) {
    await remove();
    throw error;
  }
  return { addresses, remove };
}
