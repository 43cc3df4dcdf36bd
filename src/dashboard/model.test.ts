import { describe, expect, it } from "vitest";
import { DEFAULT_PRICES } from "../core/cost.js";
import type { JobDecision } from "../core/job-decision.js";
import type { Arch, Backend, LaunchSpec } from "../core/types.js";
import type { JobRecord, LaunchRecord } from "../store/store.js";
import { buildView, jobState } from "./model.js";

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const launchSpec = (backend: Backend, arch: Arch = "X86_64"): LaunchSpec => ({ backend, arch, image: "default", runnerLabels: ["self-hosted"] });
const spec = (backend: Backend, arch: Arch = "X86_64"): JobDecision => ({ kind: "launch", spec: launchSpec(backend, arch) });

function job(id: number, over: Partial<JobRecord> = {}): JobRecord {
  return {
    id, runId: 7, runAttempt: 1, repository: "o/r", owner: "o", repo: "r", installationId: 1, labels: ["self-hosted", "tornade"],
    name: `job-${id}`, workflowName: null, status: "queued", conclusion: null, runnerName: null, startedAt: null, decision: spec("FARGATE"),
    rerunBackend: null, createdAt: T0, receivedAt: T0 + 1000, updatedAt: T0 + 1000, version: 1, ...over,
  };
}

function launch(jobId: number, over: Partial<LaunchRecord> = {}): LaunchRecord {
  return {
    id: `${jobId}-1`, jobId, attempt: 1, backend: "FARGATE", arch: "X86_64", providerId: "arn:task", runnerName: "r", state: "launched",
    error: null, outcome: null, spotInterrupted: false, fallbackFrom: null, standby: null, handoffFrom: null, requestedAt: T0 + 2000, launchedAt: T0 + 3000, startedAt: null, stoppedAt: null,
    updatedAt: T0 + 3000, version: 1, ...over,
  };
}

const depth = { pending: 0, inFlight: 0, dead: 0 };

describe("jobState", () => {
  it.each([
    ["queued with no launch", job(1), [], "queued"],
    ["launch requested", job(1), [launch(1, { state: "requested" })], "launching"],
    ["runner up, job not yet taken", job(1), [launch(1, { state: "running", startedAt: T0 })], "launching"],
    ["job in progress", job(1, { status: "in_progress" }), [launch(1, { state: "running" })], "running"],
    ["job completed", job(1, { status: "completed", conclusion: "success" }), [], "done"],
    ["label error", job(1, { decision: { kind: "rejected", reason: 'arch=RISCV: arch must be X86_64 or ARM64' } }), [], "rejected"],
    ["gave up", job(1, { decision: { kind: "failed", reason: "permanent: no such task definition", spec: launchSpec("FARGATE") } }), [], "failed"],
    ["static", job(1, { decision: { kind: "static", reason: "type=static" } }), [], "static"],
  ] as const)("%s → %s", (_what, j, ls, state) => {
    expect(jobState(j, ls).state).toBe(state);
  });

  it("keeps the reason of a rejection and the last error of a launch being retried", () => {
    expect(jobState(job(1, { decision: { kind: "rejected", reason: "bad label" } }), []).reason).toBe("bad label");
    const failed = launch(1, { state: "failed", error: { kind: "capacity", message: "RESOURCE:FARGATE" } });
    expect(jobState(job(1), [failed])).toEqual({ state: "queued", reason: "retrying after: RESOURCE:FARGATE" });
  });
});

describe("buildView", () => {
  const jobs = [
    job(1, { status: "completed", conclusion: "success" }),
    job(2, { decision: spec("FARGATE_SPOT"), status: "in_progress" }),
    job(3, { decision: { kind: "rejected", reason: "runs-on=EC2 is not a backend" }, createdAt: T0 + 5000 }),
  ];
  const launches = [
    launch(1, { state: "stopped", startedAt: T0 + 25_000, stoppedAt: T0 + 25_000 + 120_000 }),
    launch(2, { id: "2-1", backend: "FARGATE_SPOT", state: "failed", error: { kind: "capacity", message: "no Spot capacity" } }),
    launch(2, { id: "2-2", attempt: 2, backend: "FARGATE", state: "running", fallbackFrom: "FARGATE_SPOT", requestedAt: T0 + 9000, startedAt: T0 + 70_000 }),
  ];
  const view = buildView({ jobs, launches, now: T0 + 100_000, sandbox: true, queueDepth: depth });

  it("counts jobs by state and shows each job's last backend", () => {
    expect(view.counts).toMatchObject({ done: 1, running: 1, rejected: 1, queued: 0 });
    expect(view.jobs.map((j) => [j.id, j.state, j.backend, j.launches])).toEqual([
      [3, "rejected", null, 0],
      [2, "running", "FARGATE", 2],
      [1, "done", "FARGATE", 1],
    ]);
  });

  it("measures queued → runner online from GitHub's created_at to the first runner start", () => {
    expect(view.jobs.find((j) => j.id === 1)?.runnerOnlineSeconds).toBe(25);
    expect(view.jobs.find((j) => j.id === 2)?.runnerOnlineSeconds).toBe(70);
    // 25 s falls in the ≤30 bucket (index 2), 70 s in ≤90 (index 5).
    expect(view.queueTime.runnerOnline[2]).toBe(1);
    expect(view.queueTime.runnerOnline[5]).toBe(1);
    expect(view.queueTime.median.runnerOnline).toBe(47.5);
    expect(view.queueTime.samples.jobStarted).toBe(0);
  });

  it("lists failures, fallbacks and rejections newest first, with their reasons", () => {
    expect(view.events.map((e) => e.kind).sort()).toEqual(["failure", "fallback", "rejected"]);
    expect(view.events.find((e) => e.kind === "fallback")?.message).toBe("FARGATE_SPOT → FARGATE (attempt 2)");
    expect(view.events.find((e) => e.kind === "failure")?.message).toBe("capacity: no Spot capacity");
    expect(view.events.find((e) => e.kind === "rejected")?.message).toBe("runs-on=EC2 is not a backend");
  });

  it("prices runner time per backend, counting a running runner up to now", () => {
    const fargate = view.backends.find((b) => b.backend === "FARGATE" && b.arch === "X86_64");
    // job 1: 120 s stopped; job 2's fallback: running since T0+70 s, now T0+100 s → 30 s.
    expect(fargate?.runnerMinutes).toBeCloseTo(2.5);
    expect(fargate?.launches).toBe(2);
    expect(fargate?.active).toBe(1);
    expect(view.backends.find((b) => b.backend === "FARGATE_SPOT" && b.arch === "X86_64")?.failed).toBe(1);
    // GitHub rounds each job up to a whole minute at $0.006: 2 min + 1 min.
    expect(view.cost.githubUsd).toBeCloseTo(0.018);
    expect(view.cost.awsUsd).toBeGreaterThan(0);
    expect(view.cost.awsUsd).toBeLessThan(view.cost.githubUsd);
  });

  it("uses the prices it is given, and says what they assume", () => {
    const prices = { ...DEFAULT_PRICES, region: "eu-west-1", githubHostedPerMinute: { X86_64: 0.012, ARM64: 0.01 } };
    const v = buildView({ jobs, launches, now: T0 + 100_000, sandbox: false, queueDepth: depth, prices, priceNotes: ["check your bill"] });
    expect(v.cost.githubUsd).toBeCloseTo(2 * view.cost.githubUsd);
    expect(v.cost.awsUsd).toBeCloseTo(view.cost.awsUsd);
    expect(v.cost.source).toMatch(/^eu-west-1 prices .*1 vCPU \/ 2048 MiB.*\. check your bill$/);
  });

  it("shows the cost ceilings it is given, and none when given none", () => {
    expect(view.ceilings).toBeNull();
    const ceilings = { maxRunners: 12, perBackend: { FARGATE_SPOT: 4 }, maxCpu: 4, maxMemory: 8192, maxDisk: 50, maxCodeBuildSize: "medium" } as const;
    const v = buildView({ jobs, launches, now: T0 + 100_000, sandbox: false, queueDepth: depth, ceilings });
    expect(v.ceilings).toMatchObject(ceilings);
    expect(v.ceilings?.text).toBe(
      "at most 12 runners at once (4 on FARGATE_SPOT); per runner at most 4 vCPU, 8192 MiB of memory and 50 GiB of disk on Fargate, CodeBuild size medium. " +
        "Change them under limits (TORNADE_MAX_RUNNERS, TORNADE_MAX_CPU, TORNADE_MAX_MEMORY, TORNADE_MAX_DISK, TORNADE_MAX_CODEBUILD_SIZE)",
    );
  });
});

describe("buildView: clock and policy violations", () => {
  it("says whether the times are simulated, and how fast the clock runs", () => {
    expect(buildView({ jobs: [], launches: [], now: T0, sandbox: false, queueDepth: depth }).clock).toEqual({ speed: 1, simulated: false });
    expect(buildView({ jobs: [], launches: [], now: T0, sandbox: true, clockSpeed: 20, queueDepth: depth }).clock).toEqual({ speed: 20, simulated: true });
  });

  it("counts runners taken by a job tornade refuses and lists each as a policy violation", () => {
    const message = "its runner was taken by job 9 of o/other, which this tornade refuses: not allowed";
    const taken = launch(1, { state: "running", startedAt: T0 + 20_000, outcome: { kind: "taken", jobId: 9, refused: { repository: "o/other", reason: "not allowed" } } });
    const replacement = launch(1, { id: "1-2", attempt: 2, state: "launched" });
    const v = buildView({ jobs: [job(1)], launches: [taken, replacement], now: T0 + 60_000, sandbox: false, queueDepth: depth });
    expect(v.policyViolations).toBe(1);
    expect(v.events).toEqual([{ at: T0 + 20_000, jobId: 1, jobName: "job-1", kind: "policy-violation", backend: "FARGATE", message }]);
  });
});

describe("buildView: standbys", () => {
  const shapeOf = "FARGATE/X86_64/cpu=-,memory=-,disk=-/image=default";
  const standby = (n: number, status: NonNullable<LaunchRecord["standby"]>["status"], over: Partial<LaunchRecord> = {}) =>
    launch(0, { id: `0-${n}`, attempt: n, standby: { shape: shapeOf, parameter: `/p/${n}`, status }, launchedAt: T0, startedAt: T0 + 30_000, ...over });
  const jobs = [job(1, { status: "completed" }), job(2, { status: "completed" })];
  const launches = [
    launch(1, { state: "stopped", handoffFrom: "0-1", launchedAt: T0 + 90_000, startedAt: T0 + 30_000, stoppedAt: T0 + 150_000 }),
    launch(2, { state: "stopped", startedAt: T0 + 40_000, stoppedAt: T0 + 160_000 }),
    standby(1, { kind: "claimed", jobId: 1, attempt: 1, at: T0 + 90_000 }, { state: "stopped", stoppedAt: T0 + 90_000 }),
    standby(2, { kind: "free" }, { state: "running" }),
    standby(3, { kind: "free" }, { state: "launched", startedAt: null }),
  ];
  const view = buildView({ jobs, launches, now: T0 + 210_000, sandbox: false, queueDepth: depth });

  it("shows per shape the standbys booting, waiting and handed off, and the hit rate", () => {
    expect(view.standbys.shapes).toEqual([
      expect.objectContaining({ shape: shapeOf, backend: "FARGATE", arch: "X86_64", booting: 1, waiting: 1, retiring: 0, handedOff: 1, warmJobs: 1, coldJobs: 1, hitRate: 0.5 }),
    ]);
    expect(view.standbys).toMatchObject({ warmJobs: 1, coldJobs: 1, hitRate: 0.5 });
  });

  it("prices the standbys' idle time apart from the runners, and counts a handed-off runner from the handoff", () => {
    // Idle: the claimed one 60 s (start → claim), the waiting one 180 s (start → now), the booting one 210 s (its start
    // not seen yet: from its launch, as a runner's).
    expect(view.standbys.idleMinutes).toBeCloseTo((60 + 180 + 210) / 60, 6);
    expect(view.standbys.idleUsd).toBeGreaterThan(0);
    // The runners: job 1 from its handoff (60 s), job 2 from its start (120 s); no standby row among them.
    expect(view.backends.find((b) => b.backend === "FARGATE" && b.arch === "X86_64")).toMatchObject({ launches: 2, runnerMinutes: 3 });
    // Online for job 1 at the handoff, not when the standby's task started.
    expect(view.jobs.find((j) => j.id === 1)?.runnerOnlineSeconds).toBe(90);
  });
});
