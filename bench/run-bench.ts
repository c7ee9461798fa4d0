#!/usr/bin/env node
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { SERVER_KINDS, type ServerKind } from "./echo-peers.js";
import { benchFleet, type FleetFigure } from "./fleet-bench.js";
import { type ImageSize, measureImageSize } from "./image-size.js";
import { buildPeers } from "./peer-binaries.js";
import { benchProber, type ProberFigures } from "./prober-bench.js";
import { benchServers, type ServerFigures } from "./server-bench.js";
import { benchStatistics, type StatisticsFigures } from "./statistics-bench.js";
import { lineChart } from "./svg-chart.js";

interface Ratio {
  figure: string;
  ours: number;
  peer: number;
  ratio: number;
  /** Smallest acceptable ratio; null for a reference figure with no goal. */
  goal: number | null;
}

const COLORS: Record<ServerKind, string> = {
  "tcp-echo": "#d62728",
  "tcp-echo-workers": "#ff7f0e",
  "go-tuned": "#1f77b4",
  istio: "#2ca02c",
  fortio: "#9467bd",
};

/**
 * Ours against the Go anchor in every mode. The goal applies to `--workers auto`, which like Go's runtime
 * uses every core; the single process, the default, is listed beside it as a reference.
 */
function serverRatios(servers: ServerFigures[]): Ratio[] {
  const anchor = servers.find((s) => s.kind === "go-tuned");
  if (!anchor) return [];
  const ratios: Ratio[] = [];
  for (const [kind, label, goal] of [
    ["tcp-echo-workers", "--workers auto", 1],
    ["tcp-echo", "1 process", null],
  ] as const) {
    const ours = servers.find((s) => s.kind === kind);
    if (!ours) continue;
    const add = (figure: string, a: number | undefined, b: number | undefined) => {
      if (a !== undefined && b)
        ratios.push({ figure: `${figure} (${label})`, ours: a, peer: b, ratio: a / b, goal });
    };
    for (const c of Object.keys(ours.connections))
      add(
        `new connections/s, ${c} clients`,
        ours.connections[+c]?.perSecond,
        anchor.connections[+c]?.perSecond,
      );
    for (const c of Object.keys(ours.lines))
      add(`pipelined lines/s, ${c} clients`, ours.lines[+c]?.perSecond, anchor.lines[+c]?.perSecond);
    for (const c of Object.keys(ours.exchanges))
      add(
        `request/reply lines/s, ${c} open connections`,
        ours.exchanges[+c]?.perSecond,
        anchor.exchanges[+c]?.perSecond,
      );
    add("bytes/s, 64 KiB lines, 32 clients", ours.bytesPerSecond64KiB, anchor.bytesPerSecond64KiB);
  }
  return ratios;
}

function proberRatios(prober: ProberFigures | undefined): Ratio[] {
  return Object.entries(prober?.throughput ?? {}).flatMap(([c, t]) => [
    {
      figure: `prober probes/s vs Go dial loop, ${c} in flight`,
      ours: t.proberPerSecond,
      peer: t.goLoopPerSecond,
      ratio: t.proberPerSecond / t.goLoopPerSecond,
      goal: 0.9,
    },
    {
      figure: `prober probes/s vs bare Node dial loop, ${c} in flight`,
      ours: t.proberPerSecond,
      peer: t.nodeLoopPerSecond,
      ratio: t.proberPerSecond / t.nodeLoopPerSecond,
      goal: null,
    },
  ]);
}

const n = (value: number) => Math.round(value).toLocaleString("en-US");

function markdown(
  machine: Record<string, string>,
  servers: ServerFigures[],
  prober: ProberFigures | undefined,
  ratios: Ratio[],
  image: ImageSize | undefined,
  statistics: StatisticsFigures | undefined,
): string {
  const lines = [
    `# Benchmark results`,
    "",
    `${machine.date} on ${machine.cpus} (${machine.cores} cores, ${machine.memory}), ${machine.node}, ${machine.go}; loopback, load from the Go generator in bench/go/load.`,
    "",
  ];
  if (ratios.length > 0) {
    lines.push(
      "## Ratios (this project / peer, same run)",
      "",
      "| figure | ours | peer | ratio | goal |",
      "|---|---|---|---|---|",
    );
    for (const r of ratios)
      lines.push(
        `| ${r.figure} | ${n(r.ours)} | ${n(r.peer)} | ${r.ratio.toFixed(2)} | ${r.goal === null ? "reference" : `≥ ${r.goal}`} |`,
      );
    lines.push("");
  }
  if (servers.length > 0) {
    const kinds = servers.map((s) => s.kind);
    lines.push(
      "## Servers",
      "",
      `| figure | ${kinds.map((k) => `${k}`).join(" | ")} |`,
      `|---|${kinds.map(() => "---").join("|")}|`,
    );
    const row = (figure: string, pick: (s: ServerFigures) => string) =>
      lines.push(`| ${figure} | ${servers.map(pick).join(" | ")} |`);
    for (const c of Object.keys(servers[0]?.connections ?? {}))
      row(`new connections/s, ${c} clients`, (s) => n(s.connections[+c]?.perSecond ?? 0));
    const c32 = servers[0]?.connections[32] ? 32 : Number(Object.keys(servers[0]?.connections ?? {})[0]);
    row(
      `latency p50 / p99 µs (connect to reply, ${c32} clients)`,
      (s) => `${n(s.connections[c32]?.p50Micros ?? 0)} / ${n(s.connections[c32]?.p99Micros ?? 0)}`,
    );
    for (const c of Object.keys(servers[0]?.lines ?? {}))
      row(`pipelined lines/s, ${c} clients`, (s) => n(s.lines[c as unknown as number]?.perSecond ?? 0));
    for (const c of Object.keys(servers[0]?.exchanges ?? {}))
      row(
        `request/reply lines/s, ${c} open connections (p99 µs)`,
        (s) => `${n(s.exchanges[+c]?.perSecond ?? 0)} (${n(s.exchanges[+c]?.p99Micros ?? 0)})`,
      );
    row("MB/s, 64 KiB lines, 32 clients", (s) => (s.bytesPerSecond64KiB / 1e6).toFixed(0));
    for (const count of Object.keys(servers[0]?.rssMegabytes ?? {}))
      row(`RSS MB, ${count} idle connections`, (s) => (s.rssMegabytes[+count] ?? 0).toFixed(1));
    row("start to first accepted connection, ms", (s) => s.startupMs.toFixed(0));
    lines.push("", servers.map((s) => `- \`${s.kind}\`: ${SERVER_KINDS[s.kind]}`).join("\n"), "");
  }
  if (prober) {
    lines.push(
      "## Prober",
      "",
      "| true split | verdict | median probes | 90th pct | rate | fixed-sample test | wall time (real, loopback) |",
      "|---|---|---|---|---|---|---|",
    );
    for (const s of prober.settle) {
      lines.push(
        `| ${s.truth} (expect 80:20) | ${s.verdict} | ${n(s.medianProbes)} | ${n(s.p90Probes)} | ${(s.rate * 100).toFixed(1)}% | ${n(s.fixedSampleProbes)} | ${n(s.wallMs)} ms, ${n(s.wallProbes)} probes |`,
      );
    }
    lines.push(
      "",
      "Fixed-sample sizes, by the exact binomial: 99% confidence and 90% power at ±5 pp (two one-sided tests at the true 80:20; a one-sided test against the band's edge at 70:30). They cannot stop early or be re-run safely; the prober can.",
      "",
    );
  }
  if (statistics) lines.push(...statisticsMarkdown(statistics));
  if (image) {
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
    lines.push(
      "## Container image",
      "",
      `${mb(image.imageBytes)} MB in all: ${mb(image.addedBytes)} MB (${n(image.addedBytes)} bytes) on top of its base, ${image.base}, of ${mb(image.baseBytes)} MB.`,
      "",
    );
  }
  return `${lines.join("\n")}\n`;
}

const pct = (share: number, digits = 2) => `${(share * 100).toFixed(digits)}%`;

function statisticsMarkdown(statistics: StatisticsFigures): string[] {
  const lines = [
    "## Prober statistics (seeded simulation through the library, defaults: 99%, ±5 pp)",
    "",
    "| situation | claim | runs | rate of the verdict named | 95% interval (Wilson) | median probes | 90th pct | median after the change | PASS while outside the band [95%] |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const s of statistics.scenarios) {
    lines.push(
      `| ${s.name} | ${s.claim} | ${s.runs} | ${s.verdict} ${pct(s.rate)} | [${pct(s.interval.lower)}, ${pct(s.interval.upper)}] | ${s.medianProbes} | ${s.p90Probes} | ${s.medianAfterChange ?? "-"} | ${s.passOutside ? `${pct(s.passOutside.rate)} [${pct(s.passOutside.interval.lower)}, ${pct(s.passOutside.interval.upper)}]` : "-"} |`,
    );
  }
  lines.push("", "| fixed-sample test for the same question | probes |", "|---|---|");
  for (const f of statistics.fixedSample) lines.push(`| ${f.question} | ${f.probes} |`);
  const { watch } = statistics;
  lines.push(
    "",
    `**watch**: ${watch.falseAlarms} change alarms over ${watch.stillHours} simulated hours of a still 80:20 at 150 probes/s (${watch.stillHours * 540_000} probes).`,
    "",
    "| change | median delay, probes | 90th pct | median at 150 probes/s |",
    "|---|---|---|---|",
    ...watch.delays.map(
      (d) => `| ${d.change} | ${d.medianProbes} | ${d.p90Probes} | ${d.medianSecondsAt150.toFixed(2)} s |`,
    ),
    "",
    `Memory: ${watch.memory.probes} real probes through the loopback splitter in ${watch.memory.seconds.toFixed(0)} s: RSS ${watch.memory.rssStartMb.toFixed(0)} MB before, ${watch.memory.rssEndMb.toFixed(0)} MB after (heap ${watch.memory.heapEndMb.toFixed(0)} MB).`,
    "",
    "| gateway | configured | probes | observed share of one | 99% bounds | verdict at ±1 pp |",
    "|---|---|---|---|---|---|",
    ...statistics.gateways.map(
      (g) =>
        `| ${g.gateway} | ${g.configured} | ${g.probes} | ${pct(g.shareOfOne)} | [${pct(g.interval.lower)}, ${pct(g.interval.upper)}] | ${g.verdict} |`,
    ),
    "",
  );
  return lines;
}

function fleetMarkdown(fleet: FleetFigure[]): string[] {
  const verdicts = (v: Record<string, number>) =>
    Object.entries(v)
      .filter(([, count]) => count > 0)
      .map(([verdict, count]) => `${verdict} ${count}`)
      .join(", ");
  return [
    "## Every replica of a fleet (seeded simulation through the library, 80:20, defaults: 99%, ±5 pp)",
    "",
    "| replicas | runs | healthy fleet: verdicts | median probes [90th pct] | one check through the Service: median [90th pct] | cost ratio | wrong FAIL [95%] | one stale at 100:0: fleet | median probes | through the Service (mix) |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...fleet.map(
      (f) =>
        `| ${f.replicas} | ${f.runs} | ${verdicts(f.healthy.verdicts)} | ${f.healthy.medianProbes} [${f.healthy.p90Probes}] | ${f.throughService.medianProbes} [${f.throughService.p90Probes}] | ${f.costRatio.toFixed(2)}× | ${pct(f.wrongFail.rate)} [${pct(f.wrongFail.interval.lower)}, ${pct(f.wrongFail.interval.upper)}] | ${verdicts(f.stale.fleet.verdicts)} | ${f.stale.fleet.medianProbes} | ${pct(f.stale.mixShareOfOne)}: ${verdicts(f.stale.throughService.verdicts)} |`,
    ),
    "",
  ];
}

/** One line per server kind against a log-scale x axis. */
function serverChart(
  servers: ServerFigures[],
  title: string,
  xLabel: string,
  yLabel: string,
  points: (server: ServerFigures) => [number, number][],
): string {
  return lineChart({
    title,
    xLabel: `${xLabel} (log scale)`,
    yLabel,
    logX: true,
    series: servers.map((s) => ({ name: s.kind, color: COLORS[s.kind], points: points(s) })),
  });
}

async function main(): Promise<void> {
  const args = yargs(hideBin(process.argv))
    .scriptName("bench")
    .options({
      quick: {
        type: "boolean",
        default: false,
        describe: "tiny durations: checks the harness, not the figures",
      },
      only: { choices: ["server", "prober", "statistics", "fleet"] as const, describe: "run one part" },
      compare: { type: "boolean", default: false, describe: "exit 1 when a ratio is below its goal" },
      out: {
        type: "string",
        default: "bench/results",
        describe: "folder for bench.json, bench.md and the SVG charts",
      },
    })
    .strict()
    .parseSync();
  await buildPeers();
  const seconds = args.quick ? 0.3 : 2;
  const machine = {
    date: new Date().toISOString().slice(0, 10),
    cpus: cpus()[0]?.model ?? "unknown CPU",
    cores: String(cpus().length),
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: `Node ${process.versions.node}`,
    go: execFileSync("go", ["version"], { encoding: "utf8" }).trim().split(" ")[2] ?? "go",
  };

  const servers: ServerFigures[] = [];
  if (args.only === undefined || args.only === "server") {
    process.stderr.write(`bench: servers ${Object.keys(SERVER_KINDS).join(", ")}\n`);
    servers.push(
      ...(await benchServers(Object.keys(SERVER_KINDS) as ServerKind[], {
        seconds,
        connClients: [1, 32, 256],
        pipeClients: args.quick ? [1, 32] : [1, 32, 256, 1024],
        pingClients: args.quick ? [1, 100] : [1, 100, 1000, 10_000],
        idleCounts: args.quick ? [100] : [1, 100, 1000, 10_000],
      })),
    );
  }
  let prober: ProberFigures | undefined;
  let statistics: StatisticsFigures | undefined;
  if (args.only === undefined || args.only === "statistics") {
    process.stderr.write("bench: prober statistics\n");
    statistics = await benchStatistics({
      runs: args.quick ? 10 : 2000,
      watchHours: args.quick ? 1 : 10,
      delayRuns: args.quick ? 5 : 500,
      memoryProbes: args.quick ? 2000 : 540_000,
      gatewayProbes: args.quick ? 2000 : 30_000,
    });
  }
  if (args.only === undefined || args.only === "prober") {
    process.stderr.write("bench: prober\n");
    prober = await benchProber({
      seconds,
      probes: args.quick ? 300 : 20_000,
      concurrency: [16, 32],
      rounds: args.quick ? 1 : 5,
      simulations: args.quick ? 10 : 500,
      wallRuns: args.quick ? 1 : 9,
    });
  }
  let fleet: FleetFigure[] | undefined;
  if (args.only === undefined || args.only === "fleet") {
    process.stderr.write("bench: every replica of a fleet against one check through the Service\n");
    fleet = await benchFleet({
      runs: args.quick ? 5 : 500,
      sizes: [1, 2, 5, 10],
      onProgress: (done) => process.stderr.write(`bench: fleet ${done} done\n`),
    });
  }
  const ratios = [...serverRatios(servers), ...proberRatios(prober)];
  // The image build takes half a minute and the registry; the --quick smoke run and --only leave it out.
  let image: ImageSize | undefined;
  if (!args.quick && !args.only) {
    process.stderr.write("bench: image size\n");
    image = await measureImageSize();
  }

  mkdirSync(args.out, { recursive: true });
  writeFileSync(
    `${args.out}/bench.json`,
    `${JSON.stringify({ machine, servers, prober, statistics, fleet, ratios, image }, null, 2)}\n`,
  );
  writeFileSync(
    `${args.out}/bench.md`,
    [
      markdown(machine, servers, prober, ratios, image, statistics),
      ...(fleet ? fleetMarkdown(fleet) : []),
    ].join("\n"),
  );
  if (servers.length > 0) {
    writeFileSync(
      `${args.out}/throughput.svg`,
      serverChart(
        servers,
        "Pipelined lines per second vs concurrent clients",
        "concurrent clients",
        "lines per second",
        (s) => Object.entries(s.lines).map(([c, l]) => [Number(c), l.perSecond]),
      ),
    );
    writeFileSync(
      `${args.out}/connections.svg`,
      serverChart(
        servers,
        "Request/reply lines per second vs open connections",
        "open connections",
        "lines per second",
        (s) => Object.entries(s.exchanges).map(([c, e]) => [Number(c), e.perSecond]),
      ),
    );
    writeFileSync(
      `${args.out}/memory.svg`,
      serverChart(servers, "Resident memory vs idle connections", "idle connections", "RSS, MB", (s) =>
        Object.entries(s.rssMegabytes)
          .filter(([c]) => +c > 0)
          .map(([c, mb]) => [Number(c), mb]),
      ),
    );
  }
  if (prober) {
    writeFileSync(
      `${args.out}/convergence.svg`,
      lineChart({
        title: "Prober convergence at a true 80:20 (share of one)",
        xLabel: "probes (log scale)",
        yLabel: "share of one",
        logX: true,
        yMin: 0.5,
        yMax: 1,
        bands: [
          {
            name: "99% confidence sequence",
            color: "#1f77b4",
            points: prober.convergence.map((p) => [p.probes, p.lower, p.upper]),
          },
          {
            name: "tolerance 75-85%",
            color: "#2ca02c",
            points: prober.convergence.map((p) => [p.probes, 0.75, 0.85]),
          },
        ],
        series: [
          {
            name: "observed share",
            color: "#d62728",
            points: prober.convergence.map((p) => [p.probes, p.share]),
          },
        ],
      }),
    );
  }
  for (const r of ratios)
    process.stdout.write(
      `${r.figure}: ${n(r.ours)} vs ${n(r.peer)} = ${r.ratio.toFixed(2)}×${r.goal === null ? "" : ` (goal ≥ ${r.goal})`}\n`,
    );
  process.stdout.write(`bench: figures in ${args.out}/bench.json and bench.md\n`);
  const below = ratios.filter((r) => r.goal !== null && r.ratio < r.goal);
  if (args.compare && below.length > 0) {
    process.stderr.write(
      `bench: ${below.length} ratio(s) below goal: ${below.map((r) => r.figure).join("; ")}\n`,
    );
    process.exitCode = 1;
  }
}

await main();
