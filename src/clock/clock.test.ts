import { describe, expect, it } from "vitest";
import { scaledClock, sharedClock } from "./clock.js";

describe("scaledClock", () => {
  it("advances clock time `speed` times faster than real time", async () => {
    const clock = scaledClock(1000, 0);
    const before = clock.now();
    await new Promise((r) => setTimeout(r, 20));
    // 20 real ms at speed 1000 is at least 20 clock seconds.
    expect(clock.now() - before).toBeGreaterThanOrEqual(19_000);
  });

  it("fires timers after the given clock time, in order", async () => {
    const clock = scaledClock(600);
    const fired: string[] = [];
    const start = clock.now();
    await Promise.all([
      clock.sleep(60_000).then(() => fired.push("1min")),
      clock.sleep(30_000).then(() => fired.push("30s")),
    ]);
    expect(fired).toEqual(["30s", "1min"]);
    expect(clock.now() - start).toBeGreaterThanOrEqual(59_000);
  });

  it("rejects a sleep when its signal aborts", async () => {
    const clock = scaledClock(1);
    const ctl = new AbortController();
    const p = clock.sleep(60_000, ctl.signal);
    ctl.abort(new Error("stop"));
    await expect(p).rejects.toThrow("stop");
  });

  it("refuses a speed that is not positive", () => {
    expect(() => scaledClock(0)).toThrow(/positive/);
  });
});

describe("sharedClock", () => {
  it("gives two clocks made apart from the same origin and speed the same time", async () => {
    const origin = Date.now() - 5_000;
    const a = sharedClock(100, origin);
    await new Promise((r) => setTimeout(r, 30));
    const b = sharedClock(100, origin);
    // 5 s of real time since the origin is 500 simulated seconds; both agree within a few real ms × 100.
    expect(Math.abs(a.now() - b.now())).toBeLessThan(2_000);
    expect(a.now() - origin).toBeGreaterThanOrEqual(500_000);
  });
});
