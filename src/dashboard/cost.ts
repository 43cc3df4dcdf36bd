/**
 * INTERIM cost estimate for the dashboard, from the prices DESIGN.md quotes (us-east-1, published by AWS and GitHub).
 * `src/core/cost.ts` (written in parallel, issue 6 point 5) is the real model; when it lands the dashboard uses it and
 * this file goes. Kept to one function so the swap is one import.
 *
 * Sources:
 * - AWS Fargate pricing (aws.amazon.com/fargate/pricing): Linux/x86 $0.04048 per vCPU-hour and $0.004445 per GB-hour,
 *   Linux/ARM $0.03238 and $0.00356; billed per second with a one-minute minimum. Fargate Spot is "up to 70 %"
 *   cheaper; its real price moves, so this estimate applies the full 70 % and says so on the page.
 * - AWS CodeBuild pricing (aws.amazon.com/codebuild/pricing): general1.small $0.005 per minute, arm1.small $0.0034.
 *   Build time is counted in whole minutes here (rounded up), the conservative reading.
 * - GitHub Actions billing (docs.github.com "About billing for GitHub Actions"): Linux 2-core $0.006 per minute,
 *   Linux arm64 2-core $0.005; each job's time is rounded up to the whole minute.
 */
import type { Arch, Backend, Size } from "../core/types.js";

export interface RunnerUsage {
  readonly backend: Backend;
  readonly arch: Arch;
  /** Runner lifetime in seconds (task/build start to stop, or to now while it runs). */
  readonly seconds: number;
  /** Fargate task size, vCPU and MiB; the test bed's runner task (1 vCPU, 2 GiB) when the job named none. */
  readonly cpu?: number | undefined;
  readonly memory?: number | undefined;
  /** Fargate ephemeral storage (GiB) and the size preset; the interim estimate ignores both. */
  readonly disk?: number | undefined;
  readonly size?: Size | undefined;
}

export interface CostEstimate {
  readonly awsUsd: number;
  /** The same job on a GitHub-hosted 2-core Linux runner of the same arch. */
  readonly githubUsd: number;
}

const FARGATE = {
  X86_64: { vcpuHour: 0.04048, gbHour: 0.004445 },
  ARM64: { vcpuHour: 0.03238, gbHour: 0.00356 },
} as const;
const SPOT_DISCOUNT = 0.7;
const CODEBUILD_PER_MIN = { X86_64: 0.005, ARM64: 0.0034 } as const;
const GITHUB_PER_MIN = { X86_64: 0.006, ARM64: 0.005 } as const;
const DEFAULT_VCPU = 1;
const DEFAULT_MEMORY_MIB = 2048;

export const COST_SOURCE =
  "interim estimate from DESIGN.md prices (us-east-1; Fargate Spot at its maximum 70 % discount; unsized tasks as 1 vCPU / 2 GiB)";

/** How the dashboard prices one runner; buildView takes one so the real model can replace this estimate. */
export type PriceRunner = (u: RunnerUsage) => CostEstimate;

export function estimateCost(u: RunnerUsage): CostEstimate {
  const seconds = Math.max(0, u.seconds);
  const githubUsd = Math.ceil(seconds / 60) * GITHUB_PER_MIN[u.arch];
  if (u.backend === "CODEBUILD") return { awsUsd: Math.ceil(seconds / 60) * CODEBUILD_PER_MIN[u.arch], githubUsd };
  const billed = Math.max(60, seconds) / 3600;
  const p = FARGATE[u.arch];
  const hourly = (u.cpu ?? DEFAULT_VCPU) * p.vcpuHour + ((u.memory ?? DEFAULT_MEMORY_MIB) / 1024) * p.gbHour;
  const onDemand = billed * hourly;
  return { awsUsd: u.backend === "FARGATE_SPOT" ? onDemand * (1 - SPOT_DISCOUNT) : onDemand, githubUsd };
}
