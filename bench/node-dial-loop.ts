#!/usr/bin/env node
// The floor for any Node prober: a bare dial/write/read/close loop with node:net and nothing else.
// Usage: node-dial-loop <port> <probes> <concurrency>; prints probes per second as JSON.
import { connect } from "node:net";

const [port, probes, concurrency] = process.argv.slice(2).map(Number) as [number, number, number];
let started = 0;
let answered = 0;
const began = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (started < probes) {
      started += 1;
      await new Promise<void>((resolve) => {
        const socket = connect({ port, host: "127.0.0.1", noDelay: true }, () => socket.write("ping\n"));
        socket.once("data", () => {
          answered += 1;
          socket.destroy();
          resolve();
        });
        socket.once("error", () => resolve());
      });
    }
  }),
);
process.stdout.write(`${JSON.stringify({ perSecond: (answered * 1000) / (performance.now() - began) })}\n`);
