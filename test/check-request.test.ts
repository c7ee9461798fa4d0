import { describe, expect, it } from "vitest";
import { checkOptions, RequestError } from "../prober/serve/check-request.js";

const LIMITS = { maxCheckMs: 8000, maxRate: 500, maxConcurrency: 16, maxProbes: 20_000 };
const refusal = (body: unknown) => {
  try {
    checkOptions(body, LIMITS);
  } catch (error) {
    return error instanceof RequestError
      ? { status: error.status, reason: error.reason, message: error.message }
      : error;
  }
  return undefined;
};

describe("checkOptions", () => {
  it("takes a target and an expectation, with the server's caps as the defaults", () => {
    expect(checkOptions({ target: "gateway:31400", expect: "80:20" }, LIMITS)).toMatchObject({
      host: "gateway",
      port: 31400,
      rate: 500,
      maxProbes: 20_000,
      durationMs: 8000,
    });
  });

  it("answers a bad target 400 bad_body, with the reason", () => {
    expect(refusal({ target: "gateway:99999", expect: "80:20" })).toEqual({
      status: 400,
      reason: "bad_body",
      message: 'invalid port "99999": must be 1-65535',
    });
  });

  it("answers a rate above the server's cap 400 cap", () => {
    expect(refusal({ target: "gateway:31400", expect: "80:20", rate: 501 })).toMatchObject({
      status: 400,
      reason: "cap",
    });
  });

  it("takes a fleet (eachEndpoint) without a target", () => {
    expect(checkOptions({ eachEndpoint: "service/gateway:tcp", expect: "80:20" }, LIMITS)).toMatchObject({
      host: "fleet",
    });
  });

  it("lets an unforeseen error through, for the server to answer 500, not 400 bad_body", () => {
    const hostile = {
      target: "gateway:31400",
      get expect(): string {
        throw new TypeError("a getter that throws");
      },
    };
    expect(refusal(hostile)).toBeInstanceOf(TypeError);
  });
});
