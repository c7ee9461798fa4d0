import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../devtools/free-port.js";
import { runProbeCampaign } from "../../prober/campaign/probe-campaign.js";
import { parseExpectation } from "../../prober/expectations/expectation.js";
import { type EchoServerProcess, startEchoServerProcess } from "./echo-server-process.js";
import { type GatewayBackend, type L4Gateway, startGateway } from "./l4-gateway.js";
import { runProberJson } from "./prober-process.js";
import { openConnection, readAtLeast } from "./tcp-client.js";

/** Sends a line on an open connection and returns the prefix of its reply. */
async function prefixOf(socket: Awaited<ReturnType<typeof openConnection>>, line: string): Promise<string> {
  socket.write(`${line}\n`);
  const reply = (await readAtLeast(socket, line.length + 5)).toString();
  return reply.slice(0, reply.indexOf(` ${line}\n`));
}

/** The end-to-end specification every real L4 gateway must meet, with project servers behind it. */
export function describeGateway(kind: "haproxy" | "nginx"): void {
  describe(`prober through ${kind} with weighted backends`, () => {
    let servers: EchoServerProcess[];
    let gateway: L4Gateway;
    let target: string;
    const split = (...weights: number[]): GatewayBackend[] =>
      servers.map((server, i) => ({
        name: `v${i + 1}`,
        port: server.ports[0] as number,
        weight: weights[i] ?? 0,
      }));
    const prober = (expect: string, ...extra: string[]) =>
      runProberJson(["--expect", expect, ...extra, target]);

    beforeAll(async () => {
      servers = await Promise.all(
        ["one", "two", "three"].map((prefix) => startEchoServerProcess("0", prefix)),
      );
      gateway = await startGateway(kind, split(80, 20));
      target = `127.0.0.1:${gateway.port}`;
    });
    afterAll(async () => {
      await gateway?.stop();
      await Promise.all(servers.map((server) => server.stop()));
    });

    it("PASSes at the configured 80:20", async () => {
      const { code, report } = await prober("80:20");
      expect(report.verdict).toBe("PASS");
      expect(code).toBe(0);
    });

    it("FAILs when the gateway really splits 50:50 while 80:20 is expected", async () => {
      await gateway.reload(split(50, 50));
      const { code, report } = await prober("80:20");
      expect(report.verdict).toBe("FAIL");
      expect(code).toBe(1);
    });

    it("FAILs when the gateway sends everything to v1 while 80:20 is expected", async () => {
      await gateway.reload(split(100, 0));
      expect((await prober("80:20")).report.verdict).toBe("FAIL");
    });

    it("FAILs when a weight-0 version answers", async () => {
      await gateway.reload(split(90, 10));
      const { report } = await prober("100:0");
      expect(report.reason).toMatch(/^weight-0 version answered: two/);
    });

    it("is INCONCLUSIVE with a tiny probe budget", async () => {
      await gateway.reload(split(80, 20));
      const { code, report } = await prober("80:20", "-n", "20");
      expect(report.verdict).toBe("INCONCLUSIVE");
      expect(code).toBe(2);
    });

    it("PASSes three versions at 50:30:20", async () => {
      await gateway.reload(split(50, 30, 20));
      expect((await prober("50:30:20")).report.verdict).toBe("PASS");
    });

    it("sends every line of one connection to one version (routing is per connection)", async () => {
      await gateway.reload(split(50, 50));
      const { report } = await prober(
        "50:50",
        "--lines-per-connection",
        "10",
        "-n",
        "100",
        "--no-early-stop",
      );
      expect(report.stickiness).toEqual({ connections: 100, sameVersion: 100 });
    });

    it("is ERROR with the reason when the gateway is up but a backend is down", async () => {
      // v2 points at a free port: nothing listens there.
      const broken = await startGateway(kind, [
        ...split(80).slice(0, 1),
        { name: "v2", port: await freePort(), weight: 20 },
      ]);
      try {
        const { code, report } = await runProberJson(["--expect", "80:20", `127.0.0.1:${broken.port}`]);
        expect(report.verdict).toBe("ERROR");
        expect(report.reason).toMatch(/of probes failed \((closed-without-reply|reset|read-timeout) \d+/);
        expect(code).toBe(3);
      } finally {
        await broken.stop();
      }
    });

    it("walks the tutorial's shift 100:0 → 80:20 → 50:50 → 0:100 by reload, verified at each step, without moving open connections", async () => {
      const open: { socket: Awaited<ReturnType<typeof openConnection>>; prefix: string }[] = [];
      try {
        for (const [w1, w2] of [
          [100, 0],
          [80, 20],
          [50, 50],
          [0, 100],
        ] as const) {
          await gateway.reload(split(w1, w2));
          const { report } = await prober(`${w1}:${w2}`);
          expect(report.verdict, `step ${w1}:${w2}: ${report.reason}`).toBe("PASS");
          const socket = await openConnection(gateway.port);
          open.push({ socket, prefix: await prefixOf(socket, `opened at ${w1}:${w2}`) });
          for (const [i, connection] of open.entries()) {
            expect(await prefixOf(connection.socket, `after ${w1}:${w2} #${i}`)).toBe(connection.prefix);
          }
        }
        expect(open.map((c) => c.prefix)).toEqual(["one", expect.any(String), expect.any(String), "two"]);
      } finally {
        for (const { socket } of open) socket.destroy();
      }
    }, 60_000);

    it("FAILs no more often than its confidence allows over 50 runs at the true 80:20 (confidence 0.9: at most 12 of 50)", async () => {
      await gateway.reload(split(80, 20));
      let failures = 0;
      for (let run = 0; run < 50; run++) {
        const report = await runProbeCampaign({
          host: "127.0.0.1",
          port: gateway.port,
          expected: parseExpectation("80:20"),
          confidence: 0.9,
        });
        expect(report.verdict).not.toBe("ERROR");
        if (report.verdict === "FAIL") failures += 1;
      }
      // Even at its 10% bound, more than 12 FAILs in 50 runs would happen with probability < 0.1%.
      expect(failures).toBeLessThanOrEqual(12);
    }, 600_000);
  });
}
