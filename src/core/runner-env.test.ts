import { describe, expect, it } from "vitest";
import {
  DEFAULT_JIT_PARAMETER_PREFIX,
  JIT_PARAMETER_EXPIRY_MARGIN_MS,
  jitParameterExpiresAt,
  jitParameterName,
  parameterPrefixProblem,
} from "./runner-env.js";

describe("JIT parameter names", () => {
  it("accepts tornade's default prefix and names a runner's parameter under it, suffix last", () => {
    expect(parameterPrefixProblem(DEFAULT_JIT_PARAMETER_PREFIX)).toBeUndefined();
    expect(jitParameterName("/tornade/jit/", "tornade-42-1", "0123456789abcdef0123456789abcdef")).toBe(
      "/tornade/jit/tornade-42-1.0123456789abcdef0123456789abcdef",
    );
  });

  it("keeps a runner name's odd characters out of the parameter name", () => {
    expect(jitParameterName("/p/", "a b/c:d", "ff")).toBe("/p/a_b_c_d.ff");
  });

  it.each([
    ["tornade/jit/", /start and end with "\/"/],
    ["/tornade/jit", /start and end with "\/"/],
    ["/tornade jit/", /letters, digits/],
    ["/tornade//jit/", /empty level/],
    ["/aws/tornade/", /reserved/],
    ["/SSM-things/", /reserved/],
    [`/${Array.from({ length: 15 }, (_, i) => `l${i}`).join("/")}/`, /at most 14 levels/],
  ])("refuses the prefix %s", (prefix, why) => {
    expect(parameterPrefixProblem(prefix)).toMatch(why);
  });

  it("expires a parameter a margin after the longest boot", () => {
    expect(jitParameterExpiresAt(1_000, 600_000)).toBe(1_000 + 600_000 + JIT_PARAMETER_EXPIRY_MARGIN_MS);
  });
});
