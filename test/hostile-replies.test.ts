import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderInChromium } from "./support/headless-chromium.js";
import { activeCharacters } from "./support/inert-output.js";
import { runProber } from "./support/prober-process.js";
import { post, startServe } from "./support/prober-serve.js";
import { prefixingEcho, type RogueServer } from "./support/rogue-server.js";

const OUT = fileURLToPath(new URL("../test-results/", import.meta.url));

/** Prefixes a backend (or anything in the path) may answer with, as bytes. */
const HOSTILE: Record<string, Buffer> = {
  markup: Buffer.from("<img/src/onerror=document.title=42>"),
  "ESC, CSI, OSC and BEL": Buffer.from("\x1b[2J\x1b]0;owned\x07"),
  "a C1 control": Buffer.from("\u009b31m", "utf8"),
  "bytes that are not UTF-8": Buffer.from([0x6f, 0xff, 0xfe]),
  "a bidi override": Buffer.from("\u202eeno", "utf8"),
  "a very long prefix": Buffer.from("x".repeat(250)),
};

describe.each(Object.entries(HOSTILE))("a reply prefixed with %s", (_, prefix) => {
  let backend: RogueServer;
  const target = () => `127.0.0.1:${backend.port}`;
  beforeAll(async () => {
    backend = await prefixingEcho(prefix);
  });
  afterAll(async () => {
    await backend.close();
  });

  it("is shown inert by a check's text report", async () => {
    const run = await runProber(["--expect", "100:0", "--max-probes", "50", target()]);
    expect(run.code).toBe(1);
    expect(activeCharacters(run.stdout)).toEqual([]);
    expect(run.stdout).toMatch(/^FAIL: replies with unexpected prefixes: /m);
  });

  it("keeps its exact bytes in the JSON report, written inert", async () => {
    const run = await runProber(["--expect", "100:0", "--max-probes", "50", "--json", target()]);
    expect(activeCharacters(run.stdout)).toEqual([]);
    const [shown] = Object.keys(JSON.parse(run.stdout).unexpected) as [string];
    const bytes = Buffer.from(
      [...shown].flatMap((c) => {
        const code = c.codePointAt(0) as number;
        return code >= 0xdc80 && code <= 0xdcff ? [code - 0xdc00] : [...Buffer.from(c, "utf8")];
      }),
    );
    expect(bytes.equals(prefix)).toBe(true);
  });

  it("is shown inert by a watch in monitor mode, text and NDJSON", async () => {
    for (const json of [false, true]) {
      const run = await runProber([
        "watch",
        target(),
        "--duration",
        "1",
        "--interval",
        "0.25",
        ...(json ? ["--json"] : []),
      ]);
      expect(run.code).toBe(0);
      expect(activeCharacters(run.stdout)).toEqual([]);
    }
  });

  it("is shown inert by a watch with steps", async () => {
    const run = await runProber([
      "watch",
      target(),
      "--expect-steps",
      "100:0,80:20",
      "--persist",
      "0.5",
      "--duration",
      "5",
    ]);
    expect(run.code).toBe(1);
    expect(activeCharacters(run.stdout)).toEqual([]);
  });
});

describe("hostile replies in prober serve's answers and logs", () => {
  it("answers and logs a check of a hostile backend inert", async () => {
    const backend = await prefixingEcho(Buffer.concat(Object.values(HOSTILE).slice(1, 5)));
    const serve = await startServe();
    try {
      const response = await post(
        `${serve.url}/verify`,
        JSON.stringify({ target: `127.0.0.1:${backend.port}`, expect: "100:0" }),
      );
      const text = await response.text();
      expect(activeCharacters(text)).toEqual([]);
      expect(JSON.parse(text).verdict).toBe("FAIL");
      expect(activeCharacters(serve.proc.lines.join("\n"))).toEqual([]);
    } finally {
      await serve.stop();
      await backend.close();
    }
  });
});

describe("hostile replies in the HTML reports, opened in headless Chromium", () => {
  let backend: RogueServer;
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    backend = await prefixingEcho(HOSTILE.markup as Buffer);
  });
  afterAll(async () => {
    await backend.close();
  });

  for (const kind of ["check", "watch"] as const) {
    it(`runs nothing of a backend's markup in the ${kind} report`, async () => {
      const file = `${OUT}report-hostile-${kind}.html`;
      const args =
        kind === "check"
          ? ["--expect", "100:0", "--max-probes", "50"]
          : ["watch", "--duration", "1", "--interval", "0.25"];
      const run = await runProber([...args, "--report", file, `127.0.0.1:${backend.port}`]);
      expect(run.stderr).toBe("");
      const dom = await renderInChromium(file, `${OUT}report-hostile-${kind}.png`);
      expect(dom).not.toMatch(/<img/i);
      expect(dom).toMatch(/<title>prober [^<]*<\/title>/);
      expect(dom).not.toMatch(/<title>42<\/title>/);
      expect(dom).toContain("&lt;img/src/onerror=document.title=42&gt;");
    }, 60_000);
  }
});
