import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pickBackend, startWeightedSplitter, type WeightedSplitter } from "../splitter/weighted-splitter.js";
import { spawnTracked } from "./support/child-processes.js";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { exchange } from "./support/tcp-client.js";

const SPLITTER_CLI = new URL("../dist/splitter/cli.js", import.meta.url).pathname;
const a = { host: "h", port: 1, weight: 80 };
const b = { host: "h", port: 2, weight: 20 };

describe("pickBackend", () => {
  it("maps the lowest 80% of random draws to the weight-80 backend", () => {
    expect(pickBackend([a, b], 0)).toBe(a);
    expect(pickBackend([a, b], 0.7999)).toBe(a);
  });

  it("maps the top 20% of random draws to the weight-20 backend", () => {
    expect(pickBackend([a, b], 0.8)).toBe(b);
    expect(pickBackend([a, b], 0.9999)).toBe(b);
  });

  it("never picks a weight-0 backend", () => {
    expect(pickBackend([{ ...a, weight: 0 }, b], 0)).toBe(b);
  });
});

describe("weighted splitter", () => {
  let server: EchoServerProcess;
  let splitter: WeightedSplitter;

  beforeAll(async () => {
    server = await startEchoServerProcess("0", "one");
    splitter = await startWeightedSplitter([
      { host: "127.0.0.1", port: server.ports[0] as number, weight: 1 },
    ]);
  });
  afterAll(async () => {
    await splitter.close();
    await server.stop();
  });

  it("carries a whole connection, half-close included, to its backend", async () => {
    expect((await exchange(splitter.port, ["a\nb\n"])).toString()).toBe("one a\none b\n");
  });

  it("refuses weights that leave no backend to pick", () => {
    expect(() => splitter.setBackends([{ host: "127.0.0.1", port: 1, weight: 0 }])).toThrow(
      /at least one backend/,
    );
  });
});

describe("tcp-splitter CLI", () => {
  it("listens on a free port with --listen 0 and prints which", async () => {
    const proc = spawnTracked(process.execPath, [SPLITTER_CLI, "--listen", "0", "127.0.0.1:9=1"]);
    const line = await proc.waitForLine((l) => l.startsWith("tcp-splitter: listening on"), "listening");
    expect(line).toMatch(/^tcp-splitter: listening on 127\.0\.0\.1:([1-9]\d*), splitting 127\.0\.0\.1:9=1$/);
    proc.child.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  });

  it("rejects a malformed backend with exit code 64", async () => {
    const proc = spawnTracked(process.execPath, [SPLITTER_CLI, "--listen", "9", "127.0.0.1:9000=lots"]);
    expect(await proc.exited).toBe(64);
    expect(proc.stderr()).toMatch(/^tcp-splitter: invalid backend "127.0.0.1:9000=lots"/);
  });

  it("reports a privileged port refused to an unprivileged user with exit code 77, as tcp-echo does", async () => {
    // As root the bind would succeed, so drop to the nobody user for this one.
    const launcher =
      process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    const argv = [
      ...launcher,
      process.execPath,
      SPLITTER_CLI,
      "--listen",
      "80",
      "--host",
      "127.0.0.1",
      "127.0.0.1:9=1",
    ];
    const proc = spawnTracked(argv[0] as string, argv.slice(1));
    expect(await proc.exited).toBe(77);
    expect(proc.stderr()).toMatch(/^tcp-splitter: cannot listen on port 80: .*EACCES/);
  });
});
