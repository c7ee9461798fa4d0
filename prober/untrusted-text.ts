// What comes from the network (a reply's prefix) is data wherever it is shown: one way to make it inert in
// a terminal, one for JSON. Bytes that are not UTF-8 travel as U+DC80-U+DCFF (the surrogate escape), so
// the exact bytes stay recoverable.

/** The longest prefix shown in a terminal, in characters; the rest is cut with a mark. */
export const SHOWN_PREFIX_CHARACTERS = 64;

/** Bidirectional controls: they reorder what a terminal or a page shows after them (U+202E, say). */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * A reply's bytes as text, losslessly: valid UTF-8 as it is, each byte outside a well-formed sequence as
 * the lone surrogate U+DC00 + byte (the surrogate escape: JSON.stringify writes it `\udcff`, and
 * terminalText shows it `\xff`), so the exact bytes can be told from the report.
 */
export function decodeUntrusted(bytes: Uint8Array): string {
  const strict = new TextDecoder("utf-8", { fatal: true });
  try {
    return strict.decode(bytes);
  } catch {
    let out = "";
    for (let i = 0; i < bytes.length; ) {
      const length = sequenceLength(bytes, i);
      out +=
        length > 0
          ? strict.decode(bytes.subarray(i, i + length))
          : String.fromCharCode(0xdc00 + (bytes[i] as number));
      i += Math.max(1, length);
    }
    return out;
  }
}

/** The length of the well-formed UTF-8 sequence at `i`, or 0 for a byte that starts none. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const first = bytes[i] as number;
  if (first < 0x80) return 1;
  const length =
    first >= 0xc2 && first <= 0xdf
      ? 2
      : first >= 0xe0 && first <= 0xef
        ? 3
        : first >= 0xf0 && first <= 0xf4
          ? 4
          : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(i, i + length));
    return length;
  } catch {
    return 0;
  }
}

const hex = (code: number, width: number) => code.toString(16).padStart(width, "0");

/** One character as a terminal may show it: controls, escaped bytes, lone surrogates and bidi controls escaped. */
function shownCharacter(character: string): string {
  const code = character.codePointAt(0) as number;
  if (character === "\\") return "\\\\";
  if (code < 0x20 || code === 0x7f) return `\\x${hex(code, 2)}`;
  if (code >= 0x80 && code <= 0x9f) return `\\u${hex(code, 4)}`;
  if (code >= 0xdc80 && code <= 0xdcff) return `\\x${hex(code - 0xdc00, 2)}`;
  if ((code >= 0xd800 && code <= 0xdfff) || BIDI.test(character)) return `\\u${hex(code, 4)}`;
  return character;
}

/**
 * Text from the network as a terminal shows it: every control (C0, DEL, C1), byte that was not UTF-8
 * (`\xff`), lone surrogate and bidirectional control escaped, and a backslash doubled so that an escape
 * cannot be forged; with `limit`, cut after that many characters with a mark saying how many more.
 */
export function terminalText(text: string, limit?: number): string {
  const characters = [...text];
  const shown = limit === undefined ? characters : characters.slice(0, limit);
  const rest = characters.length - shown.length;
  return shown.map(shownCharacter).join("") + (rest > 0 ? `…(+${rest})` : "");
}

/** A prefix as tables and reasons show it: escaped, and cut at SHOWN_PREFIX_CHARACTERS. */
export const shownPrefix = (prefix: string) => terminalText(prefix, SHOWN_PREFIX_CHARACTERS);

/**
 * JSON that a terminal shows inert: JSON.stringify escapes C0 controls but writes C1 controls, lone
 * line separators and bidirectional controls as they are; these are written as `\uXXXX` too.
 * The parsed value is the same.
 */
export function inertJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${hex(c.charCodeAt(0), 4)}`,
  );
}
