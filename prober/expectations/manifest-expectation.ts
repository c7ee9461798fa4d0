import { parseAllDocuments } from "yaml";
import { ExpectationError } from "../errors.js";
import { DEFAULT_LABELS, type Expectation, expectationFromWeights } from "./expectation.js";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Parses `--map v1=one,v2=two` into subset/backend name → reply label. */
export function parseLabelMap(spec: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of spec.split(",")) {
    const [name, label, extra] = part.split("=").map((s) => s.trim());
    if (!name || !label || extra !== undefined) {
      throw new ExpectationError(`label map "${spec}": expected name=label pairs such as v1=one,v2=two`);
    }
    map.set(name, label);
  }
  return map;
}

/**
 * The label a subset or backend answers with: from the map when given, else the tutorial's convention
 * (a name ending in v1, v2, ... answers one, two, ...), else the name itself.
 */
function labelFor(name: string, map: Map<string, string> | undefined): string {
  if (map) {
    const label = map.get(name);
    if (label === undefined) throw new ExpectationError(`the label map has no label for "${name}"`);
    return label;
  }
  const version = /(?:^|-)v(\d+)$/.exec(name);
  const index = version ? Number(version[1]) - 1 : -1;
  return DEFAULT_LABELS[index] ?? name;
}

function weightOf(entry: Json, fallback: number, where: string): number {
  const weight = entry.weight ?? fallback;
  if (typeof weight !== "number" || weight < 0)
    throw new ExpectationError(`${where}: weight ${String(weight)} is not a number >= 0`);
  return weight;
}

function fromVirtualService(resource: Json, source: string, map?: Map<string, string>): Expectation {
  const name = String((resource.metadata as Json | undefined)?.name ?? "?");
  const where = `${source}: VirtualService ${name}`;
  const spec = isObject(resource.spec) ? resource.spec : {};
  const tcp = list(spec.tcp).filter(isObject);
  const first = tcp[0];
  if (!first) throw new ExpectationError(`${where} has no tcp route`);
  if (tcp.length > 1)
    throw new ExpectationError(`${where} has ${tcp.length} tcp routes; keep the one to check in the file`);
  const routes = list(first.route).filter(isObject);
  const weights = new Map<string, number>();
  for (const route of routes) {
    const destination = isObject(route.destination) ? route.destination : {};
    const subset = destination.subset ?? destination.host;
    if (typeof subset !== "string")
      throw new ExpectationError(`${where}: a destination has neither subset nor host`);
    const label = labelFor(subset, map);
    // Istio: a lone destination without weight takes all traffic.
    weights.set(label, (weights.get(label) ?? 0) + weightOf(route, routes.length === 1 ? 100 : 0, where));
  }
  return expectationFromWeights([...weights], where);
}

function fromTcpRoute(resource: Json, source: string, map?: Map<string, string>): Expectation {
  const name = String((resource.metadata as Json | undefined)?.name ?? "?");
  const where = `${source}: TCPRoute ${name}`;
  const spec = isObject(resource.spec) ? resource.spec : {};
  const rules = list(spec.rules).filter(isObject);
  if (rules.length !== 1)
    throw new ExpectationError(`${where} has ${rules.length} rules; exactly one is supported`);
  const weights = new Map<string, number>();
  for (const ref of list(rules[0]?.backendRefs).filter(isObject)) {
    if (typeof ref.name !== "string") throw new ExpectationError(`${where}: a backendRef has no name`);
    const label = labelFor(ref.name, map);
    // Gateway API: weight defaults to 1.
    weights.set(label, (weights.get(label) ?? 0) + weightOf(ref, 1, where));
  }
  return expectationFromWeights([...weights], where);
}

/**
 * Reads the expected split from YAML holding one Istio VirtualService (its tcp route's destinations) or one
 * Gateway API TCPRoute (its backendRefs); other kinds in the same file are ignored.
 */
export function expectationFromManifest(
  text: string,
  source: string,
  map?: Map<string, string>,
): Expectation {
  const documents = parseAllDocuments(text);
  const resources: Json[] = [];
  for (const document of Array.isArray(documents) ? documents : [documents]) {
    if (document.errors.length > 0) {
      throw new ExpectationError(`${source}: not valid YAML: ${document.errors[0]?.message.split("\n")[0]}`);
    }
    const value: unknown = document.toJS();
    if (isObject(value) && (value.kind === "VirtualService" || value.kind === "TCPRoute"))
      resources.push(value);
  }
  if (resources.length !== 1) {
    throw new ExpectationError(
      `${source}: expected one VirtualService or TCPRoute, found ${resources.length}`,
    );
  }
  return expectationFromResource(resources[0] as Json, source, map);
}

/** The expected split of one VirtualService or TCPRoute object, already parsed (from a file or an API server). */
export function expectationFromResource(
  resource: Record<string, unknown>,
  source: string,
  map?: Map<string, string>,
): Expectation {
  return resource.kind === "VirtualService"
    ? fromVirtualService(resource, source, map)
    : fromTcpRoute(resource, source, map);
}
