import { describe, expect, it } from "vitest";
import { defaultDiscoveryPolicy, runsToList, type LookedAtRun } from "./discovery.js";

const now = 50_000_000;
const MIN = 60_000;
const policy = { ...defaultDiscoveryPolicy, graceMs: MIN };
const memory = (...runs: LookedAtRun[]) => new Map(runs.map((r) => [r.runId, r]));

describe("runsToList", () => {
  it("puts never-looked-at runs first, oldest first, then the least recently looked at", () => {
    const runs = [
      { id: 1, createdAt: now - 30 * MIN },
      { id: 2, createdAt: now - 20 * MIN },
      { id: 3, createdAt: now - 10 * MIN },
      { id: 4, createdAt: now - 40 * MIN },
    ];
    const seen = memory({ runId: 4, lookedAt: now - 2 * MIN, settled: false }, { runId: 1, lookedAt: now - 3 * MIN, settled: false });
    expect(runsToList(runs, seen, now, policy)).toEqual([2, 3, 1, 4]);
  });

  it("leaves a settled run alone until the recheck interval is over", () => {
    const runs = [{ id: 1, createdAt: now - 30 * MIN }];
    expect(runsToList(runs, memory({ runId: 1, lookedAt: now - 5 * MIN, settled: true }), now, policy)).toEqual([]);
    expect(runsToList(runs, memory({ runId: 1, lookedAt: now - 5 * MIN - 1, settled: true }), now, policy)).toEqual([1]);
    expect(runsToList(runs, memory({ runId: 1, lookedAt: now - MIN, settled: false }), now, policy)).toEqual([1]);
  });

  it("leaves a run younger than the grace to its webhooks", () => {
    expect(runsToList([{ id: 1, createdAt: now - MIN + 1 }, { id: 2 }], new Map(), now, policy)).toEqual([2]);
  });

  it("counts a look older than the forget horizon as never", () => {
    const runs = [{ id: 1, createdAt: now - 30 * MIN }, { id: 2, createdAt: now - 20 * MIN }];
    const seen = memory({ runId: 1, lookedAt: now - policy.forgetMs - 1, settled: false }, { runId: 2, lookedAt: now - 2 * MIN, settled: false });
    expect(runsToList(runs, seen, now, policy)).toEqual([1, 2]);
  });
});
