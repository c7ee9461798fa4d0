import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * One target the operator allows (`--allow-target`): a host, an address or a network, with a port, a
 * port range or any port. `gateway.istio-system:31400`, `gateway.istio-system:*`, `10.96.0.0/12:9000-9001`,
 * `[fd00::/8]:31400`.
 */
export interface TargetRule {
  /** The rule as written, for messages. */
  text: string;
  /** A DNS name (lower case, no trailing dot), or a network. */
  host: { kind: "name"; name: string } | { kind: "network"; network: BlockList };
  ports: { from: number; to: number };
}

/** An `--allow-target` that cannot be read. */
export class TargetRuleError extends Error {
  override readonly name = "TargetRuleError";
}

/** A target the policy does not allow; the message says which and why. */
export class ForbiddenTargetError extends Error {
  override readonly name = "ForbiddenTargetError";
}

/** Finds every address a name resolves to (all families); replaceable in tests. */
export type Resolver = (name: string) => Promise<string[]>;
const systemResolver: Resolver = async (name) =>
  (await lookup(name, { all: true, verbatim: true })).map((entry) => entry.address);

const normalName = (name: string) => name.toLowerCase().replace(/\.$/, "");

function parsePorts(text: string, rule: string): TargetRule["ports"] {
  if (text === "*") return { from: 1, to: 65535 };
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  const from = Number(match?.[1]);
  const to = match?.[2] === undefined ? from : Number(match[2]);
  if (!match || from < 1 || to > 65535 || from > to) {
    throw new TargetRuleError(
      `allowed target "${rule}": the port must be 1-65535, a range such as 9000-9001, or *`,
    );
  }
  return { from, to };
}

function networkOf(host: string, rule: string): BlockList | undefined {
  const [address, prefixText] = host.split("/") as [string, string | undefined];
  const family = isIP(address);
  if (family === 0) {
    if (prefixText !== undefined)
      throw new TargetRuleError(`allowed target "${rule}": "${address}" is not an IP address`);
    return undefined;
  }
  const type = family === 4 ? "ipv4" : "ipv6";
  const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
  if (
    !(
      Number.isInteger(prefix) &&
      prefix >= 0 &&
      prefix <= (family === 4 ? 32 : 128) &&
      /^\d+$/.test(prefixText ?? "0")
    )
  ) {
    throw new TargetRuleError(
      `allowed target "${rule}": "/${prefixText}" is not a prefix length for ${type}`,
    );
  }
  const network = new BlockList();
  network.addSubnet(address, prefix, type);
  return network;
}

/** Reads one `--allow-target`; throws TargetRuleError saying what is wrong. */
export function parseTargetRule(text: string): TargetRule {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):([^:\s]+)$/.exec(text.trim());
  if (!match) {
    throw new TargetRuleError(
      `allowed target "${text}": expected HOST:PORT, HOST:*, CIDR:PORT or [IPV6/PREFIX]:PORT (e.g. gateway.istio-system:31400)`,
    );
  }
  const host = (match[1] ?? match[2]) as string;
  const ports = parsePorts(match[3] as string, text);
  const network = networkOf(host, text);
  if (network) return { text, host: { kind: "network", network }, ports };
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(host)) {
    throw new TargetRuleError(
      `allowed target "${text}": "${host}" is neither a DNS name nor an IP address or network`,
    );
  }
  return { text, host: { kind: "name", name: normalName(host) }, ports };
}

/** Where a check may probe: the address to connect to (the name as written when a name rule allowed it). */
export interface AllowedTarget {
  host: string;
  port: number;
}

/**
 * Which targets `prober serve` may probe. A name rule allows that name as written, and the addresses it
 * resolves to; a network rule allows its addresses. A request naming anything else is resolved, and
 * every address must be allowed: a name cannot smuggle in another address. The check then connects to
 * the address that was allowed, not to the name again (which could resolve elsewhere by then).
 */
export class TargetPolicy {
  constructor(
    /** The rules; `"any"` allows every target (for local use, or `--allow-any-target`). */
    readonly rules: TargetRule[] | "any",
    private readonly resolve: Resolver = systemResolver,
  ) {}

  /** The target to probe for a requested host and port; throws ForbiddenTargetError with the reason. */
  async authorize(host: string, port: number): Promise<AllowedTarget> {
    if (this.rules === "any") return { host, port };
    const rules = this.rules.filter((rule) => port >= rule.ports.from && port <= rule.ports.to);
    const shown = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
    if (isIP(host) === 0) {
      const name = normalName(host);
      if (rules.some((rule) => rule.host.kind === "name" && rule.host.name === name)) return { host, port };
    }
    if (rules.length === 0)
      throw new ForbiddenTargetError(`target ${shown} is not allowed here (${this.allowedList()})`);
    const addresses = isIP(host) === 0 ? await this.resolveOrRefuse(host, shown) : [host];
    const allowed = await this.addressesAllowedBy(rules);
    const refused = addresses.filter((address) => !allowed(address));
    if (refused.length > 0) {
      const via = isIP(host) === 0 ? ` (${host} resolves to ${refused.join(", ")})` : "";
      throw new ForbiddenTargetError(`target ${shown} is not allowed here${via} (${this.allowedList()})`);
    }
    return { host: addresses[0] as string, port };
  }

  private allowedList(): string {
    return `allowed: ${(this.rules as TargetRule[]).map((rule) => rule.text).join(", ") || "none"}`;
  }

  private async resolveOrRefuse(host: string, shown: string): Promise<string[]> {
    try {
      const addresses = await this.resolve(host);
      if (addresses.length > 0) return addresses;
    } catch {
      // Told below, the same way: a name that does not resolve is no target to allow.
    }
    throw new ForbiddenTargetError(`target ${shown} is not allowed here: ${host} does not resolve`);
  }

  /** Whether an address is allowed by a network rule, or is one that a name rule's name resolves to. */
  private async addressesAllowedBy(rules: TargetRule[]): Promise<(address: string) => boolean> {
    const named = new Set<string>();
    for (const rule of rules) {
      if (rule.host.kind !== "name") continue;
      const addresses = await this.resolve(rule.host.name).catch(() => []);
      for (const address of addresses) named.add(address);
    }
    return (address) =>
      named.has(address) ||
      rules.some(
        (rule) =>
          rule.host.kind === "network" &&
          rule.host.network.check(address, isIP(address) === 6 ? "ipv6" : "ipv4"),
      );
  }
}
