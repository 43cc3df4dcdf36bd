import { describe, expect, it } from "vitest";
import { DEFAULT_PRICES, runnerCost, runnerWindow, standbyIdle, standbyIdleCost, summarizeCost, summarizeStandbyIdle, type Prices } from "./cost.js";

const p = DEFAULT_PRICES;
const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 10);

describe("runnerCost", () => {
  it("bills Fargate per second: 1 vCPU + 2 GB x86 for 10 minutes", () => {
    const c = runnerCost({ backend: "FARGATE", arch: "X86_64", cpu: 1, memory: 2048, seconds: 600 }, p);
    expect(c.billedSeconds).toBe(600);
    close(c.awsCost, (600 / 3600) * (0.04048 + 2 * 0.004445));
    close(c.githubHostedCost, 10 * 0.006);
  });

  it("bills Fargate at least one minute, and rounds partial seconds up", () => {
    expect(runnerCost({ backend: "FARGATE", arch: "X86_64", seconds: 5 }, p).billedSeconds).toBe(60);
    expect(runnerCost({ backend: "FARGATE", arch: "X86_64", seconds: 90.2 }, p).billedSeconds).toBe(91);
  });

  it("uses the ARM64 rates and the assumed task size when the job named none", () => {
    const c = runnerCost({ backend: "FARGATE", arch: "ARM64", seconds: 3600 }, p);
    close(c.awsCost, 1 * 0.03238 + 2 * 0.00356);
    close(c.githubHostedCost, 60 * 0.005);
  });

  it("takes the Spot discount off the on-demand price, and the discount is configurable", () => {
    const u = { backend: "FARGATE_SPOT", arch: "X86_64", cpu: 2, memory: 4096, seconds: 3600 } as const;
    const onDemand = 2 * 0.04048 + 4 * 0.004445;
    close(runnerCost(u, p).awsCost, onDemand * 0.3);
    close(runnerCost(u, { ...p, spotDiscount: 0.5 }).awsCost, onDemand * 0.5);
  });

  it("charges ephemeral storage above the included 20 GB only", () => {
    const base = { backend: "FARGATE", arch: "X86_64", cpu: 1, memory: 2048, seconds: 3600 } as const;
    close(runnerCost({ ...base, disk: 21 }, p).awsCost - runnerCost(base, p).awsCost, 1 * 0.000111);
    close(runnerCost({ ...base, disk: 200 }, p).awsCost - runnerCost(base, p).awsCost, 180 * 0.000111);
  });

  it("bills CodeBuild in whole minutes by compute type", () => {
    const small = runnerCost({ backend: "CODEBUILD", arch: "X86_64", seconds: 61 }, p);
    expect(small.billedSeconds).toBe(120);
    close(small.awsCost, 2 * 0.005);
    close(runnerCost({ backend: "CODEBUILD", arch: "ARM64", seconds: 60 }, p).awsCost, 0.0034);
    close(runnerCost({ backend: "CODEBUILD", arch: "X86_64", size: "large", seconds: 600 }, p).awsCost, 10 * 0.02);
    // A build that ended at once still bills its first minute.
    close(runnerCost({ backend: "CODEBUILD", arch: "X86_64", seconds: 0 }, p).awsCost, 0.005);
  });

  it("prices the GitHub-hosted equivalent per started minute, as GitHub rounds each job", () => {
    close(runnerCost({ backend: "FARGATE", arch: "X86_64", seconds: 61 }, p).githubHostedCost, 2 * 0.006);
    expect(runnerCost({ backend: "FARGATE", arch: "X86_64", seconds: 0 }, p).githubHostedCost).toBe(0);
  });

  it("follows configured prices (another region's)", () => {
    const other: Prices = { ...p, region: "eu-west-1", fargate: { ...p.fargate, X86_64: { vcpuHour: 0.1, gbHour: 0.01 } } };
    close(runnerCost({ backend: "FARGATE", arch: "X86_64", cpu: 1, memory: 1024, seconds: 3600 }, other).awsCost, 0.11);
  });
});

describe("summarizeCost", () => {
  it("groups by backend and arch, counts distinct jobs and adds up the saving", () => {
    const s = summarizeCost(
      [
        { jobId: 1, backend: "FARGATE_SPOT", arch: "X86_64", seconds: 300 },
        // The same job relaunched after a Spot interruption: two runners, one job.
        { jobId: 1, backend: "FARGATE_SPOT", arch: "X86_64", seconds: 120 },
        { jobId: 2, backend: "CODEBUILD", arch: "ARM64", seconds: 240 },
        { jobId: 3, backend: "FARGATE", arch: "X86_64", seconds: 600 },
      ],
      p,
    );
    expect(s.rows.map((r) => `${r.backend}/${r.arch}`)).toEqual(["FARGATE/X86_64", "FARGATE_SPOT/X86_64", "CODEBUILD/ARM64"]);
    const spot = s.rows[1];
    expect(spot?.jobs).toBe(1);
    expect(spot?.runners).toBe(2);
    expect(spot?.runnerMinutes).toBe(7);
    expect(s.total.jobs).toBe(3);
    expect(s.total.runners).toBe(4);
    close(s.total.awsCost, s.rows.reduce((a, r) => a + r.awsCost, 0));
    close(s.total.saving, s.total.githubHostedCost - s.total.awsCost);
    // 5 + 2 + 4 + 10 GitHub minutes, x64 at 0.006 and arm64 at 0.005.
    close(s.total.githubHostedCost, 17 * 0.006 + 4 * 0.005);
  });

  it("is empty for no runners", () => {
    const s = summarizeCost([], p);
    expect(s.rows).toEqual([]);
    expect(s.total.awsCost).toBe(0);
  });
});

describe("runnerWindow and standbyIdle", () => {
  const T = 1_000_000;
  const row = { providerId: "arn:t", launchedAt: T, startedAt: T + 60_000, stoppedAt: null, handoffFrom: null };
  it.each([
    ["a cold runner: from its task starting", row, { from: T + 60_000, to: T + 600_000 }],
    ["start not seen: from its launch", { ...row, startedAt: null }, { from: T, to: T + 600_000 }],
    ["stopped", { ...row, stoppedAt: T + 300_000 }, { from: T + 60_000, to: T + 300_000 }],
    ["handed a standby: from the handoff, not the standby's start", { ...row, handoffFrom: "0-9", launchedAt: T + 200_000, startedAt: T - 500_000 }, { from: T + 200_000, to: T + 600_000 }],
    ["never reached its provider", { ...row, providerId: null }, undefined],
  ] as const)("runnerWindow: %s", (_what, l, want) => {
    expect(runnerWindow(l, T + 600_000)).toEqual(want);
  });

  const standby = { providerId: "arn:s", launchedAt: T, startedAt: T + 90_000, stoppedAt: null };
  it.each([
    ["still waiting: up to now", { ...standby, status: { kind: "free" } }, { seconds: 510, served: false }],
    ["claimed: up to the claim", { ...standby, stoppedAt: T + 400_000, status: { kind: "claimed", at: T + 390_000 } }, { seconds: 300, served: true }],
    ["retired: up to its task's end", { ...standby, stoppedAt: T + 190_000, status: { kind: "retired" } }, { seconds: 100, served: false }],
    ["retired, still stopping: up to now", { ...standby, status: { kind: "retired" } }, { seconds: 510, served: false }],
    ["never started a task", { ...standby, providerId: null, status: { kind: "free" } }, undefined],
  ] as const)("standbyIdle: %s", (_what, s, want) => {
    expect(standbyIdle(s, T + 600_000)).toEqual(want);
  });
});

describe("standbyIdleCost and summarizeStandbyIdle", () => {
  const hourly = runnerCost({ backend: "FARGATE", arch: "X86_64", seconds: 3600 }, p).awsCost;
  it.each([
    ["an idle standby never taken is a whole task: the Fargate minimum applies", { backend: "FARGATE", arch: "X86_64", seconds: 10, served: false }, (60 / 3600) * hourly],
    ["a taken one is priced per second: the job's part carries the minimum", { backend: "FARGATE", arch: "X86_64", seconds: 10, served: true }, (10 / 3600) * hourly],
    ["Spot keeps its discount", { backend: "FARGATE_SPOT", arch: "X86_64", seconds: 3600, served: true }, hourly * 0.3],
    ["CodeBuild never taken: whole minutes", { backend: "CODEBUILD", arch: "X86_64", seconds: 61, served: false }, 2 * 0.005],
    ["CodeBuild taken: the fraction of a minute", { backend: "CODEBUILD", arch: "X86_64", size: "large", seconds: 30, served: true }, 0.5 * 0.02],
  ] as const)("%s", (_what, u, want) => {
    close(standbyIdleCost(u, p), want);
  });

  it("adds up per shape", () => {
    const s = summarizeStandbyIdle(
      [
        { shape: "a", backend: "FARGATE", arch: "X86_64", seconds: 600, served: true },
        { shape: "a", backend: "FARGATE", arch: "X86_64", seconds: 1200, served: false },
        { shape: "b", backend: "CODEBUILD", arch: "ARM64", seconds: 120, served: false },
      ],
      p,
    );
    expect(s.rows.map((r) => [r.shape, r.backend, r.standbys, r.served, r.idleMinutes])).toEqual([
      ["a", "FARGATE", 2, 1, 30],
      ["b", "CODEBUILD", 1, 0, 2],
    ]);
    close(s.total.awsCost, (1800 / 3600) * hourly + 2 * 0.0034);
    expect(s.total).toMatchObject({ standbys: 3, served: 1, idleMinutes: 32 });
  });
});
