import { describe, expect, it } from "vitest";
import { atMost } from "./at-most.js";

describe("atMost", () => {
  it("runs every item, never more than `width` at once", async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await atMost(3, [1, 2, 3, 4, 5, 6, 7], async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 1));
      done.push(n);
      running--;
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
  });

  it("starts nothing after a failure, lets the ones in flight finish, and throws the first error", async () => {
    const started: number[] = [];
    const run = atMost(2, [1, 2, 3, 4, 5], async (n) => {
      started.push(n);
      if (n === 1) throw new Error("first");
      await new Promise((r) => setTimeout(r, 5));
    });
    await expect(run).rejects.toThrow("first");
    expect(started).toEqual([1, 2]);
  });
});
