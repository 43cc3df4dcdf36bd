/** Arrivals on the simulated clock, shared by the stages that queue jobs at a steady rate (pickup, scaleSet). */
import type { Clock } from "../src/clock/clock.js";

/**
 * Poisson arrivals for `minutes` of clock time at `ratePerMinute` on average: `arrive()` after each exponentially
 * distributed gap (drawn from `next`, a seeded uniform source, so a run repeats), then the rest of the span slept out,
 * so the span always lasts `minutes` whatever the draws.
 */
export async function poissonArrivals(clock: Clock, next: () => number, ratePerMinute: number, minutes: number, arrive: () => void): Promise<void> {
  const end = clock.now() + minutes * 60_000;
  const meanGapMs = 60_000 / ratePerMinute;
  for (;;) {
    const gap = -Math.log(1 - next()) * meanGapMs;
    if (clock.now() + gap >= end) break;
    await clock.sleep(gap);
    arrive();
  }
  await clock.sleep(Math.max(0, end - clock.now()));
}
