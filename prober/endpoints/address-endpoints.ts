import { lookup } from "node:dns/promises";
import type { Endpoint } from "./endpoint.js";

/** A name that resolves to no address: the run cannot start. */
export class EndpointError extends Error {
  override readonly name = "EndpointError";
}

/**
 * Every address a name resolves to (A and AAAA, as the system resolver gives them: a headless Service,
 * several gateway VMs behind one name), each an endpoint at `port`, in a stable order.
 */
export async function resolveEachAddress(host: string, port: number): Promise<Endpoint[]> {
  let records: { address: string }[];
  try {
    records = await lookup(host, { all: true });
  } catch (error) {
    throw new EndpointError(
      `cannot resolve ${host}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const addresses = [...new Set(records.map((r) => r.address))].sort();
  return addresses.map((address) => ({ host: address, port }));
}
