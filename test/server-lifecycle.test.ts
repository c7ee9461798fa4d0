import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { adminGet, metricValue } from "./support/admin-client.js";
import { startEchoServerProcess } from "./support/echo-server-process.js";
import { exchange, openConnection, readAtLeast, readUntilEnd } from "./support/tcp-client.js";

describe("tcp-echo when its drain fails", () => {
  it("logs the failure and exits 70 (EX_SOFTWARE) with one line, instead of never exiting", async () => {
    const fault = fileURLToPath(new URL("./fixtures/fail-drain.cjs", import.meta.url));
    const server = await startEchoServerProcess("0", "one", [], { NODE_OPTIONS: `--require ${fault}` });
    const socket = await openConnection(server.ports[0] as number);
    expect(await server.stop()).toBe(70);
    expect(server.stderr().trim()).toBe("tcp-echo: drain failed: injected failure to close a connection");
    expect(server.lines.some((line) => line.includes('"msg":"drain failed"'))).toBe(true);
    socket.destroy();
  });
});

describe("tcp-echo admin endpoints", () => {
  it("answers /healthz and /readyz with 200 while serving", async () => {
    const server = await startEchoServerProcess("0", "one", ["--admin-port", "0"]);
    const port = server.adminPort as number;
    expect(await adminGet(port, "/healthz")).toEqual({ status: 200, body: "ok\n" });
    expect(await adminGet(port, "/readyz")).toEqual({ status: 200, body: "ready\n" });
    await server.stop();
  });

  it("counts connections, lines and bytes by port and prefix in /metrics", async () => {
    const server = await startEchoServerProcess("0,0", "one", ["--admin-port", "0"]);
    const [first, second] = server.ports as [number, number];
    await exchange(first, ["a\nb\n"]);
    await exchange(second, ["c\n"]);
    const text = (await adminGet(server.adminPort as number, "/metrics")).body;
    await server.stop();
    const labels = { port: String(first), prefix: "one" };
    expect(metricValue(text, "tcp_echo_connections_total", labels)).toBe(1);
    expect(metricValue(text, "tcp_echo_lines_total", labels)).toBe(2);
    expect(metricValue(text, "tcp_echo_received_bytes_total", labels)).toBe(4);
    expect(metricValue(text, "tcp_echo_sent_bytes_total", labels)).toBe(12);
    expect(metricValue(text, "tcp_echo_lines_total", { port: String(second) })).toBe(1);
    expect(metricValue(text, "tcp_echo_connections_active")).toBe(0);
  });

  it("counts errors by kind", async () => {
    const server = await startEchoServerProcess("0", "one", ["--admin-port", "0", "--max-line-bytes", "2"]);
    await exchange(server.ports[0] as number, ["long line\n"]);
    const text = (await adminGet(server.adminPort as number, "/metrics")).body;
    await server.stop();
    expect(metricValue(text, "tcp_echo_errors_total", { kind: "line_too_long" })).toBe(1);
  });

  it("answers unknown paths with 404", async () => {
    const server = await startEchoServerProcess("0", "one", ["--admin-port", "0"]);
    expect((await adminGet(server.adminPort as number, "/nope")).status).toBe(404);
    await server.stop();
  });
});

describe("tcp-echo graceful shutdown", () => {
  it("exits 0 on SIGTERM with no connections", async () => {
    const server = await startEchoServerProcess("0", "one");
    expect(await server.stop()).toBe(0);
  });

  it("exits 0 on SIGINT", async () => {
    const server = await startEchoServerProcess("0", "one");
    server.child.kill("SIGINT");
    expect(await server.exited).toBe(0);
  });

  it("closes each open connection, reports not-ready while draining, and stops accepting", async () => {
    const server = await startEchoServerProcess("0", "one", ["--admin-port", "0", "--drain-timeout", "30"]);
    const port = server.ports[0] as number;
    const socket = await openConnection(port, "127.0.0.1", true);
    socket.write("before\n");
    await readAtLeast(socket, 11);
    const ended = new Promise((resolve) => socket.once("end", resolve));
    server.child.kill("SIGTERM");
    await ended;
    expect((await adminGet(server.adminPort as number, "/readyz")).status).toBe(503);
    await expect(openConnection(port)).rejects.toThrow(/ECONNREFUSED/);
    socket.end();
    expect(await server.exited).toBe(0);
  });

  it("flushes the replies to lines already read before closing", async () => {
    const server = await startEchoServerProcess("0", "one", ["--drain-timeout", "30"]);
    const socket = await openConnection(server.ports[0] as number);
    socket.pause();
    const lines = Array.from({ length: 200_000 }, (_, i) => `in flight ${i}\n`);
    socket.write(lines.join(""));
    // Once the first reply is in, the server is mid-stream with replies queued behind a client not reading.
    const all = readUntilEnd(socket);
    socket.resume();
    await new Promise((resolve) => socket.once("readable", resolve));
    server.child.kill("SIGTERM");
    const received = (await all).toString();
    socket.destroy();
    const replies = received.split("\n").slice(0, -1);
    expect(received.endsWith("\n")).toBe(true);
    expect(replies.length).toBeGreaterThan(0);
    replies.forEach((reply, i) => {
      if (reply !== `one in flight ${i}`) throw new Error(`reply ${i} is "${reply}"`);
    });
    expect(await server.exited).toBe(0);
  });

  it("destroys connections still open after --drain-timeout and exits 0", async () => {
    const server = await startEchoServerProcess("0", "one", ["--drain-timeout", "0.2"]);
    const socket = await openConnection(server.ports[0] as number, "127.0.0.1", true);
    socket.on("error", () => {});
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    const stopped = await server.waitForLine((line) => line.includes('"stopped"'), "the stop record");
    expect(JSON.parse(stopped)).toMatchObject({ closed: 0, destroyed: 1 });
    socket.destroy();
  });
});
