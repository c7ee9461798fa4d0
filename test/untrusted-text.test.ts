import { describe, expect, it } from "vitest";
import { decodeUntrusted, inertJson, shownPrefix, terminalText } from "../prober/untrusted-text.js";
import { activeCharacters } from "./support/inert-output.js";

describe("decodeUntrusted", () => {
  it("keeps valid UTF-8 as it is", () => {
    expect(decodeUntrusted(Buffer.from("één ⇄ two", "utf8"))).toBe("één ⇄ two");
  });

  it("keeps each byte that is not UTF-8 as a lone surrogate U+DC00 + byte, recoverable", () => {
    const text = decodeUntrusted(Buffer.from([0x6f, 0xff, 0xc3, 0x6e]));
    expect([...text].map((c) => c.codePointAt(0))).toEqual([0x6f, 0xdcff, 0xdcc3, 0x6e]);
  });
});

describe("terminalText", () => {
  it("escapes ESC and the CSI, OSC and BEL it starts", () => {
    expect(terminalText("\x1b[2J\x1b]0;owned\x07")).toBe("\\x1b[2J\\x1b]0;owned\\x07");
  });

  it("escapes C1 controls, which some terminals obey as CSI", () => {
    expect(terminalText("\u009b31m")).toBe("\\u009b31m");
  });

  it("shows a byte that was not UTF-8 as \\xff", () => {
    expect(terminalText(decodeUntrusted(Buffer.from([0xff])))).toBe("\\xff");
  });

  it("escapes bidirectional overrides, which reorder what follows them", () => {
    expect(terminalText("\u202eevil")).toBe("\\u202eevil");
  });

  it("doubles a backslash, so that an escape cannot be forged", () => {
    expect(terminalText("\\x1b")).toBe("\\\\x1b");
  });

  it("leaves printable text as it is", () => {
    expect(terminalText("one <b>two</b> ⇄ é")).toBe("one <b>two</b> ⇄ é");
  });

  it("cuts a long prefix at 64 characters with a mark saying how many more", () => {
    expect(shownPrefix("x".repeat(200))).toBe(`${"x".repeat(64)}…(+136)`);
  });
});

describe("inertJson", () => {
  const hostile = { "\u009b31m\u202e\u2028": 1, "\x1b[2J": 2, [decodeUntrusted(Buffer.from([0xff]))]: 3 };

  it("parses back to the same value, the exact bytes included", () => {
    expect(JSON.parse(inertJson(hostile))).toEqual(hostile);
  });

  it("writes no control, bidi override or line separator raw", () => {
    expect(activeCharacters(inertJson(hostile))).toEqual([]);
  });
});
