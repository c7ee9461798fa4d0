import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PROBER = fileURLToPath(new URL("../prober", import.meta.url));

/** The prober's folders from the bottom up: each may import only the shared root files and those before it. */
const LAYERS = [
  "expectations",
  "statistics",
  "probing",
  "endpoints",
  "campaign",
  "watch",
  "reports",
  "serve",
  "cli",
];

/** The Kubernetes readers, imported by path so that the client is loaded only when a cluster is read. */
const ON_DEMAND = [
  "expectations/cluster-expectation.ts",
  "expectations/kube-access.ts",
  "endpoints/service-endpoints.ts",
];

/** Every relative import of every module of prober/: [importing file, imported file], both relative to prober/. */
function importsOfProber(): [string, string][] {
  const files = readdirSync(PROBER, { recursive: true, encoding: "utf8" }).filter((name) =>
    name.endsWith(".ts"),
  );
  return files.flatMap((file) => {
    const source = readFileSync(join(PROBER, file), "utf8");
    const specifiers = [...source.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map(
      (m) => m[1] as string,
    );
    return specifiers.map((spec): [string, string] => [
      file,
      normalize(join(dirname(file), spec.replace(/\.js$/, ".ts"))),
    ]);
  });
}

/** The import cycles among `edges` (each as its modules in order, first repeated last), by depth-first search. */
function importCycles(edges: [string, string][]): string[][] {
  const next = new Map<string, string[]>();
  for (const [from, to] of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const cycles: string[][] = [];
  const done = new Set<string>();
  const visit = (module: string, path: string[]) => {
    if (path.includes(module)) {
      cycles.push([...path.slice(path.indexOf(module)), module]);
      return;
    }
    if (done.has(module)) return;
    for (const imported of next.get(module) ?? []) visit(imported, [...path, module]);
    done.add(module);
  };
  for (const module of next.keys()) visit(module, []);
  return cycles;
}

/** The folder of a prober module, or "" for the files at prober/'s root. */
const folderOf = (file: string) => (file.includes("/") ? (file.split("/")[0] as string) : "");

describe("the prober's folders", () => {
  const imports = importsOfProber().filter(
    ([, imported]) => !relative(PROBER, join(PROBER, imported)).startsWith(".."),
  );

  it("are each one of the declared layers", () => {
    const folders = new Set(imports.map(([file]) => folderOf(file)).filter((folder) => folder !== ""));
    expect([...folders].sort()).toEqual([...LAYERS].sort());
  });

  it("import only downward: from the root's shared files or from a folder listed before their own", () => {
    const upward = imports.filter(([file, imported]) => {
      const from = folderOf(file);
      const to = folderOf(imported);
      if (from === to) return false;
      if (to === "") return imported === "index.ts";
      if (from === "") return file !== "index.ts"; // the shared files import no folder
      return LAYERS.indexOf(to) >= LAYERS.indexOf(from);
    });
    expect(upward).toEqual([]);
  });

  it("are entered through their index.ts from other folders, except the Kubernetes readers loaded on demand", () => {
    const deep = imports.filter(
      ([file, imported]) =>
        folderOf(file) !== folderOf(imported) &&
        folderOf(imported) !== "" &&
        !imported.endsWith("/index.ts") &&
        !ON_DEMAND.includes(imported),
    );
    expect(deep).toEqual([]);
  });

  it("have no import cycle, inside a folder or across folders, type imports included", () => {
    expect(importCycles(imports)).toEqual([]);
  });

  it("would see a cycle of two modules that import each other (the check above can fail)", () => {
    expect(
      importCycles([
        ["a.ts", "b.ts"],
        ["b.ts", "a.ts"],
        ["b.ts", "c.ts"],
      ]),
    ).toEqual([["a.ts", "b.ts", "a.ts"]]);
  });

  it("keep the statistics free of I/O and clocks", () => {
    const statistics = readdirSync(join(PROBER, "statistics")).filter((name) => name.endsWith(".ts"));
    const impure = statistics.filter((name) =>
      /from "node:|Date\.now|performance\.now|setTimeout|setInterval/.test(
        readFileSync(join(PROBER, "statistics", name), "utf8"),
      ),
    );
    expect(impure).toEqual([]);
  });
});
