import { describe, expect, it } from "vitest";
import { isScaleSetJob, parseSpareRunnerName, planScaleSet, scaleSetJobId, scaleSetJobStatus, spareRunnerName, type ScaleSetCounts } from "./scale-set.js";
import { parseRunnerName, runnerName } from "./reconcile.js";

describe("scale set job ids", () => {
  it("are the negated runnerRequestId: never a webhook job's id, never NO_JOB", () => {
    expect(scaleSetJobId(7)).toBe(-7);
    expect(isScaleSetJob(-7)).toBe(true);
    expect(isScaleSetJob(7)).toBe(false);
    expect(isScaleSetJob(0)).toBe(false);
    expect(() => scaleSetJobId(0)).toThrow(/positive integer/);
  });

  it("name runners that parse back to the job, like a webhook job's", () => {
    expect(parseRunnerName(runnerName(-7, 2))).toEqual({ jobId: -7, attempt: 2 });
  });

  it("spare runners name their scale set, and parse as no job's runner", () => {
    const name = spareRunnerName("linux-x64", 1767225600123);
    expect(parseSpareRunnerName(name)).toEqual({ scaleSet: "linux-x64", n: 1767225600123 });
    expect(parseRunnerName(name)).toBeNull();
    expect(parseSpareRunnerName("tornade-5-1")).toBeNull();
  });
});

describe("scaleSetJobStatus", () => {
  it.each([
    ["JobAvailable", undefined, null],
    ["JobAssigned", undefined, { status: "queued", conclusion: null }],
    ["JobStarted", undefined, { status: "in_progress", conclusion: null }],
    ["JobCompleted", "succeeded", { status: "completed", conclusion: "success" }],
    ["JobCompleted", "failed", { status: "completed", conclusion: "failure" }],
    ["JobCompleted", "canceled", { status: "completed", conclusion: "cancelled" }],
    ["JobCompleted", "Skipped", { status: "completed", conclusion: "skipped" }],
  ] as const)("%s %s → %j", (type, result, expected) => {
    expect(scaleSetJobStatus(type, result)).toEqual(expected);
  });
});

describe("planScaleSet", () => {
  const bounds = { minRunners: 0, maxRunners: 5 };
  const counts = (assigned: number, runners: number, starting = 0): ScaleSetCounts => ({ assigned, runners, starting });
  const GRACE = 60_000;

  it.each([
    // [what, counts, bounds, shortSince, now, start, shortSince after]
    ["statistics and store agree", counts(3, 3), bounds, null, 0, 0, null],
    ["stored jobs still starting count as runners", counts(3, 1, 2), bounds, null, 0, 0, null],
    ["more runners than assigned jobs: nothing (ephemeral runners end with their job)", counts(1, 3), bounds, null, 0, 0, null],
    ["a shortfall first seen: wait for its message", counts(2, 1), bounds, null, 1_000, 0, 1_000],
    ["a shortfall within the grace: still wait", counts(2, 1), bounds, 1_000, 1_000 + GRACE - 1, 0, 1_000],
    ["a shortfall past the grace: a spare per missing runner", counts(3, 1), bounds, 1_000, 1_000 + GRACE, 2, null],
    ["never above max", counts(9, 4), bounds, 0, GRACE, 1, null],
    ["at max: nothing", counts(9, 5), bounds, 0, GRACE, 0, null],
    ["the minimum at once, no grace", counts(0, 0), { minRunners: 2, maxRunners: 5 }, null, 0, 2, null],
    ["the minimum at once; the shortfall beyond it waits", counts(2, 0), { minRunners: 2, maxRunners: 5 }, null, 0, 2, 0],
    ["min + assigned, kept", counts(1, 3), { minRunners: 2, maxRunners: 5 }, null, 0, 0, null],
    ["a minimum above max is capped", counts(0, 0), { minRunners: 9, maxRunners: 3 }, null, 0, 3, null],
  ] as const)("%s", (_what, c, b, since, now, start, after) => {
    const plan = planScaleSet(c, b, since, now, GRACE);
    expect(plan.start).toBe(start);
    expect(plan.shortSince).toBe(after);
    expect(plan.target).toBe(Math.min(b.maxRunners, b.minRunners + c.assigned));
  });

  it("forgets a shortfall the next message explained", () => {
    const first = planScaleSet(counts(2, 1), bounds, null, 0, GRACE);
    expect(first.shortSince).toBe(0);
    const explained = planScaleSet(counts(2, 2), bounds, first.shortSince, 10_000, GRACE);
    expect(explained).toMatchObject({ start: 0, shortSince: null });
  });
});
