import { describe, expect, it } from "vitest";
import { nextRoundIn, Pace, roundPacing } from "./rounds.js";

const pacing = roundPacing(60_000);

describe("nextRoundIn", () => {
  it.each([
    ["a round that found work comes back at the base interval", 240_000, true, undefined, 60_000],
    ["a quiet round doubles the wait", 60_000, false, undefined, 120_000],
    ["…up to five base intervals", 240_000, false, undefined, 300_000],
    ["…and stays there", 300_000, false, undefined, 300_000],
    ["something due sooner shortens the back-off", 120_000, false, 90_000, 90_000],
    ["but never below the base interval", 120_000, false, 1_000, 60_000],
    ["something due later than the back-off does not lengthen it", 60_000, false, 900_000, 120_000],
    ["nothing due (null) is no due time", 60_000, false, null, 120_000],
  ] as const)("%s", (_, last, found, due, want) => {
    expect(nextRoundIn(last, found, pacing, due)).toBe(want);
  });
});

describe("Pace", () => {
  it("keeps the wait from round to round: backs off while quiet, back to base after work", () => {
    const pace = new Pace(pacing);
    expect(pace.nextRoundInMs()).toBe(60_000);
    expect([pace.after(false), pace.after(false), pace.after(false), pace.after(false)]).toEqual([120_000, 240_000, 300_000, 300_000]);
    expect(pace.after(true)).toBe(60_000);
    expect(pace.nextRoundInMs()).toBe(60_000);
  });
});
