/**
 * The cost model: what a runner's minutes cost on AWS, what the same job would have cost on a GitHub-hosted runner,
 * and the saving. Pure: records and prices in, numbers out (the store reading lives in src/cost/).
 *
 * Published prices (us-east-1, the defaults; every one is configurable under `prices`):
 * - Fargate Linux: x86_64 $0.04048 per vCPU-hour and $0.004445 per GB-hour; ARM64 $0.03238 and $0.00356; ephemeral
 *   storage above the 20 GB included $0.000111 per GB-hour. Billed per second from the image pull until the task
 *   ends, with a one-minute minimum (AWS Fargate pricing, https://aws.amazon.com/fargate/pricing/).
 * - Fargate Spot: "up to 70% discount" off Fargate (same page); the real discount floats, so `spotDiscount`
 *   (default 0.7) is an assumption the operator can set from their bill.
 * - CodeBuild on-demand EC2, per build minute, rounded up to the minute (AWS CodeBuild pricing,
 *   https://aws.amazon.com/codebuild/pricing/): general1.small $0.005, general1.medium $0.01, general1.large $0.02,
 *   arm1.small $0.0034. ASSUMED, to be checked against that page for your region and set in `prices.codebuild`:
 *   general1.xlarge $0.04, general1.2xlarge $0.20, arm1.medium $0.007, arm1.large $0.015, arm1.xlarge $0.044,
 *   arm1.2xlarge $0.066.
 * - GitHub-hosted equivalent: Linux 2-core x64 $0.006 per minute and arm64 2-core $0.005 per minute, from 2026-01-01
 *   ("Actions runner pricing", https://docs.github.com/en/billing/reference/actions-runner-pricing). GitHub rounds
 *   each job up to the whole minute ("About billing for GitHub Actions"). The comparison is always against the
 *   2-core hosted runner, whatever size the self-hosted runner had.
 */
import type { Arch, Backend, LaunchSpec, Size } from "./types.js";
import { ARCHS, BACKENDS } from "./types.js";

export interface FargateRate {
  /** $ per vCPU-hour */
  readonly vcpuHour: number;
  /** $ per GB-hour of memory */
  readonly gbHour: number;
}

export interface Prices {
  /** The region these prices are for (a label for the report; prices differ by region). */
  readonly region: string;
  readonly fargate: Readonly<Record<Arch, FargateRate>>;
  /** $ per GB-hour of ephemeral storage above the included 20 GB. */
  readonly fargateStorageGbHour: number;
  /** Fraction off the Fargate price for FARGATE_SPOT, 0..1. */
  readonly spotDiscount: number;
  /** $ per build minute by arch and size preset (general1.* on X86_64, arm1.* on ARM64). */
  readonly codebuildPerMinute: Readonly<Record<Arch, Readonly<Record<Size, number>>>>;
  /** $ per minute of the GitHub-hosted 2-core runner of the same arch. */
  readonly githubHostedPerMinute: Readonly<Record<Arch, number>>;
  /** The task size assumed when a job named none (its task definition's own size is not in tornade's records). */
  readonly assumedTask: { readonly cpu: number; readonly memory: number };
  /** The CodeBuild size assumed when a job named none (the project's own compute type). */
  readonly assumedCodebuildSize: Size;
}

export const DEFAULT_PRICES: Prices = {
  region: "us-east-1",
  fargate: { X86_64: { vcpuHour: 0.04048, gbHour: 0.004445 }, ARM64: { vcpuHour: 0.03238, gbHour: 0.00356 } },
  fargateStorageGbHour: 0.000111,
  spotDiscount: 0.7,
  codebuildPerMinute: {
    X86_64: { small: 0.005, medium: 0.01, large: 0.02, xlarge: 0.04, "2xlarge": 0.2 },
    ARM64: { small: 0.0034, medium: 0.007, large: 0.015, xlarge: 0.044, "2xlarge": 0.066 },
  },
  githubHostedPerMinute: { X86_64: 0.006, ARM64: 0.005 },
  // The runner task definitions tornade's infrastructure and the test bed register: 1 vCPU, 2 GiB.
  assumedTask: { cpu: 1, memory: 2048 },
  assumedCodebuildSize: "small",
};

/** Fargate includes 20 GB of ephemeral storage in the task price (AWS Fargate pricing). */
export const FARGATE_INCLUDED_STORAGE_GB = 20;
/** Fargate bills at least one minute per task (AWS Fargate pricing, Linux). */
export const FARGATE_MINIMUM_SECONDS = 60;

/**
 * One runner's life, as the cost model needs it: the launch's backend, arch and size (cpu, memory, disk, size as the
 * job's labels asked; undefined = the assumed size), and the seconds it ran (task or build started → stopped).
 */
export type RunnerUsage = Pick<LaunchSpec, "backend" | "arch" | "cpu" | "memory" | "disk" | "size"> & { readonly seconds: number };

export interface RunnerCost {
  /** What the provider bills for: Fargate seconds (1-minute minimum) or CodeBuild whole minutes, in seconds. */
  readonly billedSeconds: number;
  readonly awsCost: number;
  /** The same job on the GitHub-hosted 2-core runner of its arch. */
  readonly githubHostedCost: number;
}

export function runnerCost(u: RunnerUsage, p: Prices): RunnerCost {
  const seconds = Math.max(0, u.seconds);
  const githubHostedCost = Math.ceil(seconds / 60) * p.githubHostedPerMinute[u.arch];
  if (u.backend === "CODEBUILD") {
    const minutes = Math.max(1, Math.ceil(seconds / 60));
    const rate = p.codebuildPerMinute[u.arch][u.size ?? p.assumedCodebuildSize];
    return { billedSeconds: minutes * 60, awsCost: minutes * rate, githubHostedCost };
  }
  const billedSeconds = Math.max(FARGATE_MINIMUM_SECONDS, Math.ceil(seconds));
  const hours = billedSeconds / 3600;
  const cpu = u.cpu ?? p.assumedTask.cpu;
  const memoryGb = (u.memory ?? p.assumedTask.memory) / 1024;
  const extraStorageGb = Math.max(0, (u.disk ?? 0) - FARGATE_INCLUDED_STORAGE_GB);
  const rate = p.fargate[u.arch];
  const onDemand = hours * (cpu * rate.vcpuHour + memoryGb * rate.gbHour + extraStorageGb * p.fargateStorageGbHour);
  const awsCost = u.backend === "FARGATE_SPOT" ? onDemand * (1 - p.spotDiscount) : onDemand;
  return { billedSeconds, awsCost, githubHostedCost };
}

export interface CostRow {
  readonly backend: Backend;
  readonly arch: Arch;
  /** Distinct jobs that had at least one runner here. */
  readonly jobs: number;
  readonly runners: number;
  /** Minutes the runners actually ran. */
  readonly runnerMinutes: number;
  readonly billedMinutes: number;
  readonly awsCost: number;
  readonly githubHostedCost: number;
  /** githubHostedCost − awsCost: positive when self-hosting was cheaper. */
  readonly saving: number;
}

export interface CostSummary {
  readonly rows: CostRow[];
  readonly total: Omit<CostRow, "backend" | "arch">;
}

/** Adds up runners (each tagged with its job id) by backend and arch, in BACKENDS × ARCHS order, empty rows left out. */
export function summarizeCost(usages: readonly (RunnerUsage & { readonly jobId: number })[], p: Prices): CostSummary {
  const rows: CostRow[] = [];
  for (const backend of BACKENDS) {
    for (const arch of ARCHS) {
      const mine = usages.filter((u) => u.backend === backend && u.arch === arch);
      if (mine.length) rows.push({ backend, arch, ...addUp(mine, p) });
    }
  }
  return { rows, total: addUp(usages, p) };
}

function addUp(usages: readonly (RunnerUsage & { readonly jobId: number })[], p: Prices): Omit<CostRow, "backend" | "arch"> {
  let seconds = 0;
  let billed = 0;
  let aws = 0;
  let hosted = 0;
  for (const u of usages) {
    const c = runnerCost(u, p);
    seconds += Math.max(0, u.seconds);
    billed += c.billedSeconds;
    aws += c.awsCost;
    hosted += c.githubHostedCost;
  }
  return {
    jobs: new Set(usages.map((u) => u.jobId)).size,
    runners: usages.length,
    runnerMinutes: seconds / 60,
    billedMinutes: billed / 60,
    awsCost: aws,
    githubHostedCost: hosted,
    saving: hosted - aws,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Runner windows and standby idle time (docs/standby.md, "Seen and priced")

/** A launch row as the cost model reads it (store LaunchRecord's fields). */
export interface LaunchTimes {
  readonly providerId: string | null;
  readonly launchedAt: number | null;
  readonly startedAt: number | null;
  readonly stoppedAt: number | null;
  /** Set on a job's row served by a standby: its task ran before the handoff as the standby, idle. */
  readonly handoffFrom: string | null;
}

/**
 * The stretch a job's runner is billed for under its job: from its task starting (the image pull; the launch when the
 * start was not seen) to its end, `until` while it runs. A runner handed to a standby counts from the handoff (its
 * launchedAt): before it, the same task was the standby's, priced as idle (standbyIdle), so nothing counts twice.
 * Undefined for a launch that never reached its provider (no task, no build): it cost nothing.
 */
export function runnerWindow(l: LaunchTimes, until: number): { readonly from: number; readonly to: number } | undefined {
  if (l.providerId === null) return undefined;
  const from = l.handoffFrom !== null ? (l.launchedAt ?? l.startedAt) : (l.startedAt ?? l.launchedAt);
  if (from === null) return undefined;
  return { from, to: Math.max(from, l.stoppedAt ?? until) };
}

/** A standby's launch row as the idle model reads it. */
export interface StandbyTimes extends Omit<LaunchTimes, "handoffFrom"> {
  /** Its StandbyStatus: claimed (and when), retired, or still free. */
  readonly status: { readonly kind: "free" } | { readonly kind: "claimed"; readonly at: number } | { readonly kind: "retired" };
}

/**
 * How long a standby waited, billed and serving nobody: from its task starting (as a runner's, runnerWindow) to its
 * claim — after which the task is its job's runner — or, never claimed, to its task's end (retired, died), `until`
 * while it still waits. `served`: a job took it.
 */
export function standbyIdle(s: StandbyTimes, until: number): { readonly seconds: number; readonly served: boolean } | undefined {
  const w = runnerWindow({ ...s, handoffFrom: null }, until);
  if (!w) return undefined;
  const served = s.status.kind === "claimed";
  const end = s.status.kind === "claimed" ? s.status.at : w.to;
  return { seconds: Math.max(0, (end - w.from) / 1000), served };
}

/** A standby's idle stretch with what it ran (its shape's resolved size) and whether a job took it. */
export type StandbyIdleUsage = Omit<RunnerUsage, "seconds"> & { readonly seconds: number; readonly served: boolean };

/**
 * What a standby's idle time cost. A standby a job took is one task with that job's runner: AWS bills the task once
 * (one Fargate minimum, one CodeBuild build rounded up), and the job's part carries the minimum, so the idle part is
 * priced per second at the same rate. A standby never taken is a whole task of its own, priced as any runner.
 */
export function standbyIdleCost(u: StandbyIdleUsage, p: Prices): number {
  if (!u.served) return runnerCost(u, p).awsCost;
  const seconds = Math.max(0, u.seconds);
  if (u.backend === "CODEBUILD") return (seconds / 60) * p.codebuildPerMinute[u.arch][u.size ?? p.assumedCodebuildSize];
  // An hour at the runner's rate, without the minimum: runnerCost of 3600 s is exactly its hourly price.
  return (seconds / 3600) * runnerCost({ ...u, seconds: 3600 }, p).awsCost;
}

export interface StandbyIdleRow {
  readonly shape: string;
  readonly backend: Backend;
  readonly arch: Arch;
  /** Standbys that had a task, and how many of them a job took. */
  readonly standbys: number;
  readonly served: number;
  readonly idleMinutes: number;
  readonly awsCost: number;
}

export interface StandbyIdleSummary {
  /** Per shape, in the order shapes first appear. */
  readonly rows: StandbyIdleRow[];
  readonly total: Omit<StandbyIdleRow, "shape" | "backend" | "arch">;
}

/** Adds up standbys' idle time and cost per shape. */
export function summarizeStandbyIdle(usages: readonly (StandbyIdleUsage & { readonly shape: string })[], p: Prices): StandbyIdleSummary {
  const add = (us: readonly StandbyIdleUsage[]) => ({
    standbys: us.length,
    served: us.filter((u) => u.served).length,
    idleMinutes: us.reduce((s, u) => s + Math.max(0, u.seconds), 0) / 60,
    awsCost: us.reduce((s, u) => s + standbyIdleCost(u, p), 0),
  });
  const shapes = [...new Set(usages.map((u) => u.shape))];
  const rows = shapes.map((shape) => {
    const mine = usages.filter((u) => u.shape === shape);
    const first = mine[0];
    return { shape, backend: first?.backend ?? "FARGATE", arch: first?.arch ?? "X86_64", ...add(mine) };
  });
  return { rows, total: add(usages) };
}
