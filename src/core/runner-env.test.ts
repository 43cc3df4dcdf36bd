import { describe, expect, it } from "vitest";
import {
  STANDBY_POLL_MS,
  standbyPollMs,
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

describe("standbyPollMs: the standbys' Parameter Store polls within a budget", () => {
  it.each([
    { standbys: 0, budget: 20, ms: STANDBY_POLL_MS },
    { standbys: 20, budget: 20, ms: 1_000 },
    { standbys: 30, budget: 20, ms: 1_500 },
    { standbys: 60, budget: 20, ms: 3_000 },
    { standbys: 60, budget: 1_000, ms: 1_000 },
    { standbys: 7, budget: 0, ms: STANDBY_POLL_MS },
  ])("$standbys standbys on $budget polls a second poll every $ms ms", ({ standbys, budget, ms }) => {
    expect(standbyPollMs(standbys, budget)).toBe(ms);
    // Together within the budget whenever polling every STANDBY_POLL_MS would not be.
    if (budget > 0 && standbys > budget) expect((standbys * 1000) / standbyPollMs(standbys, budget)).toBeLessThanOrEqual(budget);
  });
});
