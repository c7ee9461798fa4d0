import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
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

/**
 * The layout document's bullets, each as the folder it describes (`prober/reports`, `server`, or ``
 * for the root's) and its text, continuation lines included.
 */
function layoutSections(layout: string): Map<string, string> {
  const sections = new Map<string, string>();
  let top = "";
  let current = "";
  for (const line of layout.split("\n")) {
    const bullet = /^(\s*)- (?:`([\w.-]+)\/`)?/.exec(line);
    if (bullet) {
      const folder = bullet[2] ?? "";
      if ((bullet[1] as string).length === 0) top = folder;
      current = (bullet[1] as string).length === 0 || folder === "" ? top : `${top}/${folder}`;
    } else if (!/^\s/.test(line)) {
      current = "";
    }
    sections.set(current, `${sections.get(current) ?? ""}${line}\n`);
  }
  return sections;
}

describe("the layout document", () => {
  const layout = readFileSync(join(ROOT, "docs", "layout.md"), "utf8");

  it("names every module of server/, prober/, splitter/ and common/ under its own folder", () => {
    const sections = layoutSections(layout);
    const unnamed = SOURCE_DIRS.flatMap(modulesUnder).filter((source) => {
      const inFolder = sections.get(dirname(source)) ?? "";
      const fromTop = relative(source.split("/")[0] as string, source);
      return !inFolder.includes(`\`${basename(source)}\``) && !layout.includes(`\`${fromTop}\``);
    });
    expect(unnamed).toEqual([]);
  });

  it("does not count a module as named by another folder's module of the same name", () => {
    const sections = layoutSections("- `prober/`: `index.ts`.\n  - `reports/`: `html-report.ts`.\n");
    expect(sections.get("prober")).toContain("`index.ts`");
    expect(sections.get("prober/reports")).not.toContain("`index.ts`");
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
