import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWeightedSplitter, type WeightedSplitter } from "../splitter/weighted-splitter.js";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SOURCE_DIRS = ["server", "prober", "splitter", "common"];

/** The TypeScript modules under `dir` (relative to the root), in every folder below it. */
function modulesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(dir, name));
}

/** How many modules of prom-client a fresh Node process has loaded after importing `specifier`. */
async function promClientModulesAfter(specifier: string): Promise<number> {
  const script = `await import(${JSON.stringify(specifier)});
import { createRequire } from "node:module";
const loaded = Object.keys(createRequire(import.meta.url).cache);
console.log(loaded.filter((path) => path.includes("/prom-client/")).length);`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT });
  return Number(stdout.trim());
}

describe("the package's subpath exports", () => {
  it("lets a prober user load the prober without the server's metrics library", async () => {
    expect(await promClientModulesAfter("tcp-echo/prober")).toBe(0);
  });

  it("still loads everything from the package root (the control for the claim above)", async () => {
    expect(await promClientModulesAfter("tcp-echo")).toBeGreaterThan(0);
  });
});

describe("the programs under test", () => {
  it("are built from the current source: no file in dist/ is older than its source", () => {
    const stale: string[] = [];
    // The reply kernel is AssemblyScript, built into a .wasm file (checked by its own build step).
    const typescript = SOURCE_DIRS.flatMap(modulesUnder).filter(
      (source) => !source.startsWith("server/wasm/"),
    );
    for (const source of typescript) {
      const built = join(ROOT, "dist", source.replace(/\.ts$/, ".js"));
      if (statSync(built).mtimeMs < statSync(join(ROOT, source)).mtimeMs) stale.push(built);
    }
    expect(stale).toEqual([]);
  });
});

describe("the layout document", () => {
  it("names every module of server/, prober/, splitter/ and common/", () => {
    const layout = readFileSync(join(ROOT, "docs", "layout.md"), "utf8");
    const unnamed = SOURCE_DIRS.flatMap(modulesUnder).filter(
      (source) =>
        !layout.includes(`\`${basename(source)}\``) &&
        !layout.includes(`\`${relative(source.split("/")[0] as string, source)}\``),
    );
    expect(unnamed).toEqual([]);
  });
});

describe("the prober document's library example", () => {
  let one: EchoServerProcess;
  let two: EchoServerProcess;
  let splitter: WeightedSplitter;
  beforeAll(async () => {
    [one, two] = await Promise.all([startEchoServerProcess("0", "one"), startEchoServerProcess("0", "two")]);
    splitter = await startWeightedSplitter([
      { host: "127.0.0.1", port: one.ports[0] as number, weight: 80 },
      { host: "127.0.0.1", port: two.ports[0] as number, weight: 20 },
    ]);
  });
  afterAll(async () => {
    await splitter.close();
    await Promise.all([one.stop(), two.stop()]);
  });

  it("runs as written against a real 80:20 split and prints PASS twice", async () => {
    const doc = readFileSync(join(ROOT, "docs", "prober.md"), "utf8");
    const example = /## Library API\n[\s\S]*?```ts\n([\s\S]*?)\n```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    // Inside the package, so that `tcp-echo/prober` resolves to this checkout, as it would once installed.
    const dir = mkdtempSync(join(ROOT, ".docs-example-"));
    try {
      const file = join(dir, "example.mjs");
      writeFileSync(file, example as string);
      const { stdout } = await run(process.execPath, [file], {
        env: { ...process.env, INGRESS_HOST: "127.0.0.1", INGRESS_PORT: String(splitter.port) },
      });
      expect(
        stdout
          .trim()
          .split("\n")
          .filter((line) => line.startsWith("PASS")),
      ).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
