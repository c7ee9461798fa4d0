import { describe, expect, it } from "vitest";
import { LineEchoer } from "../server/line-echoer.js";

function echoAll(prefix: string, chunks: Buffer[], maxLineBytes = 1 << 20) {
  const echoer = new LineEchoer(prefix, maxLineBytes);
  const replies: Buffer[] = [];
  let overflow = false;
  for (const chunk of chunks) {
    const result = echoer.push(chunk);
    if (result.reply) replies.push(result.reply);
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

  it("reports overflow as soon as an unterminated line passes the limit across chunks", () => {
    const result = echoAll("one", [Buffer.from("12345"), Buffer.from("6789")], 8);
    expect(result.overflow).toBe(true);
    expect(result.reply.length).toBe(0);
  });
});
