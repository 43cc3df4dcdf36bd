/**
 * The Fargate task sizes AWS accepts, and tornade's size presets. Pure data and lookups, no I/O.
 *
 * Source: AWS, "Amazon ECS task definition parameters for Fargate" → "Task size", and "Troubleshoot Amazon ECS task
 * definition invalid CPU or memory errors" (https://docs.aws.amazon.com/AmazonECS/latest/userguide/task-cpu-memory-error.html):
 *   256 (.25 vCPU)   512 MiB, 1 GB, 2 GB
 *   512 (.5 vCPU)    1–4 GB in 1 GB steps
 *   1024 (1 vCPU)    2–8 GB in 1 GB steps
 *   2048 (2 vCPU)    4–16 GB in 1 GB steps
 *   4096 (4 vCPU)    8–30 GB in 1 GB steps
 *   8192 (8 vCPU)    16–60 GB in 4 GB steps   (Linux platform 1.4.0 or later)
 *   16384 (16 vCPU)  32–120 GB in 8 GB steps  (Linux platform 1.4.0 or later)
 * AWS counts 1 GB as 1024 MiB in that table.
 */
import type { Size } from "./types.js";

const GiB = 1024;

function steps(fromGiB: number, toGiB: number, stepGiB: number): number[] {
  const out: number[] = [];
  for (let g = fromGiB; g <= toGiB; g += stepGiB) out.push(g * GiB);
  return out;
}

/** vCPU → the memory values (MiB) Fargate accepts with it, ascending. */
export const FARGATE_CPU_MEMORY: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>([
  [0.25, [512, 1 * GiB, 2 * GiB]],
  [0.5, steps(1, 4, 1)],
  [1, steps(2, 8, 1)],
  [2, steps(4, 16, 1)],
  [4, steps(8, 30, 1)],
  [8, steps(16, 60, 4)],
  [16, steps(32, 120, 8)],
]);

/** The vCPU values Fargate accepts, ascending. */
export const FARGATE_CPUS: readonly number[] = [...FARGATE_CPU_MEMORY.keys()];

/**
 * Fargate ephemeral storage: 21–200 GiB; without an override a task gets 20 GiB (AWS, "Fargate task ephemeral storage
 * for Amazon ECS"; the RunTask `EphemeralStorage.sizeInGiB` member: minimum 21, maximum 200).
 */
export const FARGATE_DISK_MIN_GIB = 21;
export const FARGATE_DISK_MAX_GIB = 200;

export function isFargateCpu(cpu: number): boolean {
  return FARGATE_CPU_MEMORY.has(cpu);
}

export function fargateMemoryOptions(cpu: number): readonly number[] {
  return FARGATE_CPU_MEMORY.get(cpu) ?? [];
}

export function isValidFargateSize(cpu: number, memoryMiB: number): boolean {
  return fargateMemoryOptions(cpu).includes(memoryMiB);
}

/** The smallest memory Fargate accepts with `cpu`, or undefined when `cpu` is not a Fargate value. */
export function smallestMemoryFor(cpu: number): number | undefined {
  return fargateMemoryOptions(cpu)[0];
}

/** The smallest vCPU that accepts `memoryMiB`, or undefined when no Fargate size has that memory. */
export function smallestCpuFor(memoryMiB: number): number | undefined {
  return FARGATE_CPUS.find((cpu) => isValidFargateSize(cpu, memoryMiB));
}

/** Fargate CPU units as RunTask's `overrides.cpu` wants them (1 vCPU = 1024 units, sent as a string). */
export function fargateCpuUnits(cpu: number): string {
  return String(Math.round(cpu * 1024));
}

/** Human form of a Fargate memory list for error messages: "4096–16384 MiB in 1024 MiB steps" or a plain list. */
export function describeMemoryOptions(cpu: number): string {
  const opts = fargateMemoryOptions(cpu);
  const first = opts[0];
  const last = opts[opts.length - 1];
  if (first === undefined || last === undefined) return "none";
  const second = opts[1];
  const step = second === undefined ? 0 : second - first;
  const even = opts.every((m, i) => i === 0 || m - (opts[i - 1] ?? m) === step);
  if (opts.length > 3 && even) return `${first}–${last} MiB in ${step} MiB steps`;
  return `${opts.join(", ")} MiB`;
}

export interface FargateSize {
  readonly cpu: number;
  /** MiB */
  readonly memory: number;
}

/**
 * `size=` on Fargate. Chosen to resemble the CodeBuild compute type of the same name on ARM (AWS, "Build environment
 * compute modes and types": ARM small 2 vCPU / 4 GB, medium 4 / 8, large 8 / 16, xlarge 32 / 64, 2xlarge 48 / 96),
 * capped at Fargate's largest task (16 vCPU / 120 GB). Overridable in configuration (`sizes`).
 */
export const DEFAULT_FARGATE_SIZES: Readonly<Record<Size, FargateSize>> = {
  small: { cpu: 2, memory: 4 * GiB },
  medium: { cpu: 4, memory: 8 * GiB },
  large: { cpu: 8, memory: 16 * GiB },
  xlarge: { cpu: 16, memory: 64 * GiB },
  "2xlarge": { cpu: 16, memory: 120 * GiB },
};
