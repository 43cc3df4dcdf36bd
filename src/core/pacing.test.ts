import { describe, expect, it } from "vitest";
import { fullBucket, refill, take, waitForToken, windowTake, windowWait } from "./pacing.js";

const spec = { capacity: 100, perSecond: 20 };

describe("token buckets", () => {
  it("allow a burst of `capacity`, then one token every 1/perSecond", () => {
    let b = fullBucket(spec, 0);
    for (let i = 0; i < 100; i++) {
      expect(waitForToken(b, spec, 0)).toBe(0);
      b = take(b, spec, 0);
    }
    expect(waitForToken(b, spec, 0)).toBe(50); // 20 a second → one every 50 ms
    expect(waitForToken(b, spec, 50)).toBe(0);
  });

  it("never refill beyond capacity", () => {
    const b = take(fullBucket(spec, 0), spec, 0);
    expect(refill(b, spec, 3_600_000).tokens).toBe(100);
  });

  it("sustain exactly perSecond launches a second after the burst", () => {
    let b = fullBucket(spec, 0);
    let now = 0;
    let launched = 0;
    while (now < 10_000) {
      const w = waitForToken(b, spec, now);
      now += w;
      if (now >= 10_000) break;
      b = take(b, spec, now);
      launched++;
    }
    // 100 at once, then 20 a second for the ~10 s that follow.
    expect(launched).toBeGreaterThanOrEqual(299);
    expect(launched).toBeLessThanOrEqual(300);
  });
});

describe("sliding windows", () => {
  const spec = { limit: 3, windowMs: 60_000 };
  it("allow `limit` events in any window, then wait until the oldest leaves it", () => {
    let times: number[] = [];
    for (const t of [0, 1000, 2000]) {
      expect(windowWait(times, spec, t)).toBe(0);
      times = windowTake(times, spec, t);
    }
    expect(windowWait(times, spec, 3000)).toBe(57_000);
    expect(windowWait(times, spec, 60_000)).toBe(0);
    // A second burst never lands in the same minute as the first.
    times = windowTake(times, spec, 60_000);
    expect(windowWait(times, spec, 60_500)).toBe(500);
  });
});
