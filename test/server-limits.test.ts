import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { adminGet, metricValue } from "./support/admin-client.js";
import { startEchoServerProcess } from "./support/echo-server-process.js";
import { exchange, openConnection, readAtLeast, readUntilEnd } from "./support/tcp-client.js";

function residentMegabytes(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kilobytes = Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]);
  return kilobytes / 1024;
}

/** Resolves when the socket is closed by the peer, whether by FIN or by reset. */
function closedByPeer(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once("end", resolve);
    socket.once("error", () => resolve());
  });
}

describe("tcp-echo --max-line-bytes", () => {
  it("answers the lines before a too-long line, then closes the connection with a warning", async () => {
    const server = await startEchoServerProcess("0", "one", ["--max-line-bytes", "16"]);
    const reply = await exchange(server.ports[0] as number, [`short\n${"x".repeat(17)}\nafter\n`]);
    const warning = await server.waitForLine((line) => line.includes("--max-line-bytes"), "the warning");
    await server.stop();
    expect(reply.toString()).toBe("one short\n");
    expect(JSON.parse(warning).level).toBe(40);
  });

  it("closes a connection whose unterminated line outgrows the limit", async () => {
    const server = await startEchoServerProcess("0", "one", ["--max-line-bytes", "1024"]);
    const socket = await openConnection(server.ports[0] as number);
    const ended = readUntilEnd(socket);
    socket.write("y".repeat(4096));
    expect((await ended).length).toBe(0);
    socket.destroy();
    await server.stop();
  });
});

describe("tcp-echo --idle-timeout", () => {
  it("serves a connection, then closes it once it has been silent for the timeout, not before", async () => {
    const server = await startEchoServerProcess("0", "one", ["--idle-timeout", "0.5"]);
    const socket = await openConnection(server.ports[0] as number);
    socket.write("still here\n");
    expect((await readAtLeast(socket, 15)).toString()).toBe("one still here\n");
    const lastTraffic = performance.now();
    await closedByPeer(socket);
    // The server's clock starts when it writes, a little before this client has read the reply: a
    // lower bound with room for that, far from the few milliseconds of a close at once.
    expect(performance.now() - lastTraffic).toBeGreaterThanOrEqual(400);
    socket.destroy();
    await server.stop();
  });
});

describe("tcp-echo --max-connections", () => {
  it("closes connections beyond the limit at once and counts them, serving the others", async () => {
    const server = await startEchoServerProcess("0", "one", ["--max-connections", "2", "--admin-port", "0"]);
    const port = server.ports[0] as number;
    const first = await openConnection(port);
    const second = await openConnection(port);
    for (const socket of [first, second]) {
      socket.write("in\n");
      expect((await readAtLeast(socket, 7)).toString()).toBe("one in\n");
    }
    const third = await openConnection(port);
    await closedByPeer(third);
    third.destroy();
    const metrics = (await adminGet(server.adminPort as number, "/metrics")).body;
    expect(metricValue(metrics, "tcp_echo_connections_rejected_total")).toBe(1);
    first.destroy();
    await new Promise((resolve) => first.once("close", resolve));
    second.write("still served\n");
    expect((await readAtLeast(second, 17)).toString()).toBe("one still served\n");
    second.destroy();
    await server.stop();
  });
});

describe("tcp-echo under a client that writes but never reads", () => {
  it("stops reading instead of buffering: memory stays bounded and every reply arrives once the client reads", async () => {
    const server = await startEchoServerProcess("0", "one", ["--admin-port", "0"]);
    const pid = server.child.pid as number;
    const socket = await openConnection(server.ports[0] as number);
    socket.pause();
    const line = `${"z".repeat(1023)}\n`;
    const block = line.repeat(1024); // 1 MiB of 1 KiB lines
    const blocks = 256;
    for (let i = 0; i < blocks; i++) socket.write(block);

    // Wait until the server has stopped taking bytes (its counter is unchanged over five scrapes).
    let received = -1;
    for (let still = 0; still < 5; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = metricValue(
        (await adminGet(server.adminPort as number, "/metrics")).body,
        "tcp_echo_received_bytes_total",
      );
      still = now === received ? still + 1 : 0;
      received = now;
    }
    expect(received).toBeLessThan(64 * 1024 * 1024);
    expect(residentMegabytes(pid, "VmRSS")).toBeLessThan(150);

    const expectedBytes = blocks * 1024 * (line.length + 4);
    socket.resume();
    const all = await readAtLeast(socket, expectedBytes);
    expect(all.length).toBe(expectedBytes);
    expect(all.subarray(0, line.length + 4).toString()).toBe(`one ${line}`);
    expect(residentMegabytes(pid, "VmHWM")).toBeLessThan(150);
    socket.destroy();
    await server.stop();
  }, 60_000);
});

describe("tcp-echo out of file descriptors", () => {
  it("closes the connections it cannot accept, stays up, and serves again once descriptors are free", async () => {
    const server = await startEchoServerProcess("0", "one", [], {}, [
      "sh",
      "-c",
      'ulimit -n 64 && exec "$0" "$@"',
    ]);
    const port = server.ports[0] as number;
    const attempts = await Promise.all(
      Array.from({ length: 120 }, async () => {
        const socket = await openConnection(port);
        const reply = readUntilEnd(socket).then(
          (buffer) => buffer.toString(),
          () => "",
        );
        socket.write("crowd\n");
        return { socket, reply };
      }),
    );
    // Served connections stay open until every outcome is known, so none of their descriptors frees up early.
    const served = await Promise.all(
      attempts.map(({ socket, reply }) =>
        Promise.race([
          readAtLeast(socket, "one crowd\n".length).then(
            () => true,
            () => false,
          ),
          reply.then(() => false),
        ]),
      ),
    );
    const count = served.filter(Boolean).length;
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThan(120);
    for (const { socket } of attempts) socket.destroy();
    let reply = "";
    // Descriptors come back as the server sees the closes; retry until a connection is served.
    for (let attempt = 0; attempt < 50 && reply === ""; attempt++) {
      reply = await exchange(port, ["alive\n"]).then(
        (buffer) => buffer.toString(),
        () => "",
      );
    }
    expect(reply).toBe("one alive\n");
    expect(server.child.exitCode).toBeNull();
    await server.stop();
  });
});
