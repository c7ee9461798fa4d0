import mt19937 from "@stdlib/random-base-mt19937";

/** `count` replies as version indexes, v1 (0) with share `shareAt(i)` at reply i and v2 (1) the rest, seeded. */
export function seededVersions(count: number, shareAt: (i: number) => number, seed: number): number[] {
  const random = mt19937.factory({ seed });
  return Array.from({ length: count }, (_, i) => (random() / 4294967296 < shareAt(i) ? 0 : 1));
}
