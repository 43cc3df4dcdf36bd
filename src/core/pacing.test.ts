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

  it("say when the n-th launch from now gets its token, those before it taking theirs as they come", () => {
    const spec = { capacity: 20, perSecond: 20 };
    const b = fullBucket(spec, 0);
    expect([1, 20, 21, 40].map((n) => waitForToken(b, spec, 0, n))).toEqual([0, 0, 50, 1000]);
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

  it("say when the n-th event from now fits, those before it taken as soon as each fits", () => {
    const full = [0, 1000, 2000];
    // Room comes as each of the three leaves the window; the fourth waits for the first new one to leave in turn.
    expect([1, 2, 3, 4].map((n) => windowWait(full, spec, 3000, n))).toEqual([57_000, 58_000, 59_000, 117_000]);
    // Two places free now, the third when the event at 0 leaves.
    expect([1, 2, 3].map((n) => windowWait([0], spec, 1000, n))).toEqual([0, 0, 59_000]);
  });
});
