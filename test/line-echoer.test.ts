import mt19937 from "@stdlib/random-base-mt19937";
import { describe, expect, it } from "vitest";
import { LineEchoer } from "../server/line-echoer.js";

function echoAll(prefix: string, chunks: Buffer[], maxLineBytes = 1 << 20) {
  const echoer = new LineEchoer(prefix, maxLineBytes);
  const replies: Buffer[] = [];
  let overflow = false;
  for (const chunk of chunks) {
    const result = echoer.push(chunk);
    replies.push(...result.reply);
    if (result.overflow) {
      overflow = true;
      break;
    }
  }
  return { reply: Buffer.concat(replies), overflow, held: echoer.heldBytes };
}

describe("LineEchoer", () => {
  const input = Buffer.from("alpha\r\n\nb\x00\xffeta\ngam", "latin1");
  const expected = Buffer.from("one alpha\r\none \none b\x00\xffeta\n", "latin1");

  it("answers the same bytes however the input is split into two chunks", () => {
    for (let cut = 0; cut <= input.length; cut++) {
      const { reply } = echoAll("one", [input.subarray(0, cut), input.subarray(cut)]);
      expect(reply.toString("latin1"), `cut at ${cut}`).toBe(expected.toString("latin1"));
    }
  });

  it("answers the same bytes when fed one byte at a time", () => {
    const bytes = [...input].map((byte) => Buffer.from([byte]));
    expect(echoAll("one", bytes).reply.equals(expected)).toBe(true);
  });

  it("holds a trailing partial line without answering it", () => {
    expect(echoAll("one", [input]).held).toBe(3);
  });

  it("encodes a Unicode prefix with spaces as UTF-8", () => {
    expect(echoAll("v2 ✓ canary", [Buffer.from("x\n")]).reply.toString()).toBe("v2 ✓ canary x\n");
  });

  it("accepts a line of exactly the maximum length", () => {
    const line = Buffer.concat([Buffer.alloc(8, "a"), Buffer.from("\n")]);
    expect(echoAll("one", [line], 8)).toEqual({
      reply: Buffer.from("one aaaaaaaa\n"),
      overflow: false,
      held: 0,
    });
  });

  it("answers the lines before a too-long line, then reports overflow", () => {
    const result = echoAll("one", [Buffer.from("ok\n123456789\nnever\n")], 8);
    expect(result.reply.toString()).toBe("one ok\n");
    expect(result.overflow).toBe(true);
  });

  it("answers the short lines before a long line past the limit, then reports overflow", () => {
    const result = echoAll("one", [Buffer.from(`ok\n${"x".repeat(3000)}\nnever\n`)], 2000);
    expect(result.reply.toString()).toBe("one ok\n");
    expect(result.overflow).toBe(true);
  });

  it("reports overflow for a first line of kilobytes past the limit, answering nothing", () => {
    const result = echoAll("one", [Buffer.from(`${"x".repeat(3000)}\nnever\n`)], 2000);
    expect(result.reply.length).toBe(0);
    expect(result.overflow).toBe(true);
  });

  it("reports overflow as soon as an unterminated line passes the limit across chunks", () => {
    const result = echoAll("one", [Buffer.from("12345"), Buffer.from("6789")], 8);
    expect(result.overflow).toBe(true);
    expect(result.reply.length).toBe(0);
  });

  // A reference that cannot share the echoer's mistakes: split on newlines, prefix each line.
  function matchesReference(
    seeds: number,
    newlineOneIn: number,
    bytes: number,
    largestChunk: number,
    prefix = "v1",
  ) {
    for (let seed = 1; seed <= seeds; seed++) {
      const random = mt19937.factory({ seed });
      const input = Buffer.from(
        Array.from({ length: bytes }, () => (random() % newlineOneIn === 0 ? 0x0a : random() % 256)),
      );
      const chunks: Buffer[] = [];
      for (let at = 0; at < input.length; ) {
        const size = 1 + (random() % largestChunk);
        chunks.push(input.subarray(at, at + size));
        at += size;
      }
      const lines = input.toString("latin1").split("\n").slice(0, -1);
      const expected = lines.map((line) => `${prefix} ${line}\n`).join("");
      expect(echoAll(prefix, chunks).reply.toString("latin1"), `seed ${seed}`).toBe(expected);
    }
  }

  it("matches a line-by-line reference for short lines in random chunks (seeds 1-50)", () => {
    matchesReference(50, 40, 4000, 300);
  });

  // The kernel keeps a head of up to 16 bytes in one vector register and copies a longer one.
  it("matches the reference with a head of exactly 16 bytes (seeds 1-20)", () => {
    matchesReference(20, 40, 4000, 300, "a 15-byte prefx");
  });

  it("matches the reference with a head of 17 bytes (seeds 1-20)", () => {
    matchesReference(20, 40, 4000, 300, "a 16-byte prefix");
  });

  it("matches a line-by-line reference for lines of kilobytes in random chunks (seeds 1-20)", () => {
    matchesReference(20, 3000, 60_000, 5000);
  });

  it("answers a chunk whose replies outgrow one pass of the reply kernel", () => {
    const prefix = "p".repeat(200);
    const { reply } = echoAll(prefix, [Buffer.alloc(65_536, "\n")]);
    expect(reply.equals(Buffer.from(`${prefix} \n`.repeat(65_536)))).toBe(true);
  });

  it("answers a line that arrived over many chunks once its newline comes", () => {
    const part = Buffer.alloc(65_536, "x");
    const { reply } = echoAll("one", [part, part, part, Buffer.from("\n")]);
    expect(reply.toString()).toBe(`one ${"x".repeat(3 * 65_536)}\n`);
  });

  it("hands a line of kilobytes and its reply to the line callback", () => {
    const seen: Buffer[] = [];
    const line = Buffer.concat([Buffer.alloc(5000, "y"), Buffer.from("\n")]);
    new LineEchoer("one", 1 << 20, (_line, reply) => seen.push(reply)).push(line);
    expect(seen).toEqual([Buffer.concat([Buffer.from("one "), line])]);
  });

  it("hands each line and its reply to the line callback", () => {
    const seen: string[] = [];
    new LineEchoer("one", 1 << 20, (line, reply) => seen.push(`${line}|${reply}`)).push(
      Buffer.from("a\nbc\n"),
    );
    expect(seen).toEqual(["a\n|one a\n", "bc\n|one bc\n"]);
  });
});
