import { describe, expect, it } from "vitest";
import { defaultSpeed, suggestSpeed, launchTimeoutSeconds } from "./speed.js";

describe("defaultSpeed", () => {
  it.each([
    [1, 600],
    [6, 600],
    [41, 600],
    [42, 595],
    [100, 250],
    [1_000, 25],
    [10_000, 2],
    [100_000, 1],
    [0, 600],
  ])("%i jobs → %ix", (jobs, speed) => expect(defaultSpeed(jobs)).toBe(speed));

  it("never rises with the number of jobs", () => {
    for (let n = 1; n < 5_000; n += 7) expect(defaultSpeed(n + 7)).toBeLessThanOrEqual(defaultSpeed(n));
  });
});

describe("suggestSpeed", () => {
  it("fits the issue's 1,000-job run (398 settled in 19 s at 600x) into a quarter of the 3-hour limit", () => {
    // 398 / 19 s ≈ 20.9 jobs a real second → 1,000 jobs in ≈ 48 s real; 2,700 s (a quarter of 3 h) / 48 s ≈ 56x.
    expect(suggestSpeed({ speed: 600, jobs: 1_000, settled: 398, wallSeconds: 19, timeLimitSeconds: 10_800 })).toBe(56);
  });

  it("at least halves the speed that ran out of time", () => {
    expect(suggestSpeed({ speed: 600, jobs: 10, settled: 9, wallSeconds: 1, timeLimitSeconds: 10_800 })).toBe(300);
  });

  it("divides by ten when nothing settled, and never goes below 1", () => {
    expect(suggestSpeed({ speed: 600, jobs: 5, settled: 0, wallSeconds: 3, timeLimitSeconds: 60 })).toBe(60);
    expect(suggestSpeed({ speed: 5, jobs: 5, settled: 0, wallSeconds: 3, timeLimitSeconds: 60 })).toBe(1);
    expect(suggestSpeed({ speed: 2, jobs: 1_000, settled: 1, wallSeconds: 100, timeLimitSeconds: 60 })).toBe(1);
  });
});

describe("launchTimeoutSeconds", () => {
  it("covers a few real seconds at high speed, never less than production's 120 s nor more than the setting allows", () => {
    expect(launchTimeoutSeconds(1)).toBe(120);
    expect(launchTimeoutSeconds(20)).toBe(120);
    expect(launchTimeoutSeconds(100)).toBe(300);
    expect(launchTimeoutSeconds(600)).toBe(1800);
    expect(launchTimeoutSeconds(5000)).toBe(3600);
  });
});
