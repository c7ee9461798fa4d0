import { describe, expect, it } from "vitest";
import { StartOrder } from "../prober/statistics/start-order.js";

describe("StartOrder (results released in the order their probes started)", () => {
  it("releases a result at once when every earlier one is in", () => {
    const order = new StartOrder<string>();
    expect(order.add(0, "a")).toEqual(["a"]);
    expect(order.add(1, "b")).toEqual(["b"]);
  });

  it("holds a result that finished before an earlier one, then releases both in start order", () => {
    const order = new StartOrder<string>();
    expect(order.add(1, "second")).toEqual([]);
    expect(order.add(2, "third")).toEqual([]);
    expect(order.add(0, "first")).toEqual(["first", "second", "third"]);
  });

  it("counts what it released, not what it holds", () => {
    const order = new StartOrder<number>();
    order.add(0, 0);
    order.add(2, 2);
    expect(order.released).toBe(1);
  });

  it("releases a falsy result like any other", () => {
    const order = new StartOrder<number>();
    expect(order.add(0, 0)).toEqual([0]);
  });
});
