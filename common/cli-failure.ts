/** A problem with what the user typed: reported as one line, exit code 64 (EX_USAGE). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Prints `program: message` on one stderr line and exits; the one way every CLI here reports a fatal problem. */
export function exitWithError(program: string, message: string, code: number): never {
  process.stderr.write(`${program}: ${message.replace(/\s*\n\s*/g, " ")}\n`);
  process.exit(code);
}
