import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnTracked } from "./support/child-processes.js";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The folders the three programs and the library are built from. */
const PROGRAM_SOURCES = ["common", "prober", "server", "splitter"];

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

/** The modules a source folder builds, as their paths in the tarball (`dist/prober/x.js`). */
function builtModules(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
    .filter((name) => !(dir === "server" && name.startsWith("wasm/")))
    .map((name) => `dist/${dir}/${name.replace(/\.ts$/, ".js")}`);
}

describe("the npm tarball (npm pack), installed with production dependencies only", () => {
  let dir: string;
  let packed: Packed;
  let bin: string;
  let echo: EchoServerProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tcp-echo-pack-"));
    // The global setup has just built dist/; the pack takes it as it is.
    const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], {
      cwd: ROOT,
    });
    packed = (JSON.parse(stdout) as Packed[])[0] as Packed;
    const prefix = join(dir, "prefix");
    mkdirSync(prefix);
    await run(
      "npm",
      [
        "install",
        "--prefix",
        prefix,
        "--omit=dev",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        join(dir, packed.filename),
      ],
      { cwd: prefix },
    );
    bin = join(prefix, "node_modules", ".bin");
  }, 300_000);
  afterAll(async () => {
    await echo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("holds the build of every module the programs are made of, and no module without its source", () => {
    const paths = packed.files.map((file) => file.path);
    const js = paths.filter((path) => path.endsWith(".js") && !path.includes("/vendor/"));
    const expected = ["dist/index.js", ...PROGRAM_SOURCES.flatMap(builtModules)];
    expect(js.filter((path) => !expected.includes(path))).toEqual([]);
    expect(expected.filter((path) => !js.includes(path))).toEqual([]);
    expect(paths).toContain("dist/server/wasm/reply-kernel.wasm");
    expect(paths).toContain("dist/prober/reports/vendor/uPlot.iife.min.js");
  });

  it("holds no tests, benchmarks, development tools or source maps, and packs under 200 kB", () => {
    const extra = packed.files
      .map((file) => file.path)
      .filter(
        (path) =>
          /^(test|bench|devtools|demo|dist\/(bench|devtools|demo))\/|\.map$/.test(path) ||
          (path.endsWith(".ts") && !path.endsWith(".d.ts")),
      );
    expect(extra).toEqual([]);
    expect(packed.size).toBeLessThan(200_000);
  });

  it("installs without any development dependency", () => {
    const installed = readdirSync(join(dir, "prefix", "node_modules"));
    expect(installed).toContain("tcp-echo");
    expect(
      installed.filter((name) => ["vitest", "typescript", "testcontainers", "@biomejs"].includes(name)),
    ).toEqual([]);
  });

  it("runs tcp-echo, tcp-splitter and prober from the installed package: a PASS through the splitter", async () => {
    echo = await startEchoServerProcess("0", "one", [], {}, [], realpathSync(join(bin, "tcp-echo")));
    const splitter = spawnTracked(join(bin, "tcp-splitter"), [
      "--listen",
      "0",
      `127.0.0.1:${echo.ports[0]}=1`,
    ]);
    try {
      const line = await splitter.waitForLine((l) => l.startsWith("tcp-splitter: listening on"), "listening");
      const port = /:(\d+),/.exec(line)?.[1];
      const prober = spawnTracked(join(bin, "prober"), [`127.0.0.1:${port}`, "--expect", "100:0"]);
      expect(await prober.exited, prober.lines.join("\n")).toBe(0);
      expect(prober.lines.at(-1)).toMatch(/^PASS: /);
    } finally {
      splitter.child.kill("SIGTERM");
      await splitter.exited;
    }
  }, 60_000);
});
