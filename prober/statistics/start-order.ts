/**
 * Releases results in the order their probes started, whatever order they finish in. A slower version's
 * replies arrive later: judged in finishing order, a sequence would under-count it at every stop. Held
 * results wait at most for the slowest probe in flight, which its timeout bounds.
 */
export class StartOrder<T> {
  private readonly held = new Map<number, T>();
  private next = 0;

  /** Takes the result of probe `sequence` (0, 1, 2, ... in start order) and returns those now in order. */
  add(sequence: number, result: T): T[] {
    this.held.set(sequence, result);
    const released: T[] = [];
    for (let value = this.held.get(this.next); value !== undefined; value = this.held.get(this.next)) {
      this.held.delete(this.next);
      this.next += 1;
      released.push(value);
    }
    return released;
  }

  /** How many results are released so far. */
  get released(): number {
    return this.next;
  }
}
