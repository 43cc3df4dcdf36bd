import { describe, expect, it } from "vitest";
import {
  decide,
  defaultReconcilePolicy as policy,
  idempotencyKey,
  retryDelay,
  runnerName,
  type JobView,
  type LaunchView,
} from "./reconcile.js";
import type { LaunchSpec } from "./types.js";

const spec: LaunchSpec = { backend: "FARGATE_SPOT", arch: "ARM64", image: "default", runnerLabels: ["self-hosted", "tornade"] };
const queued: JobView = { status: "queued", decision: { kind: "launch", spec } };
const now = 1_000_000;
const launch = (over: Partial<LaunchView>): LaunchView => ({
  attempt: 1,
  backend: "FARGATE_SPOT",
  state: "launched",
  providerId: "arn:task/1",
  requestedAt: now - 1000,
  error: null,
  ...over,
});

describe("decide", () => {
  it.each([
    ["static job", { status: "queued", decision: { kind: "static", reason: "type=static" } }, "done"],
    ["ignored job", { status: "queued", decision: { kind: "ignored", reason: "no launch label" } }, "done"],
    ["rejected job", { status: "queued", decision: { kind: "rejected", reason: "bad" } }, "done"],
    ["undecided job", { status: "queued", decision: null }, "done"],
    ["completed job", { ...queued, status: "completed" }, "done"],
    ["job a runner took", { ...queued, status: "in_progress" }, "done"],
    ["job waiting for approval", { ...queued, status: "waiting" }, "done"],
  ] as [string, JobView, string][])("%s launches nothing", (_name, job, kind) => {
    expect(decide(job, [], now, policy).kind).toBe(kind);
  });

  it("launches attempt 1 of a queued job with no launch", () => {
    expect(decide(queued, [], now, policy)).toEqual({ kind: "launch", attempt: 1, spec });
  });

  it("launches a re-run job's first runner on the backend its earlier attempt was re-run onto, later ones where that went", () => {
    const rerun: JobView = { ...queued, rerunTarget: "FARGATE" };
    expect(decide(rerun, [], now, policy)).toEqual({ kind: "launch", attempt: 1, spec: { ...spec, backend: "FARGATE" } });
    const stopped = launch({ state: "stopped", backend: "FARGATE", stoppedAt: now - policy.replaceGraceMs });
    expect(decide({ ...queued, rerunTarget: null }, [stopped], now, policy)).toMatchObject({ kind: "launch", attempt: 2, spec: { backend: "FARGATE" } });
  });

  it("asks GitHub first before the first launch of a job first heard of long after it was created", () => {
    const heard = (lateMs: number): JobView => ({ ...queued, createdAt: now - lateMs, receivedAt: now });
    expect(decide(heard(policy.confirmOlderThanMs), [], now, policy)).toEqual({ kind: "launch", attempt: 1, spec, verify: true });
    expect(decide(heard(3_600_000), [], now, policy)).toMatchObject({ verify: true });
    // Fresh jobs cost nothing extra; a job's age at a later look does not matter, only when tornade first heard of it.
    expect(decide(heard(policy.confirmOlderThanMs - 1), [], now, policy)).toEqual({ kind: "launch", attempt: 1, spec });
    expect(decide({ ...queued, createdAt: now - 1000, receivedAt: now - 999 }, [], now + 3_600_000, policy)).toEqual({ kind: "launch", attempt: 1, spec });
    // 0 confirms every new job.
    expect(decide(heard(0), [], now, { ...policy, confirmOlderThanMs: 0 })).toMatchObject({ verify: true });
  });

  it("does not launch again while a runner is launched or running", () => {
    expect(decide(queued, [launch({ state: "launched" })], now, policy).kind).toBe("done");
    expect(decide(queued, [launch({ state: "running" })], now, policy).kind).toBe("done");
  });

  it("waits for a launch in flight, then abandons it once its lease expired", () => {
    const inFlight = launch({ state: "requested", providerId: null, requestedAt: now - 1000 });
    expect(decide(queued, [inFlight], now, policy)).toMatchObject({ kind: "wait", until: now - 1000 + policy.requestLeaseMs });
    const stale = launch({ state: "requested", providerId: null, requestedAt: now - policy.requestLeaseMs });
    expect(decide(queued, [stale], now, policy)).toMatchObject({ kind: "abandon", attempt: 1 });
  });

  it("replaces a runner that stopped while the job is still queued, after a grace for late webhooks and asking GitHub", () => {
    const justStopped = launch({ state: "stopped", backend: "FARGATE", stoppedAt: now - 1000 });
    expect(decide(queued, [justStopped], now, policy)).toMatchObject({ kind: "wait", until: now - 1000 + policy.replaceGraceMs });
    const bootTimedOut = launch({ state: "stopped", backend: "FARGATE", stoppedAt: now - 1000, outcome: { kind: "boot-timeout", reason: "not running" } });
    expect(decide(queued, [bootTimedOut], now, policy)).toMatchObject({ kind: "launch", attempt: 2 });
    const stopped = launch({ state: "stopped", backend: "FARGATE", stoppedAt: now - policy.replaceGraceMs });
    expect(decide(queued, [stopped], now, policy)).toEqual({ kind: "launch", attempt: 2, spec: { ...spec, backend: "FARGATE" }, verify: true });
    const many = [1, 2, 3, 4, 5].map((attempt) => launch({ attempt, state: "stopped" }));
    expect(decide(queued, many, now, policy)).toMatchObject({ kind: "give-up" });
  });

  it("clears an interrupted launch even after the job completed", () => {
    const stale = launch({ state: "requested", providerId: null, requestedAt: now - policy.requestLeaseMs });
    expect(decide({ ...queued, status: "completed" }, [stale], now, policy)).toMatchObject({ kind: "abandon", attempt: 1 });
  });

  it("falls back from FARGATE_SPOT to FARGATE at once on a capacity shortage", () => {
    const failed = launch({ state: "failed", providerId: null, error: { kind: "capacity", message: "Capacity is unavailable" } });
    expect(decide(queued, [failed], now, policy)).toEqual({
      kind: "launch",
      attempt: 2,
      spec: { ...spec, backend: "FARGATE" },
      fallbackFrom: "FARGATE_SPOT",
    });
  });

  it("retries Spot capacity with backoff when fallback is off", () => {
    const failed = launch({ state: "failed", providerId: null, requestedAt: now, error: { kind: "capacity", message: "x" } });
    const action = decide(queued, [failed], now, { ...policy, spotFallback: false });
    expect(action.kind).toBe("wait");
    const later = decide(queued, [failed], now + policy.retryMaxMs, { ...policy, spotFallback: false });
    expect(later).toMatchObject({ kind: "launch", attempt: 2, spec: { backend: "FARGATE_SPOT" } });
  });

  it("gives up at once on a permanent error, naming it", () => {
    const failed = launch({ state: "failed", error: { kind: "permanent", message: "Unable to describe task definition" } });
    expect(decide(queued, [failed], now, policy)).toEqual({ kind: "give-up", reason: "Unable to describe task definition" });
  });

  it("gives up after maxAttempts retryable failures", () => {
    const failures = [1, 2, 3, 4, 5].map((attempt) =>
      launch({ attempt, state: "failed", requestedAt: 0, error: { kind: "throttled", message: "Rate exceeded" } }),
    );
    expect(decide(queued, failures, now, policy)).toMatchObject({ kind: "give-up" });
    expect(decide(queued, failures.slice(0, 4), now, policy)).toMatchObject({ kind: "launch", attempt: 5 });
  });
});

describe("retryDelay", () => {
  it("grows per attempt, stays within [exp/2, exp] and under the cap", () => {
    const p = { retryBaseMs: 1000, retryMaxMs: 8000 };
    for (let attempt = 1; attempt <= 8; attempt++) {
      const exp = Math.min(8000, 1000 * 2 ** (attempt - 1));
      const d = retryDelay(attempt, p);
      expect(d).toBeGreaterThanOrEqual(exp / 2);
      expect(d).toBeLessThanOrEqual(exp);
    }
  });
});

describe("names", () => {
  it("derive the runner name and idempotency key from the job id and attempt", () => {
    expect(runnerName(42, 1)).toBe("tornade-42-1");
    expect(runnerName(42, 2)).not.toBe(runnerName(42, 1));
    expect(idempotencyKey(42, 1).length).toBeLessThanOrEqual(64); // ECS clientToken limit
  });
});

describe("decide: runners that never came up, lost runners, cancelled jobs", () => {
  const launchSpec = queued.decision as { kind: "launch"; spec: LaunchSpec };
  it("stops a runner still not running after the boot timeout, and waits until then", () => {
    const launched = launch({ state: "launched", launchedAt: now - policy.bootTimeoutMs });
    expect(decide(queued, [launched], now, policy)).toMatchObject({ kind: "stop", attempt: 1, why: "boot-timeout" });
    const young = launch({ state: "launched", launchedAt: now - 1000 });
    expect(decide(queued, [young], now, policy)).toMatchObject({ kind: "wait", until: now - 1000 + policy.bootTimeoutMs });
  });

  it("re-runs once a job that failed because its Spot runner was interrupted", () => {
    const lost = launch({ state: "stopped", spotInterrupted: true, runnerName: "tornade-1-1" });
    const failed: JobView = { status: "completed", conclusion: "failure", runnerName: "tornade-1-1", ranOn: lost, decision: launchSpec };
    expect(decide(failed, [lost], now, policy)).toMatchObject({ kind: "rerun" });
    const again: JobView = { ...failed, decision: { ...launchSpec, rerun: "requested" } };
    expect(decide(again, [lost], now, policy).kind).toBe("done");
    expect(decide(failed, [lost], now, { ...policy, spotRerun: false }).kind).toBe("done");
    // A failure on a runner that was not interrupted is the job's own: no re-run.
    const fine = launch({ state: "stopped", runnerName: "tornade-1-1" });
    expect(decide({ ...failed, ranOn: fine }, [fine], now, policy).kind).toBe("done");
  });

  it("re-runs a job lost with an identical sibling's Spot runner, which it had taken", () => {
    const own = launch({ state: "running", runnerName: "tornade-1-1" });
    const siblings = launch({ state: "stopped", spotInterrupted: true, runnerName: "tornade-2-1" });
    const failed: JobView = { status: "completed", conclusion: "failure", runnerName: "tornade-2-1", ranOn: siblings, decision: launchSpec };
    expect(decide(failed, [own], now, policy)).toMatchObject({ kind: "rerun" });
  });

  it("asks GitHub which job a Spot-interrupted runner was running when it was not this job (once)", () => {
    const interrupted = { kind: "spot-interrupted", checked: false, reason: "Your Spot Task was interrupted." } as const;
    const lost = launch({ state: "stopped", spotInterrupted: true, runnerName: "tornade-1-1", outcome: interrupted });
    for (const job of [queued, { ...queued, status: "in_progress" as const, runnerName: "tornade-9-1" }, { ...queued, status: "completed" as const }]) {
      expect(decide(job, [lost], now, policy)).toMatchObject({ kind: "find-job-on-runner", attempt: 1 });
    }
    // Its own job ran on it: the usual re-run path, no lookup.
    const ownJob: JobView = { status: "completed", conclusion: "failure", runnerName: "tornade-1-1", ranOn: lost, decision: launchSpec };
    expect(decide(ownJob, [lost], now, policy)).toMatchObject({ kind: "rerun" });
    // Looked up already (found nothing else, or found the sibling: then it is marked taken), or re-runs are off.
    expect(decide(queued, [{ ...lost, outcome: { ...interrupted, checked: true } }], now, policy).kind).toBe("launch");
    expect(decide(queued, [{ ...lost, outcome: { kind: "taken", jobId: 2, refused: null } }], now, policy).kind).toBe("launch");
    expect(decide(queued, [lost], now, { ...policy, spotRerun: false }).kind).toBe("launch");
  });

  it("before giving up, asks GitHub which job each runner that ended cleanly without taking the job ran", () => {
    // Five runners ended cleanly while the job stayed queued: most likely siblings took them and those webhooks were lost.
    const clean = [1, 2, 3, 4, 5].map((attempt) => launch({ attempt, state: "stopped", stoppedAt: 0, runnerName: `tornade-1-${attempt}` }));
    expect(decide(queued, clean, now, policy)).toMatchObject({ kind: "find-job-on-runner", attempt: 1 });
    // A sibling ran the first: it no longer counts, so the job gets another runner (after one GET).
    const firstTaken = [{ ...clean[0]!, outcome: { kind: "taken", jobId: 2, refused: null } as const }, ...clean.slice(1)];
    expect(decide(queued, firstTaken, now, policy)).toMatchObject({ kind: "launch", attempt: 6, verify: true });
    // Every one looked up and found on no job of the run: they count, and the job is given up with the reason.
    const failed = clean.map((l) => ({ ...l, outcome: { kind: "runner-failed", reason: "ended without taking a job of its run (looked up on GitHub)" } as const }));
    expect(decide(queued, failed, now, policy)).toMatchObject({ kind: "give-up", reason: "gave up after 5 runners ended without taking the job" });
    // Below the bound nothing is looked up: the runner is replaced as before.
    expect(decide(queued, clean.slice(0, 4), now, policy)).toMatchObject({ kind: "launch", attempt: 5, verify: true });
  });

  it("keeps asking GitHub about a running job whose runner was interrupted, until it ends (its webhook may be lost)", () => {
    const lost = launch({ state: "stopped", spotInterrupted: true, runnerName: "tornade-2-1", outcome: { kind: "taken", jobId: 2, refused: null } });
    const running: JobView = { status: "in_progress", runnerName: "tornade-2-1", ranOn: lost, decision: launchSpec };
    expect(decide(running, [], now, policy)).toMatchObject({ kind: "refresh", retryInMs: expect.any(Number) });
    expect(decide({ ...running, ranOn: { ...lost, spotInterrupted: false } }, [], now, policy).kind).toBe("done");
    expect(decide(running, [], now, { ...policy, spotRerun: false }).kind).toBe("done");
  });

  it("waits for AWS to say why the runner stopped before deciding on a failed job", () => {
    const stillRunning = launch({ state: "running", runnerName: "tornade-1-1" });
    const failed: JobView = { status: "completed", conclusion: "failure", runnerName: "tornade-1-1", ranOn: stillRunning, decision: launchSpec };
    expect(decide(failed, [stillRunning], now, policy)).toMatchObject({ kind: "wait" });
  });

  it("stops the pending runner of a job cancelled before it started, never the one that ran it", () => {
    const pending = launch({ state: "running", runnerName: "tornade-1-1" });
    const cancelled: JobView = { status: "completed", conclusion: "cancelled", runnerName: null, decision: launchSpec };
    expect(decide(cancelled, [pending], now, policy)).toMatchObject({ kind: "stop", why: "cancelled" });
    const ranIt: JobView = { ...cancelled, runnerName: "tornade-1-1" };
    expect(decide(ranIt, [pending], now, policy).kind).toBe("done");
  });
});

describe("decide: telling GitHub", () => {
  it("reports a rejected or given-up job once, with its reason, on its commit", () => {
    const rejected: JobView = { status: "queued", decision: { kind: "rejected", reason: 'label "arch=RISCV": arch must be X86_64 or ARM64', headSha: "abc" } };
    const action = decide(rejected, [], now, policy);
    expect(action).toMatchObject({ kind: "report", title: expect.stringMatching(/will not run/) });
    expect(action.kind === "report" && action.summary).toMatch(/arch=RISCV/);
    const reported: JobView = { status: "queued", decision: { kind: "rejected", reason: "x", headSha: "abc", reported: "check-run" } };
    expect(decide(reported, [], now, policy).kind).toBe("done");
    const failed: JobView = { status: "queued", decision: { kind: "failed", reason: "Unable to describe task definition", spec, headSha: "abc" } };
    expect(decide(failed, [], now, policy)).toMatchObject({ kind: "report", title: expect.stringMatching(/could not start/) });
  });
});

describe("decide: a runner taken by an identical sibling", () => {
  it("is replaced at once (after one GET), and does not count as a failed attempt", () => {
    const taken = launch({ state: "running", outcome: { kind: "taken", jobId: 2, refused: null } });
    expect(decide(queued, [taken], now, policy)).toEqual({ kind: "launch", attempt: 2, spec: { ...spec, backend: "FARGATE_SPOT" }, verify: true });
    const manyTaken = [1, 2, 3, 4, 5].map((attempt) => launch({ attempt, state: "stopped", outcome: { kind: "taken", jobId: 2, refused: null } }));
    expect(decide(queued, manyTaken, now, policy)).toMatchObject({ kind: "launch", attempt: 6 });
  });

  it("needs nothing once the job itself has started", () => {
    const taken = launch({ state: "running", outcome: { kind: "taken", jobId: 2, refused: null } });
    expect(decide({ ...queued, status: "in_progress" }, [taken], now, policy).kind).toBe("done");
  });

  describe("waits for the sibling's spare runner instead of launching one more", () => {
    const taken = launch({ state: "running", outcome: { kind: "taken", jobId: 2, refused: null } });
    const waitFor = (spare: LaunchView) => decide({ ...queued, spare }, [taken], now, policy);

    it("while the spare is starting, until its boot timeout", () => {
      const launchedAt = now - 30_000;
      expect(waitFor(launch({ state: "launched", launchedAt }))).toEqual({
        kind: "wait",
        until: launchedAt + policy.bootTimeoutMs,
        reason: "a sibling's spare runner is starting",
      });
    });

    it("while a launch for it is in flight, until the launch lease runs out", () => {
      const requestedAt = now - 5_000;
      expect(waitFor(launch({ state: "requested", providerId: null, requestedAt }))).toMatchObject({ kind: "wait", until: requestedAt + policy.requestLeaseMs });
    });

    it("while it is up and idle, for the grace a late webhook gets", () => {
      const startedAt = now - 10_000;
      expect(waitFor(launch({ state: "running", launchedAt: now - 60_000, startedAt }))).toMatchObject({ kind: "wait", until: startedAt + policy.replaceGraceMs });
    });

    it.each([
      ["booted too long ago", launch({ state: "launched", launchedAt: now - policy.bootTimeoutMs })],
      ["up and idle past the grace", launch({ state: "running", launchedAt: now - 200_000, startedAt: now - policy.replaceGraceMs })],
      ["stopped", launch({ state: "stopped", stoppedAt: now - 1 })],
      ["failed", launch({ state: "failed", error: { kind: "capacity", message: "no capacity" } })],
      ["taken itself", launch({ state: "running", outcome: { kind: "taken", jobId: 2, refused: null } })],
      ["an abandoned request", launch({ state: "requested", providerId: null, requestedAt: now - policy.requestLeaseMs })],
    ])("but launches (after one GET) when the spare is %s", (_name, spare) => {
      expect(waitFor(spare)).toMatchObject({ kind: "launch", attempt: 2, verify: true });
    });
  });
});

describe("decide: a runner taken by a job tornade refuses (a policy violation)", () => {
  const refused = (attempt: number, state: LaunchView["state"] = "running") =>
    launch({ attempt, state, outcome: { kind: "taken", jobId: 9, refused: { repository: "acme/other", reason: "not allowed" } } });

  it("is replaced at once, after one GET, without waiting for the runner to end", () => {
    expect(decide(queued, [refused(1)], now, policy)).toEqual({ kind: "launch", attempt: 2, spec, verify: true });
    expect(decide(queued, [refused(1, "launched")], now, policy)).toMatchObject({ kind: "launch", attempt: 2, verify: true });
  });

  it("counts toward maxAttempts, so foreign jobs cannot make tornade launch without bound", () => {
    const all = [1, 2, 3, 4, 5].map((a) => refused(a, "stopped"));
    const action = decide(queued, all, now, policy);
    expect(action).toMatchObject({ kind: "give-up" });
    expect(action.kind === "give-up" && action.reason).toMatch(/gave up after 5 runners; the last was taken by a job this tornade refuses \(.*acme\/other/);
  });

  it("is never waited for as a sibling's spare", () => {
    const taken = launch({ state: "running", outcome: { kind: "taken", jobId: 2, refused: null } });
    expect(decide({ ...queued, spare: refused(1) }, [taken], now, policy)).toMatchObject({ kind: "launch", attempt: 2, verify: true });
  });
});
