import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { exchange, openConnection, readAtLeast, readUntilEnd } from "./support/tcp-client.js";

describe("tcp-echo on the wire", () => {
  let server: EchoServerProcess;
  let port: number;

  beforeAll(async () => {
    server = await startEchoServerProcess("0,0", "one");
    port = server.ports[0] as number;
  });
  afterAll(async () => {
    await server.stop();
  });

  it("answers one line with `<prefix> <line>`", async () => {
    expect((await exchange(port, ["hello\n"])).toString()).toBe("one hello\n");
  });

  it("answers several lines sent in one packet, in order", async () => {
    expect((await exchange(port, ["a\nb\nc\n"])).toString()).toBe("one a\none b\none c\n");
  });

  it("answers a line that arrives one byte per write", async () => {
    expect((await exchange(port, [..."split line\n"])).toString()).toBe("one split line\n");
  });

  it("answers an empty line with the prefix and a space", async () => {
    expect((await exchange(port, ["\n"])).toString()).toBe("one \n");
  });

  it("keeps a carriage return before the newline", async () => {
    expect((await exchange(port, ["crlf\r\n"])).toString()).toBe("one crlf\r\n");
  });

  it("passes NUL, 0xff and invalid UTF-8 through untouched", async () => {
    const line = Buffer.from([0x00, 0xff, 0xc3, 0x28, 0x80, 0x0a]);
    const reply = await exchange(port, [line]);
    expect(reply.equals(Buffer.concat([Buffer.from("one "), line]))).toBe(true);
  });

  it("answers a 64 KiB line byte for byte", async () => {
    const line = Buffer.concat([Buffer.alloc(65536, "x"), Buffer.from("\n")]);
    const reply = await exchange(port, [line]);
    expect(reply.equals(Buffer.concat([Buffer.from("one "), line]))).toBe(true);
  });

  it("answers 10,000 pipelined lines in order", async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `line ${i}\n`);
    const reply = await exchange(port, [lines.join("")]);
    expect(reply.toString()).toBe(lines.map((line) => `one ${line}`).join(""));
  });

  it("gives no reply to a trailing partial line at end of input", async () => {
    expect((await exchange(port, ["done\nno newline"])).toString()).toBe("one done\n");
  });

  it("answers complete lines still pending at half-close, then closes its side", async () => {
    const socket = await openConnection(port);
    const reply = readUntilEnd(socket);
    socket.end("last words\n");
    expect((await reply).toString()).toBe("one last words\n");
    socket.destroy();
  });

  it("keeps a connection open across many exchanges", async () => {
    const socket = await openConnection(port);
    for (const word of ["first", "second", "third"]) {
      socket.write(`${word}\n`);
      expect((await readAtLeast(socket, `one ${word}\n`.length)).toString()).toBe(`one ${word}\n`);
    }
    socket.destroy();
  });

  it("serves every port of a comma-separated list", async () => {
    const second = server.ports[1] as number;
    expect(second).not.toBe(port);
    expect((await exchange(second, ["other port\n"])).toString()).toBe("one other port\n");
  });

  it("listens on IPv6 loopback too when no --host is given", async () => {
    expect((await exchange(port, ["v6\n"], "::1")).toString()).toBe("one v6\n");
  });

  it("logs one 'listening' line per port with the port and prefix", () => {
    const listening = server.lines
      .map((line) => JSON.parse(line))
      .filter((record) => record.msg === "listening");
    expect(listening.map((record) => [record.port, record.prefix])).toEqual(
      server.ports.map((p) => [p, "one"]),
    );
  });
});

describe("tcp-echo prefixes", () => {
  it("sends a prefix with spaces and Unicode as UTF-8", async () => {
    const server = await startEchoServerProcess("0", "v2 ✓ ünïcode");
    const reply = await exchange(server.ports[0] as number, ["x\n"]);
    await server.stop();
    expect(reply.toString()).toBe("v2 ✓ ünïcode x\n");
  });

  it("binds only the address given by --host", async () => {
    const server = await startEchoServerProcess("0", "one", ["--host", "127.0.0.1"]);
    const port = server.ports[0] as number;
    const v4 = await exchange(port, ["ok\n"]);
    const v6 = exchange(port, ["ok\n"], "::1");
    await expect(v6).rejects.toThrow(/ECONNREFUSED/);
    await server.stop();
    expect(v4.toString()).toBe("one ok\n");
  });
});
