import { afterEach, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { silentLogger } from "../log/logger.js";
import { until } from "../../testbed/until.js";
import { Periodic } from "./periodic.js";

// At 1000x a 10-hour interval is 36 real seconds: no round comes from the interval while a test runs.
const clock = scaledClock(1000);
const TEN_HOURS = 10 * 3600_000;

let periodic: Periodic | undefined;
afterEach(async () => {
  await periodic?.stop();
});

/** A round that counts itself and can be held open, to nudge while it runs. */
function heldRounds() {
  let started = 0;
  let release: () => void = () => {};
  const round = () => {
    started++;
    return new Promise<void>((r) => (release = r));
  };
  return { round, started: () => started, release: () => release() };
}

describe("Periodic", () => {
  it("runs a round soon when nudged, instead of at its interval", async () => {
    const r = heldRounds();
    periodic = new Periodic("test", clock, TEN_HOURS, r.round, silentLogger);
    periodic.start();
    expect(r.started()).toBe(0);
    periodic.nudge();
    await until("the nudged round", () => (r.started() === 1 ? true : undefined));
    r.release();
  });

  it("turns many nudges during a round into one more round, never two at once", async () => {
    const r = heldRounds();
    periodic = new Periodic("test", clock, TEN_HOURS, r.round, silentLogger);
    periodic.start();
    periodic.nudge();
    await until("the first round", () => (r.started() === 1 ? true : undefined));
    for (let i = 0; i < 20; i++) periodic.nudge();
    expect(r.started()).toBe(1);
    r.release();
    await until("one more round", () => (r.started() === 2 ? true : undefined));
    // Held open again: nothing else starts, however long the nudges that came before wait.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.started()).toBe(2);
    r.release();
  });

  it("asks a function for the wait after each round, so a round can pace the next", async () => {
    const r = heldRounds();
    // The first wait is long; after the first round, the round itself asks for the next one soon.
    let wait = TEN_HOURS;
    periodic = new Periodic("test", clock, () => wait, r.round, silentLogger);
    periodic.start();
    periodic.nudge();
    await until("the nudged round", () => (r.started() === 1 ? true : undefined));
    wait = 1000; // 1 real ms at 1000x
    r.release();
    await until("the round the first one asked for", () => (r.started() === 2 ? true : undefined));
    wait = TEN_HOURS;
    r.release();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.started()).toBe(2);
  });

  it("does nothing when nudged while stopped", async () => {
    const r = heldRounds();
    periodic = new Periodic("test", clock, 1, r.round, silentLogger);
    periodic.nudge();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.started()).toBe(0);
  });
});
