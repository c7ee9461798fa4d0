// What one probe yields: the vocabulary shared by the probes that make outcomes and the statistics that
// count them, kept apart from both so neither depends on the other.

export type ProbeErrorKind =
  | "refused"
  | "connect-timeout"
  | "unreachable"
  | "unresolved"
  | "reset"
  | "read-timeout"
  | "closed-without-reply"
  | "bad-echo"
  | "other";

/** One probe's result: the version prefix that answered, or why there was no valid answer. */
export type ProbeOutcome =
  | {
      kind: "reply";
      prefix: string;
      latencyMs: number;
      /** With several lines per connection: whether every line got the same prefix. */
      sameVersion: boolean;
    }
  | { kind: "error"; error: ProbeErrorKind; detail: string; latencyMs: number };
