import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProbeOutcome, TcpProber } from "../index.js";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { rogueServer } from "./support/rogue-server.js";

const SETTINGS = { host: "127.0.0.1", connectTimeoutMs: 1000, timeoutMs: 1000, linesPerConnection: 1 };

/** Probes a test server whose answer to each line is given, then closes it. */
async function probeRogue(
  answer: (line: string, write: (bytes: string) => void, end: () => void) => void,
  linesPerConnection = 1,
): Promise<ProbeOutcome> {
  const server = await rogueServer((socket) => {
    socket.setEncoding("latin1");
    socket.on("data", (line: string) =>
      answer(
        line.trimEnd(),
        (bytes) => socket.write(bytes, "latin1"),
        () => socket.end(),
      ),
    );
  });
  try {
    return await new TcpProber({ ...SETTINGS, port: server.port, linesPerConnection }).probe("probe seq=1");
  } finally {
    await server.close();
  }
}

describe("one probe against the real tcp-echo server", () => {
  let server: EchoServerProcess;
  beforeAll(async () => {
    server = await startEchoServerProcess("0", "v2 canary ✓");
  });
  afterAll(() => server.stop());

  it("takes the whole prefix as the version, spaces and UTF-8 included", async () => {
    const outcome = await new TcpProber({ ...SETTINGS, port: server.ports[0] as number }).probe(
      "probe seq=1",
    );
    expect(outcome).toMatchObject({ kind: "reply", prefix: "v2 canary ✓", sameVersion: true });
  });

  it("sends every line of --lines-per-connection over one connection and sees one version", async () => {
    const outcome = await new TcpProber({
      ...SETTINGS,
      port: server.ports[0] as number,
      linesPerConnection: 5,
    }).probe("probe seq=1");
    expect(outcome).toMatchObject({ kind: "reply", prefix: "v2 canary ✓", sameVersion: true });
  });
});

describe("one probe against servers that misbehave", () => {
  it("joins a reply that arrives in pieces", async () => {
    const outcome = await probeRogue((line, write) => {
      write("one ");
      setTimeout(() => write(`${line}\n`), 20);
    });
    expect(outcome).toMatchObject({ kind: "reply", prefix: "one" });
  });

  it("reports a version change within one connection", async () => {
    let replies = 0;
    const outcome = await probeRogue((line, write) => {
      replies += 1;
      write(`${replies === 2 ? "two" : "one"} ${line}\n`);
    }, 3);
    expect(outcome).toMatchObject({ kind: "reply", prefix: "one", sameVersion: false });
  });

  it("rejects a reply that does not end with the line sent", async () => {
    const outcome = await probeRogue((line, write) => write(`one ${line}!\n`));
    expect(outcome).toMatchObject({ kind: "error", error: "bad-echo" });
    expect(outcome.kind === "error" && outcome.detail).toMatch(
      /^reply "one probe seq=1 line=1!" does not echo "probe seq=1 line=1"$/,
    );
  });

  it("rejects a reply without the space between prefix and line", async () => {
    const outcome = await probeRogue((line, write) => write(`one${line}\n`));
    expect(outcome).toMatchObject({ kind: "error", error: "bad-echo" });
  });

  it("rejects bytes after the reply line", async () => {
    const outcome = await probeRogue((line, write) => write(`one ${line}\nextra\n`));
    expect(outcome).toMatchObject({ kind: "error", error: "bad-echo" });
  });

  it("rejects a reply cut short by the close", async () => {
    const outcome = await probeRogue((line, write, end) => {
      write(`one ${line}`);
      end();
    });
    expect(outcome).toMatchObject({ kind: "error", error: "bad-echo" });
    expect(outcome.kind === "error" && outcome.detail).toBe(
      'reply "one probe seq=1 line=1" ends without a newline',
    );
  });

  it("counts the replies before a close in the middle of a connection", async () => {
    let replies = 0;
    const outcome = await probeRogue((line, write, end) => {
      replies += 1;
      if (replies < 3) write(`one ${line}\n`);
      else end();
    }, 5);
    expect(outcome).toMatchObject({
      kind: "error",
      error: "closed-without-reply",
      detail: "closed after 2 replies",
    });
  });
});

describe("aborting probes in flight", () => {
  it("ends each as an `other` error, aborted", async () => {
    const silent = await rogueServer(() => {});
    const prober = new TcpProber({ ...SETTINGS, port: silent.port });
    const outcome = prober.probe("probe seq=1");
    prober.abortAll();
    await silent.close();
    expect(await outcome).toMatchObject({ kind: "error", error: "other", detail: "aborted" });
  });
});
