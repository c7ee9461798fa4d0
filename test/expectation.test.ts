import { describe, expect, it } from "vitest";
import { ExpectationError } from "../prober/errors.js";
import { parseExpectation } from "../prober/expectations/expectation.js";

describe("--expect parsing", () => {
  it("maps positional weights onto the tutorial's labels one, two", () => {
    expect(parseExpectation("80:20")).toEqual({
      labels: ["one", "two"],
      weights: [80, 20],
      shares: [0.8, 0.2],
    });
  });

  it("takes labels from --labels for positional weights", () => {
    expect(parseExpectation("3:1", ["blue", "green"]).shares).toEqual([0.75, 0.25]);
  });

  it("accepts named weights", () => {
    expect(parseExpectation("two=20,one=80").labels).toEqual(["two", "one"]);
  });

  it("accepts any number of versions", () => {
    expect(parseExpectation("50:30:20").labels).toEqual(["one", "two", "three"]);
  });

  it("normalises weights that do not sum to 100", () => {
    expect(parseExpectation("1:1").shares).toEqual([0.5, 0.5]);
  });

  it("accepts all-to-one-version splits", () => {
    expect(parseExpectation("0:100").shares).toEqual([0, 1]);
  });

  const bad: [string, string, string[] | undefined, RegExp][] = [
    ["a negative weight", "80:-20", undefined, /weight -20 is negative/],
    ["all zeros", "0:0", undefined, /the weights are all zero/],
    ["a word for a weight", "80:lots", undefined, /"lots" is not a weight/],
    ["an empty weight", "80:", undefined, /"" is not a weight/],
    ["more weights than labels", "50:30:20", ["a", "b"], /3 weights but 2 labels/],
    ["a malformed pair", "one=80,two", undefined, /label=weight pairs/],
    ["a label given twice", "one=50,one=50", undefined, /"one" appears twice/],
    ["labels both ways", "one=80,two=20", ["a", "b"], /not both/],
  ];
  for (const [what, spec, labels, message] of bad) {
    it(`rejects ${what}`, () => {
      expect(() => parseExpectation(spec, labels)).toThrow(message);
    });
  }

  it("throws its own ExpectationError, which names no CLI flag", () => {
    let thrown: unknown;
    try {
      parseExpectation("80/20");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ExpectationError);
    expect((thrown as Error).message).toBe('expected split "80/20": "80/20" is not a weight');
  });
});
