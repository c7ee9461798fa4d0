import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWeightedSplitter, type WeightedSplitter } from "../splitter/weighted-splitter.js";
import { PROBER_CLI, spawnTracked } from "./support/child-processes.js";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { runProber, runProberJson } from "./support/prober-process.js";
import { rogueServer } from "./support/rogue-server.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe("prober against tcp-echo servers behind a weighted splitter", () => {
  let one: EchoServerProcess;
  let two: EchoServerProcess;
  let three: EchoServerProcess;
  let splitter: WeightedSplitter;
  let target: string;
  const route = (w1: number, w2: number, w3 = 0) =>
    splitter.setBackends([
      { host: "127.0.0.1", port: one.ports[0] as number, weight: w1 },
      { host: "127.0.0.1", port: two.ports[0] as number, weight: w2 },
      { host: "127.0.0.1", port: three.ports[0] as number, weight: w3 },
    ]);

  beforeAll(async () => {
    [one, two, three] = await Promise.all([
      startEchoServerProcess("0", "one"),
      startEchoServerProcess("0", "two"),
      startEchoServerProcess("0", "three"),
    ]);
    splitter = await startWeightedSplitter([{ host: "127.0.0.1", port: one.ports[0] as number, weight: 1 }]);
    target = `127.0.0.1:${splitter.port}`;
  });
  afterAll(async () => {
    await splitter.close();
    await Promise.all([one.stop(), two.stop(), three.stop()]);
  });

  it("PASSes the true 80:20 split with exit code 0", async () => {
    route(80, 20);
    const { code, report } = await runProberJson(["--expect", "80:20", target]);
    expect(report.verdict).toBe("PASS");
    expect(code).toBe(0);
  });

  it("FAILs a 50:50 split when 80:20 is expected, with exit code 1", async () => {
    route(50, 50);
    const { code, report } = await runProberJson(["--expect", "80:20", target]);
    expect(report.verdict).toBe("FAIL");
    expect(code).toBe(1);
  });

  it("is INCONCLUSIVE on a tiny probe budget, with exit code 2 and an estimate of the probes needed", async () => {
    route(80, 20);
    const { code, report } = await runProberJson(["--expect", "80:20", "-n", "30", target]);
    expect(report.verdict).toBe("INCONCLUSIVE");
    expect(report.probesToSettle).toBeGreaterThan(30);
    expect(code).toBe(2);
  });

  it("does not PASS before --min-probes probes, and PASSes once they are in", async () => {
    route(80, 20);
    const { code, report } = await runProberJson(["--expect", "80:20", "--min-probes", "3000", target]);
    expect(report.verdict).toBe("PASS");
    expect(code).toBe(0);
    expect(report.probes).toBeGreaterThanOrEqual(3000);
  });

  it("FAILs when a weight-0 version answers", async () => {
    route(90, 10);
    const { code, report } = await runProberJson(["--expect", "100:0", target]);
    expect(report.reason).toMatch(/^weight-0 version answered: two/);
    expect(code).toBe(1);
  });

  it("FAILs on a version whose prefix is not expected", async () => {
    route(40, 40, 20);
    const { code, report } = await runProberJson(["--expect", "50:50", target]);
    expect(report.unexpected.three).toBeGreaterThan(0);
    expect(report.reason).toMatch(/^replies with unexpected prefixes: three/);
    expect(code).toBe(1);
  });

  it("PASSes three versions at 50:30:20", async () => {
    route(50, 30, 20);
    const { code } = await runProberJson(["--expect", "50:30:20", target]);
    expect(code).toBe(0);
  });

  it("takes named weights and custom labels", async () => {
    route(80, 20);
    expect((await runProberJson(["--expect", "two=20,one=80", target])).code).toBe(0);
    expect((await runProberJson(["--expect", "4:1", "--labels", "one,two", target])).code).toBe(0);
  });

  it("reads the expectation from the tutorial's VirtualService file", async () => {
    route(80, 20);
    const { code, report } = await runProberJson([
      "--expect-from",
      fixture("tutorial-virtualservice-80-20.yaml"),
      target,
    ]);
    expect(report.expected).toEqual({ one: 0.8, two: 0.2 });
    expect(code).toBe(0);
  });

  it("reads the expectation from a TCPRoute on stdin", async () => {
    route(80, 20);
    const run = await runProber(
      ["--expect-from", "-", "--json", target],
      {},
      readFileSync(fixture("istio-tcproute-80-20.yaml"), "utf8"),
    );
    expect(JSON.parse(run.stdout).expected).toEqual({ one: 0.8, two: 0.2 });
    expect(run.code).toBe(0);
  });

  it("takes the target from INGRESS_HOST and INGRESS_PORT", async () => {
    route(100, 0);
    const { code, report } = await runProberJson(["--expect", "100:0"], {
      INGRESS_HOST: "127.0.0.1",
      INGRESS_PORT: String(splitter.port),
    });
    expect(report.target).toBe(target);
    expect(code).toBe(0);
  });

  it("takes options from PROBER_ variables, and starts beside a Service named prober's service links", async () => {
    route(100, 0);
    const { code, report } = await runProberJson([target], {
      PROBER_EXPECT: "100:0",
      PROBER_MAX_PROBES: "300",
      PROBER_PORT: "tcp://10.96.0.12:8080",
      PROBER_SERVICE_HOST: "10.96.0.12",
      PROBER_SERVICE_PORT_HTTP: "8080",
    });
    expect(code).toBe(0);
    expect(report.probes).toBeLessThanOrEqual(300);
  });

  it("reports that every line of a connection reached one version with --lines-per-connection", async () => {
    route(50, 50);
    const { report } = await runProberJson([
      "--expect",
      "50:50",
      "--lines-per-connection",
      "5",
      "-n",
      "200",
      "--no-early-stop",
      target,
    ]);
    expect(report.stickiness).toEqual({ connections: 200, sameVersion: 200 });
  });

  it("starts at most --rate probes per second", async () => {
    route(80, 20);
    const { report } = await runProberJson([
      "--expect",
      "80:20",
      "--rate",
      "100",
      "-n",
      "21",
      "--no-early-stop",
      target,
    ]);
    expect(report.probes).toBe(21);
    // The 21st probe may start no earlier than 200 ms after the first.
    expect(report.durationMs).toBeGreaterThanOrEqual(200);
  });

  it("stops at the --duration budget, INCONCLUSIVE", async () => {
    route(80, 20);
    const { code, report } = await runProberJson([
      "--expect",
      "80:20",
      "--tolerance",
      "0.001",
      "--duration",
      "0.5",
      "-n",
      "10000000",
      target,
    ]);
    expect(report.stoppedBy).toBe("duration");
    expect(report.reason).toMatch(/^time budget spent/);
    expect(code).toBe(2);
  });

  it("draws a progress bar on stderr when it is a terminal", async () => {
    route(80, 20);
    // script(1) gives the prober a pseudo-terminal; its output is the terminal's.
    const command = [
      process.execPath,
      PROBER_CLI,
      "--expect",
      "80:20",
      "-n",
      "3000",
      "--no-early-stop",
      target,
    ].join(" ");
    const run = spawnTracked("script", ["-qefc", command, "/dev/null"]);
    expect(await run.exited).toBe(0);
    expect(run.lines.join("\n")).toMatch(/probing \[.*\] \d+\/3000 probes \| one \d+ · two \d+ \| errors 0/);
  });

  it("prints a human table and the verdict line last", async () => {
    route(80, 20);
    const run = await runProber(["--expect", "80:20", target]);
    const lines = run.stdout.split("\n");
    expect(lines[1]).toMatch(/^version\s+expected\s+observed\s+99% bounds\s+replies\s+p50 ms\s+p99 ms$/);
    expect(lines[2]).toMatch(/^one\s+80.0%\s+\d+\.\d%\s+\[\d+\.\d%, \d+\.\d%\]\s+\d+/);
    expect(lines.at(-1)).toMatch(/^PASS: every version within ±5.0 pp of its weight at 99% confidence/);
    expect(run.stderr).toBe("");
  });

  it("prints a JSON report with every documented field", async () => {
    route(80, 20);
    const { report } = await runProberJson(["--expect", "80:20", target]);
    expect(Object.keys(report).sort()).toEqual(
      [
        "confidence",
        "counts",
        "durationMs",
        "errors",
        "expected",
        "goodnessOfFit",
        "intervals",
        "latencyMs",
        "method",
        "pValue",
        "probes",
        "probesPerSecond",
        "probesToSettle",
        "reason",
        "segments",
        "convergedAfterMs",
        "convergedAfterProbes",
        "trace",
        "expectedFrom",
        "shares",
        "stickiness",
        "stoppedBy",
        "target",
        "tolerance",
        "unexpected",
        "verdict",
      ].sort(),
    );
    expect(report.counts.one + report.counts.two).toBe(report.probes);
    expect(report.intervals.one.lower).toBeLessThan(report.shares.one);
    expect(report.method).toMatch(/mixture sequential probability ratio tests/);
    expect(report.segments).toHaveLength(1);
    expect(report.convergedAfterMs).toBeNull();
    expect(report.trace).toBeNull();
    expect(report.pValue).toBe(report.goodnessOfFit.pValue);
  });
});

describe("prober against broken targets", () => {
  it("is ERROR with exit code 3 when nothing listens", async () => {
    const closed = await rogueServer(() => {});
    await closed.close();
    const { code, report } = await runProberJson(["--expect", "80:20", `127.0.0.1:${closed.port}`]);
    expect(report.verdict).toBe("ERROR");
    expect(report.errors.refused).toBeGreaterThanOrEqual(10);
    expect(code).toBe(3);
  });

  it("classifies garbage replies as bad-echo errors", async () => {
    const garbage = await rogueServer((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    const { code, report } = await runProberJson(["--expect", "80:20", `127.0.0.1:${garbage.port}`]);
    await garbage.close();
    expect(report.errors["bad-echo"]).toBeGreaterThanOrEqual(10);
    expect(code).toBe(3);
  });

  it("classifies a server that never replies as read timeouts", async () => {
    const silent = await rogueServer(() => {});
    const { code, report } = await runProberJson([
      "--expect",
      "80:20",
      "--timeout",
      "0.2",
      `127.0.0.1:${silent.port}`,
    ]);
    await silent.close();
    expect(report.errors["read-timeout"]).toBeGreaterThanOrEqual(10);
    expect(code).toBe(3);
  });

  it("counts probes still in flight when the split settles, so a hanging version shows as ERROR", async () => {
    const one = await startEchoServerProcess("0", "one");
    const hanging = await rogueServer(() => {});
    const splitter = await startWeightedSplitter([
      { host: "127.0.0.1", port: one.ports[0] as number, weight: 80 },
      { host: "127.0.0.1", port: hanging.port, weight: 20 },
    ]);
    const { code, report } = await runProberJson([
      "--expect",
      "100:0",
      "--timeout",
      "0.3",
      `127.0.0.1:${splitter.port}`,
    ]);
    await splitter.close();
    await hanging.close();
    await one.stop();
    expect(report.errors["read-timeout"]).toBeGreaterThan(0);
    expect(code).toBe(3);
  });

  it("classifies connections a listener never accepts as connect-timeout", async () => {
    const listener = spawnTracked(
      "python3",
      [fileURLToPath(new URL("./fixtures/never-accepting-listener.py", import.meta.url))],
      {},
      "",
    );
    const port = await listener.waitForLine((line) => /^\d+$/.test(line), "the listener's port");
    const { code, report } = await runProberJson([
      "--expect",
      "80:20",
      "--connect-timeout",
      "0.2",
      "--timeout",
      "0.2",
      `127.0.0.1:${port}`,
    ]);
    listener.child.kill();
    expect(report.errors["connect-timeout"]).toBeGreaterThan(0);
    expect(code).toBe(3);
  });

  it("classifies a server that closes at once as closed-without-reply", async () => {
    const rude = await rogueServer((socket) => socket.end());
    const { report } = await runProberJson(["--expect", "80:20", `127.0.0.1:${rude.port}`]);
    await rude.close();
    expect(report.errors["closed-without-reply"]).toBeGreaterThanOrEqual(10);
  });
});

describe("prober against hostile or odd targets", () => {
  it("keeps its peak memory under 150 MB against a target that streams bytes without a newline", async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const flood = await rogueServer((socket) => {
      const pump = () => {
        while (!socket.destroyed && socket.write(chunk));
      };
      socket.on("drain", pump);
      pump();
    });
    const proc = spawnTracked(
      process.execPath,
      [
        "--require",
        fixture("report-max-rss.cjs"),
        PROBER_CLI,
        "--expect",
        "80:20",
        "--duration",
        "3",
        "--json",
        `127.0.0.1:${flood.port}`,
      ],
      {},
      "",
    );
    await proc.exited;
    await flood.close();
    const report = JSON.parse(proc.lines.join("\n"));
    expect(report.errors["bad-echo"]).toBeGreaterThan(0);
    expect(report.errors["read-timeout"]).toBeUndefined();
    const maxRssKb = Number(/max-rss-kb=(\d+)/.exec(proc.stderr())?.[1]);
    expect(maxRssKb).toBeGreaterThan(0);
    expect(maxRssKb).toBeLessThan(150 * 1024);
  });

  it("prints an IPv6 target in brackets, in the text and the JSON report", async () => {
    const { report } = await runProberJson(["--expect", "80:20", "-n", "5", "[::1]:1"]);
    expect(report.target).toBe("[::1]:1");
    const text = await runProber(["--expect", "80:20", "-n", "5", "[::1]:1"]);
    expect(text.stdout.split("\n")[0]).toMatch(/^target \[::1\]:1: /);
  });

  it("gives a name that does not resolve its own error kind", async () => {
    const { report } = await runProberJson(["--expect", "80:20", "-n", "20", "nowhere.invalid:31400"]);
    expect(Object.keys(report.errors)).toEqual(["unresolved"]);
    expect(report.verdict).toBe("ERROR");
  });

  it("stops on SIGTERM like SIGINT: the report of what was seen, exit code 2", async () => {
    let connections = 0;
    let proc: ReturnType<typeof spawnTracked> | undefined;
    // Answers as tcp-echo's v1 would, and sends SIGTERM to the prober at its 20th connection.
    const counting = await rogueServer((socket) => {
      connections += 1;
      if (connections === 20) proc?.child.kill("SIGTERM");
      socket.on("data", (line: Buffer) => socket.write(Buffer.concat([Buffer.from("one "), line])));
    });
    proc = spawnTracked(
      process.execPath,
      [PROBER_CLI, "--expect", "80:20", "--rate", "50", "--json", `127.0.0.1:${counting.port}`],
      {},
      "",
    );
    const code = await proc.exited;
    await counting.close();
    const report = JSON.parse(proc.lines.join("\n"));
    expect(code).toBe(2);
    expect(report.stoppedBy).toBe("interrupted");
    expect(report.probes).toBeGreaterThan(0);
  });
});

describe("prober usage errors (exit code 64, one line on stderr)", () => {
  const cases: [string, string[], RegExp][] = [
    ["no expectation", ["127.0.0.1:9"], /missing --expect/],
    [
      "no target",
      ["--expect", "80:20"],
      /missing target: give host:port, or set INGRESS_HOST and INGRESS_PORT/,
    ],
    ["a bad target", ["--expect", "80:20", "nowhere"], /invalid target "nowhere"/],
    ["a bad port", ["--expect", "80:20", "localhost:99999"], /invalid port "99999"/],
    ["negative weights", ["--expect", "80:-20", "127.0.0.1:9"], /weight -20 is negative/],
    ["all-zero weights", ["--expect", "0:0", "127.0.0.1:9"], /the weights are all zero/],
    ["bad weight syntax", ["--expect", "80/20", "127.0.0.1:9"], /"80\/20" is not a weight/],
    [
      "a label count mismatch",
      ["--expect", "80:20", "--labels", "a,b,c", "127.0.0.1:9"],
      /2 weights but 3 labels/,
    ],
    [
      "both --expect and --expect-from",
      ["--expect", "80:20", "--expect-from", "x.yaml", "127.0.0.1:9"],
      /not both/,
    ],
    [
      "a missing --expect-from file",
      ["--expect-from", "/nonexistent.yaml", "127.0.0.1:9"],
      /cannot read --expect-from/,
    ],
    ["a confidence of 1", ["--expect", "80:20", "--confidence", "1", "127.0.0.1:9"], /invalid --confidence/],
    ["a zero concurrency", ["--expect", "80:20", "-c", "0", "127.0.0.1:9"], /invalid --concurrency/],
    ["an unknown option", ["--expect", "80:20", "--fast", "127.0.0.1:9"], /Unknown argument: fast/],
    [
      "both --wait and --duration",
      ["--expect", "80:20", "--wait", "30", "--duration", "5", "127.0.0.1:9"],
      /give either --wait or --duration/,
    ],
    [
      "a --min-probes above the probe budget",
      ["--expect", "80:20", "--min-probes", "500", "-n", "100", "127.0.0.1:9"],
      /invalid --min-probes: must be a whole number from 0 to the probe budget/,
    ],
    [
      "a wait of 0",
      ["--expect", "80:20", "--wait", "0", "127.0.0.1:9"],
      /invalid --wait: must be a number > 0/,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(`rejects ${what}`, async () => {
      const run = await runProber(args);
      expect(run.stderr).toMatch(/^prober: /);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(run.code).toBe(64);
    });
  }
});
