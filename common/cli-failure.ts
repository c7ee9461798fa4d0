/** A problem with what the user typed: reported as one line, exit code 64 (EX_USAGE). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const EXIT_USAGE = 64;
/** EX_SOFTWARE: an internal failure, not the user's input. */
export const EXIT_SOFTWARE = 70;

/** Prints `program: message` on one stderr line and exits; the one way both CLIs report a fatal problem. */
export function exitWithError(program: string, message: string, code: number): never {
  process.stderr.write(`${program}: ${message.replace(/\s*\n\s*/g, " ")}\n`);
  process.exit(code);
}
