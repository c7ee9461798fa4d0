import { get } from "node:http";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post, type ServeProcess, startServe } from "./support/prober-serve.js";
import { readUntilEnd } from "./support/tcp-client.js";

/** A raw TCP connection to the server, for what fetch will not send. */
function raw(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Milliseconds /healthz takes to answer 200 on a fresh connection (as the kubelet asks), or Infinity. */
function healthzMs(url: string): Promise<number> {
  const began = performance.now();
  return new Promise((resolve) => {
    const request = get(`${url}/healthz`, { agent: false, timeout: 5000 }, (response) => {
      response.resume();
      response.on("end", () =>
        resolve(response.statusCode === 200 ? performance.now() - began : Number.POSITIVE_INFINITY),
      );
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(Number.POSITIVE_INFINITY));
  });
}

describe("prober serve against hostile HTTP clients", () => {
  let serve: ServeProcess;
  const healthz: number[] = [];
  const sockets: Socket[] = [];
  beforeAll(async () => {
    serve = await startServe([
      "--max-connections",
      "200",
      "--request-timeout",
      "2",
      "--max-concurrent-checks",
      "2",
    ]);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await serve?.stop();
  });

  it("closes a client that sends its headers too slowly", async () => {
    const socket = await raw(serve.url);
    socket.write("POST /verify HTTP/1.1\r\nHost: x\r\n");
    const answer = await readUntilEnd(socket);
    expect(answer.toString()).toMatch(/^HTTP\/1\.1 408|^$/);
    healthz.push(await healthzMs(serve.url));
  });

  it("closes a body that never ends, within the request timeout", async () => {
    const socket = await raw(serve.url);
    socket.write(
      "POST /verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
    );
    const drip = setInterval(() => socket.writable && socket.write(" "), 100);
    const answer = await readUntilEnd(socket);
    clearInterval(drip);
    expect(answer.toString()).toMatch(/^HTTP\/1\.1 (408|413)|^$/);
    healthz.push(await healthzMs(serve.url));
  });

  it("keeps answering /healthz with thousands of idle connections open, closing the oldest past the cap", async () => {
    for (let i = 0; i < 2000; i++) {
      const socket = await raw(serve.url);
      socket.on("error", () => {});
      sockets.push(socket);
      if (i % 250 === 0) healthz.push(await healthzMs(serve.url));
    }
    healthz.push(await healthzMs(serve.url));
    const open = () => sockets.filter((socket) => !socket.destroyed && socket.readyState === "open").length;
    // The server's closes reach this end a moment later: wait for them (bounded), then count.
    for (let tries = 0; open() > 200 && tries < 100; tries++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(open()).toBeLessThanOrEqual(200);
  });

  it("answers 413 to a body of 64 KiB + 1", async () => {
    const response = await post(`${serve.url}/verify`, "x".repeat(64 * 1024 + 1));
    expect(response.status).toBe(413);
  });

  it("answers 400 to a JSON nesting bomb", async () => {
    const response = await post(`${serve.url}/verify`, "[".repeat(60_000));
    expect(response.status).toBe(400);
    healthz.push(await healthzMs(serve.url));
  });

  it("answers 415 to a body that is not JSON by its content type", async () => {
    const response = await post(`${serve.url}/verify`, "target=x", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(response.status).toBe(415);
  });

  it("answers pipelined requests in order", async () => {
    const socket = await raw(serve.url);
    socket.write(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    const answers = (await readUntilEnd(socket)).toString();
    expect([...answers.matchAll(/^HTTP\/1\.1 (\d+)/gm)].map((m) => m[1])).toEqual(["200", "404"]);
  });

  it("answered /healthz throughout, and its memory stayed under 150 MB", () => {
    expect(healthz.every((ms) => Number.isFinite(ms))).toBe(true);
    // The figures are in docs/serve.md; here only a generous bound, so that a loaded machine passes.
    expect(Math.max(...healthz)).toBeLessThan(2000);
    expect(serve.peakRssMb()).toBeLessThan(150);
  });
});

describe("prober serve under a burst of checks", () => {
  let burstServe: ServeProcess;
  beforeAll(async () => {
    burstServe = await startServe(["--max-concurrent-checks", "2", "--health-listen", "127.0.0.1:0"]);
  });
  afterAll(async () => {
    await burstServe?.stop();
  });

  it("answers a burst of 1,000 checks at once, each with a status, two at most running", async () => {
    const body = JSON.stringify({ target: "127.0.0.1:1", expect: "80:20", duration: 1 });
    const during = healthzMs(burstServe.url);
    // The health listener's thread, sampled every 10 ms while the burst lands.
    const healthUrl = burstServe.healthUrl as string;
    const samples: number[] = [];
    let bursting = true;
    const sampling = (async () => {
      while (bursting) {
        samples.push(await healthzMs(healthUrl));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const statuses = await Promise.all(
      Array.from({ length: 1000 }, () =>
        post(`${burstServe.url}/verify`, body).then(
          (response) => response.status,
          () => 0,
        ),
      ),
    );
    const healthzDuring = await during;
    bursting = false;
    await sampling;
    const counts = Object.fromEntries(
      [...new Set(statuses)].map((status) => [status, statuses.filter((s) => s === status).length]),
    );
    expect(Object.keys(counts).sort()).toEqual(["200", "429"]);
    expect(counts[200]).toBeGreaterThanOrEqual(2);
    expect(healthzDuring).toBeLessThan(2000);
    expect(samples.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...samples), samples.map(Math.round).join(" ")).toBeLessThan(2000);
    expect(burstServe.peakRssMb()).toBeLessThan(150);
  });
});
