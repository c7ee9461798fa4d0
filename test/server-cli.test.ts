import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVER_CLI, spawnTracked } from "./support/child-processes.js";
import { startEchoServerProcess } from "./support/echo-server-process.js";
import { type RogueServer, rogueServer } from "./support/rogue-server.js";
import { exchange } from "./support/tcp-client.js";

async function runServer(args: string[], launcher: string[] = []) {
  const argv = [...launcher, process.execPath, SERVER_CLI, ...args];
  const proc = spawnTracked(argv[0] as string, argv.slice(1));
  const code = await proc.exited;
  return { code, stderr: proc.stderr() };
}

describe("tcp-echo argument errors", () => {
  // A bare listener holds the port: a server told to listen there fails with EADDRINUSE.
  let occupied: RogueServer;
  beforeAll(async () => {
    occupied = await rogueServer(() => {});
  });
  afterAll(() => occupied.close());

  const cases: [string, string[], RegExp][] = [
    ["no arguments", [], /^tcp-echo: missing <ports>/],
    ["no prefix", ["9000"], /^tcp-echo: missing <prefix>/],
    ["port 0", ["0", "one"], /^tcp-echo: invalid port "0": must be 1-65535/],
    ["port 70000", ["70000", "one"], /^tcp-echo: invalid port "70000": must be 1-65535/],
    ["port abc", ["abc", "one"], /^tcp-echo: invalid port "abc": not a number/],
    ["an empty port in the list", ["9000,", "one"], /^tcp-echo: invalid port "": not a number/],
    ["a port listed twice", ["9000,9000", "one"], /^tcp-echo: port 9000 is listed twice/],
    ["an unknown option", ["9000", "one", "--bogus"], /^tcp-echo: Unknown argument: bogus/],
    [
      "a non-numeric limit",
      ["9000", "one", "--max-line-bytes", "lots"],
      /^tcp-echo: invalid --max-line-bytes/,
    ],
    ["a negative timeout", ["9000", "one", "--idle-timeout", "-1"], /^tcp-echo: invalid --idle-timeout/],
    ["an unknown log level", ["9000", "one", "--log-level", "loud"], /^tcp-echo: Invalid values:/],
    ["zero workers", ["9000", "one", "--workers", "0"], /^tcp-echo: invalid --workers: "0"/],
    ["a worker count that is a word", ["9000", "one", "--workers", "many"], /^tcp-echo: invalid --workers/],
  ];
  for (const [what, args, message] of cases) {
    it(`rejects ${what} with one line on stderr and exit code 64`, async () => {
      const { code, stderr } = await runServer(args);
      expect(stderr).toMatch(message);
      expect(stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(code).toBe(64);
    });
  }

  it("reports a port already in use with exit code 69", async () => {
    const { code, stderr } = await runServer([String(occupied.port), "one", "--host", "127.0.0.1"]);
    expect(stderr).toMatch(new RegExp(`^tcp-echo: cannot listen on port ${occupied.port}: .*EADDRINUSE`));
    expect(code).toBe(69);
  });

  it("reports a privileged port refused to an unprivileged user with exit code 77", async () => {
    // As root the bind would succeed, so drop to the nobody user for this one.
    const launcher =
      process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    const { code, stderr } = await runServer(["80", "one", "--host", "127.0.0.1"], launcher);
    expect(stderr).toMatch(/^tcp-echo: cannot listen on port 80: .*EACCES/);
    expect(code).toBe(77);
  });

  it("prints usage with every option and the exit codes on --help", async () => {
    const proc = spawnTracked(process.execPath, [SERVER_CLI, "--help"]);
    expect(await proc.exited).toBe(0);
    const help = proc.lines.join("\n");
    for (const option of [
      "--host",
      "--log-level",
      "--log-lines",
      "--max-line-bytes",
      "--idle-timeout",
      "--max-connections",
      "--drain-timeout",
      "--admin-port",
    ]) {
      expect(help).toContain(option);
    }
    expect(help).toContain("Exit codes:");
  });
});

describe("tcp-echo options from the environment", () => {
  it("takes --max-line-bytes from TCP_ECHO_MAX_LINE_BYTES", async () => {
    const server = await startEchoServerProcess("0", "one", [], { TCP_ECHO_MAX_LINE_BYTES: "4" });
    const reply = await exchange(server.ports[0] as number, ["abcd\nabcde\nnever\n"]);
    await server.stop();
    expect(reply.toString()).toBe("one abcd\n");
  });

  it("starts and serves beside the variables Kubernetes' service links put into a pod of release tcp-echo", async () => {
    // What the kubelet sets for the Services tcp-echo, tcp-echo-v1 and tcp-echo-v2 (docker-links style).
    const serviceLinks = {
      TCP_ECHO_PORT: "tcp://10.96.0.10:9000",
      TCP_ECHO_SERVICE_HOST: "10.96.0.10",
      TCP_ECHO_SERVICE_PORT: "9000",
      TCP_ECHO_PORT_9001_TCP: "tcp://10.96.0.10:9001",
      TCP_ECHO_V1_PORT: "tcp://10.96.0.11:9000",
      TCP_ECHO_V2_SERVICE_PORT_TCP: "9000",
    };
    const server = await startEchoServerProcess("0", "one", [], {
      ...serviceLinks,
      TCP_ECHO_MAX_LINE_BYTES: "4",
    });
    const reply = await exchange(server.ports[0] as number, ["abcd\nabcde\nnever\n"]);
    expect(await server.stop()).toBe(0);
    expect(reply.toString()).toBe("one abcd\n");
  });

  it("takes --log-level from TCP_ECHO_LOG_LEVEL", async () => {
    const server = await startEchoServerProcess("0", "one", [], { TCP_ECHO_LOG_LEVEL: "debug" });
    await exchange(server.ports[0] as number, ["x\n"]);
    await server.waitForLine((line) => line.includes('"connection opened"'), "a debug log line");
    expect(await server.stop()).toBe(0);
  });
});

describe("tcp-echo logging", () => {
  it("logs nothing per line by default", async () => {
    const server = await startEchoServerProcess("0", "one");
    await exchange(server.ports[0] as number, ["quiet\n"]);
    await server.stop();
    expect(server.lines.some((line) => line.includes("quiet"))).toBe(false);
  });

  it("logs each request and response with --log-lines", async () => {
    const server = await startEchoServerProcess("0", "one", ["--log-lines"]);
    await exchange(server.ports[0] as number, ["loud\n"]);
    const line = await server.waitForLine((l) => l.includes('"msg":"line"'), "a per-line log record");
    await server.stop();
    expect(JSON.parse(line)).toMatchObject({ request: "loud\n", response: "one loud\n" });
  });
});
