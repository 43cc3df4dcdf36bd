import { describe, expect, it } from "vitest";
import { ADAPTIVE_Z, adaptiveStandbys, typicalBootMs, type SizingInput } from "./standby-sizing.js";

const MINUTE = 60_000;
/** 10 minutes of arrivals, a 95 s boot (the published profile's 1 GiB Fargate image), 5 ¢ an hour, no cost cap. */
const base: SizingInput = { arrivals: 0, observedMs: 10 * MINUTE, bootMs: 95_000, costPerHour: 0.05, max: 50 };

describe("adaptiveStandbys: expected arrivals during one boot, plus headroom, within the bounds", () => {
  it.each([
    // arrivals in 10 min → m = rate × 95 s; count = ceil(m + 1.645·√m)
    { arrivals: 0, count: 0, m: 0, boundBy: "demand" },
    { arrivals: 1, count: 1, m: 0.158, boundBy: "demand" }, // one job in ten minutes still keeps one standby
    { arrivals: 60, count: 15, m: 9.5, boundBy: "demand" }, // 6 a minute: 9.5 + 5.07
    { arrivals: 150, count: 32, m: 23.75, boundBy: "demand" }, // 15 a minute: 23.75 + 8.02
    { arrivals: 600, count: 50, m: 95, boundBy: "max" }, // 60 a minute would want 111: the maximum holds
  ])("$arrivals jobs in 10 minutes → $count standbys (bound by $boundBy)", ({ arrivals, count, m, boundBy }) => {
    const d = adaptiveStandbys({ ...base, arrivals });
    expect(d.count).toBe(count);
    expect(d.expectedPerBoot).toBeCloseTo(m, 2);
    expect(d.boundBy).toBe(boundBy);
  });

  it("caps the count at what the cost cap pays for, per hour", () => {
    // 32 wanted; 1 $/h at 5 ¢ each pays for 20.
    expect(adaptiveStandbys({ ...base, arrivals: 150, maxCostPerHour: 1 })).toMatchObject({ count: 20, boundBy: "cost" });
    // A cap that pays for more than the maximum: the maximum binds.
    expect(adaptiveStandbys({ ...base, arrivals: 600, maxCostPerHour: 100 })).toMatchObject({ count: 50, boundBy: "max" });
    // A cap below one standby's price: none.
    expect(adaptiveStandbys({ ...base, arrivals: 150, maxCostPerHour: 0.04 })).toMatchObject({ count: 0, boundBy: "cost" });
    // An exact multiple is not lost to rounding.
    expect(adaptiveStandbys({ ...base, arrivals: 150, costPerHour: 0.1, maxCostPerHour: 0.3 }).count).toBe(3);
  });

  it("grows with the boot: a longer boot must be covered by more standbys", () => {
    const short = adaptiveStandbys({ ...base, arrivals: 60, bootMs: 30_000 }).count;
    const long = adaptiveStandbys({ ...base, arrivals: 60, bootMs: 300_000 }).count;
    expect(short).toBe(Math.ceil(3 + ADAPTIVE_Z * Math.sqrt(3)));
    expect(long).toBeGreaterThan(short);
  });

  it("reads the rate over the time actually observed (a controller up for 2 minutes has not seen 10)", () => {
    expect(adaptiveStandbys({ ...base, arrivals: 12, observedMs: 2 * MINUTE }).count).toBe(adaptiveStandbys({ ...base, arrivals: 60 }).count);
    expect(adaptiveStandbys({ ...base, arrivals: 5, observedMs: 0 }).count).toBe(0);
  });

  it("has a standby waiting for ≥ 95 % of a steady Poisson stream (simulated with a seeded draw)", () => {
    // A pool of N where each job takes a waiting standby and its replacement is ready one boot later.
    let seed = 7;
    const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) + 1) / (2 ** 31 + 1);
    const ratePerMs = 15 / MINUTE;
    const { count } = adaptiveStandbys({ ...base, arrivals: 150 });
    const ready: number[] = Array.from({ length: count }, () => 0);
    let t = 0;
    let hits = 0;
    const jobs = 5000;
    for (let i = 0; i < jobs; i++) {
      t += -Math.log(uniform()) / ratePerMs;
      ready.sort((a, b) => a - b);
      if (ready[0]! <= t) {
        hits++;
        ready[0] = t + base.bootMs;
      }
    }
    expect(hits / jobs).toBeGreaterThanOrEqual(0.95);
  });
});

describe("typicalBootMs", () => {
  it("is the median of the boots seen, or the fallback before any", () => {
    expect(typicalBootMs([], 90_000)).toBe(90_000);
    expect(typicalBootMs([100, 30, 60], 1)).toBe(60);
    expect(typicalBootMs([100, 30, 60, 80], 1)).toBe(70);
  });
});
