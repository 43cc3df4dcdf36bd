import { describe, expect, it } from "vitest";
import { UNCAUGHT_GRACES, isScaleSetJob, parseSpareRunnerName, planScaleSet, scaleSetJobId, scaleSetJobStatus, spareRunnerName, type ScaleSetCounts } from "./scale-set.js";
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
  const counts = (assigned: number, runners: number, starting = 0, awaiting = 0): ScaleSetCounts => ({ assigned, runners, starting, awaiting });
  const GRACE = 60_000;

  it.each([
    // [what, counts, bounds, shortSince, now, caught up, start, shortSince after]
    ["statistics and store agree", counts(3, 3), bounds, null, 0, true, 0, null],
    ["stored jobs still starting count as runners", counts(3, 1, 2), bounds, null, 0, true, 0, null],
    ["more runners than assigned jobs: nothing (ephemeral runners end with their job)", counts(1, 3), bounds, null, 0, true, 0, null],
    ["a shortfall first seen: wait for its message", counts(2, 1), bounds, null, 1_000, true, 0, 1_000],
    ["a shortfall within the grace: still wait", counts(2, 1), bounds, 1_000, 1_000 + GRACE - 1, true, 0, 1_000],
    ["a shortfall past the grace: a spare per missing runner", counts(3, 1), bounds, 1_000, 1_000 + GRACE, true, 2, null],
    ["never above max", counts(9, 4), bounds, 0, GRACE, true, 1, null],
    ["at max: nothing", counts(9, 5), bounds, 0, GRACE, true, 0, null],
    ["the minimum at once, no grace", counts(0, 0), { minRunners: 2, maxRunners: 5 }, null, 0, true, 2, null],
    ["the minimum at once; the shortfall beyond it waits", counts(2, 0), { minRunners: 2, maxRunners: 5 }, null, 0, true, 2, 0],
    ["min + assigned, kept", counts(1, 3), { minRunners: 2, maxRunners: 5 }, null, 0, true, 0, null],
    ["a minimum above max is capped", counts(0, 0), { minRunners: 9, maxRunners: 3 }, null, 0, true, 3, null],
    // A listener that has not caught up with its queue (restarted, its session new or failing) may still be handed
    // the messages of the jobs the statistics count: their shortfall waits longer, but not for ever.
    ["not caught up: a shortfall first seen starts the clock", counts(2, 1), bounds, null, 1_000, false, 0, 1_000],
    ["not caught up: a shortfall past the grace still waits", counts(60, 0), bounds, 0, GRACE, false, 0, 0],
    ["not caught up: just short of the longer wait, still waits", counts(3, 0), bounds, 0, UNCAUGHT_GRACES * GRACE - 1, false, 0, 0],
    ["not caught up: past the longer wait, the messages are lost: spares", counts(3, 0), bounds, 0, UNCAUGHT_GRACES * GRACE, false, 3, null],
    ["not caught up: the minimum is still kept at once", counts(3, 0), { minRunners: 2, maxRunners: 5 }, null, 0, false, 2, 0],
    ["not caught up, nothing short: as when caught up", counts(3, 3), bounds, null, 0, false, 0, null],
    // Jobs just acquired are counted assigned before their messages come: under a steady stream some always are, so
    // a shortfall made only of them would never end, and its grace would run out on jobs that each arrive in time.
    ["jobs acquired, their messages on the way: no shortfall at all", counts(5, 2, 1, 2), bounds, 1_000, 1_000 + GRACE, true, 0, null],
    ["a shortfall beyond the jobs acquired is still one", counts(5, 2, 0, 2), bounds, 1_000, 1_000 + GRACE, true, 1, null],
    ["jobs acquired explain the shortfall that the minimum leaves", counts(2, 0, 0, 2), { minRunners: 2, maxRunners: 5 }, null, 0, true, 2, null],
  ] as const)("%s", (_what, c, b, since, now, caughtUp, start, after) => {
    const plan = planScaleSet(c, b, since, now, GRACE, caughtUp);
    expect(plan.start).toBe(start);
    expect(plan.shortSince).toBe(after);
    expect(plan.target).toBe(Math.min(b.maxRunners, b.minRunners + c.assigned));
  });

  it("forgets a shortfall the next message explained", () => {
    const first = planScaleSet(counts(2, 1), bounds, null, 0, GRACE, true);
    expect(first.shortSince).toBe(0);
    const explained = planScaleSet(counts(2, 2), bounds, first.shortSince, 10_000, GRACE, true);
    expect(explained).toMatchObject({ start: 0, shortSince: null });
  });

  it("serves a lost message once the listener has caught up: then the shortfall's grace is the usual one", () => {
    // Restarted: the statistics count a job nothing stored explains, for longer than the grace, not caught up.
    let plan = planScaleSet(counts(1, 0), bounds, null, 0, GRACE, false);
    plan = planScaleSet(counts(1, 0), bounds, plan.shortSince, 2 * GRACE, GRACE, false);
    expect(plan).toMatchObject({ start: 0, shortSince: 0 });
    // Caught up: the queue held no message for it, so it was lost; the grace has passed, a spare serves it.
    plan = planScaleSet(counts(1, 0), bounds, plan.shortSince, 2 * GRACE, GRACE, true);
    expect(plan).toMatchObject({ start: 1, shortSince: null });
  });
});
