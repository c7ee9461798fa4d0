/** Characters a terminal or a page may obey, not show: controls (but newline), C1, bidi overrides, line separators. */
const ACTIVE = (code: number) =>
  (code < 0x20 && code !== 0x0a) ||
  (code >= 0x7f && code <= 0x9f) ||
  code === 0x061c ||
  code === 0x200e ||
  code === 0x200f ||
  (code >= 0x202a && code <= 0x202e) ||
  (code >= 0x2066 && code <= 0x2069) ||
  code === 0x2028 ||
  code === 0x2029;

/** Each character of `text` that would act rather than show, as U+XXXX: empty when the text is inert. */
export function activeCharacters(text: string): string[] {
  return [...text]
    .map((c) => c.codePointAt(0) as number)
    .filter(ACTIVE)
    .map((code) => `U+${code.toString(16).toUpperCase().padStart(4, "0")}`);
}
