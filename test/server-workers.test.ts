import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminGet, metricValue } from "./support/admin-client.js";
import { SERVER_CLI, spawnTracked } from "./support/child-processes.js";
import { startEchoServerProcess } from "./support/echo-server-process.js";
import { type RogueServer, rogueServer } from "./support/rogue-server.js";
import { exchange, openConnection, readAtLeast, readUntilEnd } from "./support/tcp-client.js";

/** Process ids of the server's children: its workers. */
function workerPids(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return text === "" ? [] : text.split(" ").map(Number);
}

/** Process ids of every process whose command line holds all of `words`. */
function processesWith(words: string[]): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        return words.every((word) => argv.includes(word));
      } catch {
        return false;
      }
    })
    .map(Number);
}

const startWithWorkers = (workers: number, options: string[] = []) =>
  startEchoServerProcess("0", "one", ["--workers", String(workers), "--admin-port", "0", ...options]);

describe("tcp-echo --workers", () => {
  it("runs the given number of worker processes", async () => {
    const server = await startWithWorkers(3);
    expect(workerPids(server.child.pid as number)).toHaveLength(3);
    await server.stop();
  });

  it("answers every connection byte for byte, whichever worker takes it", async () => {
    const server = await startWithWorkers(2);
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        exchange(server.ports[0] as number, [Buffer.from(`line ${n}\r\n\xff\n`, "latin1")]),
      ),
    );
    await server.stop();
    expect(replies.map((reply) => reply.toString("latin1"))).toEqual(
      Array.from({ length: 40 }, (_, n) => `one line ${n}\r\none \xff\n`),
    );
  });

  it("sums the connections and lines of all workers in /metrics", async () => {
    const server = await startWithWorkers(2);
    const port = server.ports[0] as number;
    const sockets = await Promise.all(Array.from({ length: 20 }, () => openConnection(port)));
    await Promise.all(
      sockets.map((socket) => {
        const reply = readAtLeast(socket, "one ping\n".length);
        socket.write("ping\n");
        return reply;
      }),
    );
    const text = (await adminGet(server.adminPort as number, "/metrics")).body;
    for (const socket of sockets) socket.destroy();
    await server.stop();
    expect(metricValue(text, "tcp_echo_connections_active", { port: String(port) })).toBe(20);
    expect(metricValue(text, "tcp_echo_lines_total", { port: String(port) })).toBe(20);
  });

  it("drains every worker on SIGTERM, answering lines already sent, and exits 0", async () => {
    const server = await startWithWorkers(2, ["--drain-timeout", "30"]);
    const sockets = await Promise.all(
      Array.from({ length: 10 }, () => openConnection(server.ports[0] as number)),
    );
    await Promise.all(
      sockets.map((socket) => {
        const reply = readAtLeast(socket, "one hi\n".length);
        socket.write("hi\n");
        return reply;
      }),
    );
    const ends = sockets.map((socket) => {
      const rest = readUntilEnd(socket);
      socket.write("late\n");
      return rest;
    });
    const code = await server.stop();
    expect((await Promise.all(ends)).map(String)).toEqual(Array(10).fill("one late\n"));
    expect(code).toBe(0);
  });

  it("replaces a worker that dies and keeps serving", async () => {
    const server = await startWithWorkers(2);
    const pid = server.child.pid as number;
    const [victim] = workerPids(pid) as [number];
    process.kill(victim, "SIGKILL");
    await server.waitForLine((line) => line.includes("worker died: starting another"), "a replacement");
    // Workers are numbered from 1: the replacement is the third.
    await server.waitForLine(
      (line) => line.includes('"worker":3') && line.includes('"msg":"listening"'),
      "the replacement listening",
    );
    const others = workerPids(pid);
    const reply = await exchange(server.ports[0] as number, ["still here\n"]);
    await server.stop();
    expect(others).toHaveLength(2);
    expect(others).not.toContain(victim);
    expect(reply.toString()).toBe("one still here\n");
  });
});

describe("tcp-echo --workers start failures", () => {
  // A bare listener holds the port: a server told to listen there fails with EADDRINUSE.
  let occupied: RogueServer;
  beforeAll(async () => {
    occupied = await rogueServer(() => {});
  });
  afterAll(() => occupied.close());

  it("reports a port in use once, on one line, with exit code 69, and leaves no worker behind", async () => {
    const proc = spawnTracked(process.execPath, [
      SERVER_CLI,
      String(occupied.port),
      "one",
      "--host",
      "127.0.0.1",
      "--workers",
      "2",
    ]);
    const code = await proc.exited;
    expect(proc.stderr()).toMatch(
      new RegExp(`^tcp-echo: cannot listen on port ${occupied.port}: .*EADDRINUSE[^\\n]*\\n$`),
    );
    expect(code).toBe(69);
    expect(processesWith([SERVER_CLI, String(occupied.port)])).toEqual([]);
  });
});
