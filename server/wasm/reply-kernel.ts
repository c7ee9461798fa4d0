// AssemblyScript, compiled to reply-kernel.wasm by `npm run build`: the per-line work of LineEchoer
// (find each newline, write `<head><line>`) with 16-byte SIMD loads and stores. In JavaScript it costs
// about 60 ns a line, which held pipelined echo at a third of a Go server's; here it is a few ns.
//
// Memory is the caller's: it copies the head and the input in, with 16 bytes of slack after each, and
// gives an output region that may be overwritten up to 16 bytes past what is written.

const NEWLINES: v128 = i8x16.splat(0x0a);

/** Where the first unanswered byte of the input begins after the latest echo(). */
export let consumed: u32 = 0;
/** Bytes of output written by the latest echo(). */
export let written: u32 = 0;
/** Whether the latest echo() met a line longer than its limit (and stopped before it). */
export let overflow: bool = false;
/** Whether the latest echo() stopped because the output was full: call again from `consumed`. */
export let full: bool = false;

// Short runs as whole 16-byte blocks: one vector move each beats a bulk copy's call for typical lines.
function copy(to: usize, from: usize, length: usize): void {
  if (length <= 64) {
    for (let k: usize = 0; k < length; k += 16) v128.store(to + k, v128.load(from + k));
  } else memory.copy(to, from, length);
}

/**
 * Writes `<head><line>` for every `\n`-terminated line of the input, in order, and the end offset of
 * each reply in `ends` (u32 each; pass 0 to skip them); returns how many lines it answered. Stops early,
 * with `consumed` at the line not answered, when the next reply would not fit in `capacity` or the line is
 * longer than `maxLineBytes` (then `overflow` is set); an unterminated rest longer than the limit sets it
 * too.
 */
export function echo(
  input: usize,
  length: u32,
  head: usize,
  headLength: u32,
  output: usize,
  capacity: u32,
  ends: usize,
  maxLineBytes: u32,
): u32 {
  const limit = output + capacity;
  // A head of up to 16 bytes stays in a register: one store a line, the line's bytes overwriting its tail.
  const headBlock = v128.load(head);
  const headFits = headLength <= 16;
  let at = output;
  let lineStart: u32 = 0;
  let count: u32 = 0;
  overflow = false;
  full = false;
  for (let base: u32 = 0; base < length; base += 16) {
    let newlines = i8x16.bitmask(i8x16.eq(v128.load(input + base), NEWLINES));
    if (length - base < 16) newlines &= (1 << (length - base)) - 1;
    while (newlines !== 0) {
      const end = base + <u32>ctz(newlines);
      newlines &= newlines - 1;
      const size = end + 1 - lineStart;
      if (size - 1 > maxLineBytes) {
        overflow = true;
        return stop(lineStart, at - output, count);
      }
      if (at + headLength + size + 16 > limit) {
        full = true;
        return stop(lineStart, at - output, count);
      }
      if (headFits) v128.store(at, headBlock);
      else copy(at, head, headLength);
      at += headLength;
      // Every line moves at least one block (the slack allows it): no branch for the common short line.
      const from = input + lineStart;
      v128.store(at, v128.load(from));
      if (size > 16) copy(at + 16, from + 16, size - 16);
      at += size;
      lineStart = end + 1;
      if (ends !== 0) store<u32>(ends + (count << 2), <u32>(at - output));
      count++;
    }
  }
  if (length - lineStart > maxLineBytes) overflow = true;
  return stop(lineStart, at - output, count);
}

// Records where echo() stopped and what it wrote; returns its line count (inlined by the optimizer).
function stop(lineStart: u32, bytesWritten: usize, count: u32): u32 {
  consumed = lineStart;
  written = <u32>bytesWritten;
  return count;
}
