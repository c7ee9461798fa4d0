/**
 * The exit codes of all three programs, in one table (sysexits.h where it has one), as the README lists
 * them. The prober's 0-3 are its verdicts; 64 and above are the same failure for every program.
 */
export const EXIT_CODES = {
  PASS: 0,
  FAIL: 1,
  INCONCLUSIVE: 2,
  ERROR: 3,
  /** EX_USAGE: bad arguments. */
  USAGE: 64,
  /** EX_DATAERR: the input is there but unusable (a cluster object without tcp weights). */
  DATA_ERROR: 65,
  /** EX_NOINPUT: the input does not exist (a cluster object not found). */
  NO_INPUT: 66,
  /** EX_NOHOST: a name that resolves to no address (--each-address). */
  NO_HOST: 68,
  /** EX_UNAVAILABLE: the address is in use or not available. */
  UNAVAILABLE: 69,
  /** EX_SOFTWARE: an internal failure, not the user's input. */
  SOFTWARE: 70,
  /** EX_NOPERM: permission denied (a port below 1024 without the capability; a verb the API server refuses). */
  NO_PERMISSION: 77,
  /** EX_CONFIG: no configuration to work with (no cluster configured). */
  CONFIG: 78,
} as const;

/** The exit code for an OS error code met while opening a port. */
export function exitCodeForSystemError(code: string | undefined): number {
  if (code === "EACCES" || code === "EPERM") return EXIT_CODES.NO_PERMISSION;
  if (code === "EADDRINUSE" || code === "EADDRNOTAVAIL") return EXIT_CODES.UNAVAILABLE;
  return EXIT_CODES.SOFTWARE;
}
