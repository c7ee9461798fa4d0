import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { preparedTool } from "./test-tools.js";

const run = promisify(execFile);
export const CHART = fileURLToPath(new URL("../../charts/tcp-echo", import.meta.url));
export const valuesFile = (name: string) =>
  fileURLToPath(new URL(`../fixtures/chart-values/${name}`, import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are checked field by field in the tests
export type Manifest = Record<string, any>;

/** Runs real `helm` with the arguments; resolves with stdout, or rejects with helm's stderr. */
export async function helm(args: string[]): Promise<string> {
  try {
    return (await run(preparedTool("helm"), args)).stdout;
  } catch (error) {
    throw new Error(((error as { stderr?: string }).stderr ?? String(error)).trim());
  }
}

/** `helm template` of the chart as release `tcp-echo`, parsed into objects. */
export async function renderChart(values: string[] = [], sets: string[] = []): Promise<Manifest[]> {
  const args = [
    "template",
    "tcp-echo",
    CHART,
    ...values.flatMap((v) => ["-f", valuesFile(v)]),
    ...sets.flatMap((s) => ["--set", s]),
  ];
  return parseManifests(await helm(args));
}

/** The objects of a YAML stream of manifests, as `helm template` prints them. */
export const parseManifests = (text: string): Manifest[] =>
  parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((object): object is Manifest => object !== null);

export const ofKind = (objects: Manifest[], kind: string) => objects.filter((object) => object.kind === kind);
