/**
 * The size part of the label grammar: `cpu=`, `memory=`, `disk=` and `size=` against Fargate's task sizes, CodeBuild's
 * compute types and this tornade's cost ceilings (core/ceilings.ts). Pure; problems are added to the job's list.
 */
import { overCeilings, type Asked } from "./ceilings.js";
import {
  DEFAULT_FARGATE_SIZES,
  FARGATE_CPUS,
  FARGATE_DISK_MAX_GIB,
  FARGATE_DISK_MIN_GIB,
  describeMemoryOptions,
  isFargateCpu,
  isValidFargateSize,
  smallestCpuFor,
  smallestMemoryFor,
} from "./fargate-sizes.js";
import type { Keyed, LabelProblems } from "./label-errors.js";
import type { LabelPolicy } from "./labels.js";
import { SIZES, type Backend, type LaunchSpec, type Size } from "./types.js";

/** Keys that size a Fargate task; CodeBuild sizes a build by compute type only (StartBuild has no such override). */
export const FARGATE_ONLY_KEYS = ["cpu", "memory", "disk"] as const;
export type SizeKey = (typeof FARGATE_ONLY_KEYS)[number];

const ALLOWED: Readonly<Record<SizeKey, string>> = {
  cpu: `cpu must be a Fargate vCPU value: ${FARGATE_CPUS.join(", ")}`,
  memory: "memory must be whole MiB (e.g. memory=4096) or GB with a suffix (e.g. memory=4GB)",
  disk: `disk must be whole GiB from ${FARGATE_DISK_MIN_GIB} to ${FARGATE_DISK_MAX_GIB} (Fargate ephemeral storage)`,
};

export type Sizing = Pick<LaunchSpec, "cpu" | "memory" | "disk" | "size">;

export interface SizeInput {
  /** Undefined when the job's runs-on= is bad: its Fargate keys are still checked, so every problem is named. */
  readonly backend: Backend | undefined;
  readonly sizeLabel: Keyed | undefined;
  /** The parsed `size=`; undefined when absent or bad (then already a problem). */
  readonly size: Size | undefined;
  readonly keyed: ReadonlyMap<SizeKey, Keyed>;
  readonly policy: LabelPolicy;
  readonly problems: LabelProblems;
}

/** The size the job gets, or undefined when one of its size labels is a problem (every such problem is added). */
export function resolveSize(input: SizeInput): Sizing | undefined {
  const { backend, sizeLabel, size, keyed, policy, problems } = input;
  const before = problems.errors.length;
  if (backend === "CODEBUILD") {
    for (const k of keyed.values()) {
      problems.add(k.label, `${k.key}= applies to Fargate only; on CODEBUILD choose a compute type with size= (${SIZES.join(", ")})`);
    }
    const chosen = sizeLabel ? size : policy.defaults?.size;
    ceiling(problems, policy, { codebuildSize: chosen }, sizeLabel);
    return problems.errors.length > before ? undefined : { size: chosen };
  }

  const cpuLabel = keyed.get("cpu");
  const memLabel = keyed.get("memory");
  const diskLabel = keyed.get("disk");
  const cpu = cpuLabel && (parseCpu(cpuLabel.value) ?? problems.add(cpuLabel.label, ALLOWED.cpu));
  const memory = memLabel && (parseMemory(memLabel.value) ?? problems.add(memLabel.label, ALLOWED.memory));
  const disk = diskLabel ? (parseDisk(diskLabel.value) ?? problems.add(diskLabel.label, ALLOWED.disk)) : policy.defaults?.disk;
  if (sizeLabel && (cpuLabel || memLabel)) {
    const other = (cpuLabel ?? memLabel) as Keyed;
    problems.add(other.label, `cannot be combined with "${sizeLabel.label}"; give either size= or cpu=/memory=`);
    return undefined;
  }
  const presets = policy.fargateSizes ?? DEFAULT_FARGATE_SIZES;
  const d = policy.defaults;
  let chosen: { cpu?: number | undefined; memory?: number | undefined; size?: Size } | undefined;
  if (sizeLabel) chosen = size && { size, ...presets[size] };
  else if (cpuLabel || memLabel) {
    const unreadable = (cpuLabel && cpu === undefined) || (memLabel && memory === undefined);
    chosen = unreadable ? undefined : fargateCpuMemory(cpu, memory, cpuLabel, memLabel, problems);
  }
  else if (d?.size && d.cpu === undefined && d.memory === undefined) chosen = { size: d.size, ...presets[d.size] };
  else chosen = { cpu: d?.cpu, memory: d?.memory };

  // Who asked for what: a size label answers for both, a cpu= alone for the memory it implies, and the reverse.
  ceiling(problems, policy, { cpu: chosen?.cpu }, cpuLabel ?? sizeLabel ?? memLabel);
  ceiling(problems, policy, { memory: chosen?.memory }, memLabel ?? sizeLabel ?? cpuLabel);
  ceiling(problems, policy, { disk }, diskLabel);
  if (problems.errors.length > before || chosen === undefined) return undefined;
  return { ...chosen, disk };
}

/** Adds a problem per ceiling `asked` goes over, on the label that asked, or on the configured defaults. */
function ceiling(problems: LabelProblems, policy: LabelPolicy, asked: Asked, by: Keyed | undefined): void {
  for (const o of overCeilings(asked, policy.ceilings)) {
    problems.add(by?.label ?? null, by ? o.problem : `the configured default size (the defaults section) ${o.problem}`);
  }
}

function fargateCpuMemory(
  cpu: number | undefined,
  memory: number | undefined,
  cpuLabel: Keyed | undefined,
  memLabel: Keyed | undefined,
  problems: LabelProblems,
): { cpu: number; memory: number } | undefined {
  if (cpu !== undefined && memory !== undefined) {
    if (isValidFargateSize(cpu, memory)) return { cpu, memory };
    return problems.add(
      memLabel?.label ?? null,
      `Fargate does not run ${cpu} vCPU with ${memory} MiB; with cpu=${cpu} memory must be ${describeMemoryOptions(cpu)}`,
    );
  }
  if (cpu !== undefined) return { cpu, memory: smallestMemoryFor(cpu) as number };
  if (memory === undefined) return undefined;
  const smallest = smallestCpuFor(memory);
  if (smallest !== undefined) return { cpu: smallest, memory };
  return problems.add(
    memLabel?.label ?? cpuLabel?.label ?? null,
    `no Fargate task size has ${memory} MiB; Fargate memory goes from 512 MiB (0.25 vCPU) to 122880 MiB (16 vCPU), see AWS "Task CPU and memory"`,
  );
}

function parseCpu(value: string): number | undefined {
  const n = /^(\d+(\.\d+)?|\.\d+)$/.test(value) ? Number(value) : NaN;
  return isFargateCpu(n) ? n : undefined;
}

/** MiB, or GB with a suffix. AWS's table counts 1 GB as 1024 MiB, so GB and GiB are read the same way. */
export function parseMemory(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(mib|gb|gib)?$/i.exec(value);
  if (!m || m[1] === undefined) return undefined;
  const n = Number(m[1]);
  const mib = m[2] && m[2].toLowerCase() !== "mib" ? n * 1024 : n;
  return Number.isInteger(mib) && mib > 0 ? mib : undefined;
}

export function parseDisk(value: string): number | undefined {
  const m = /^(\d+)\s*(gib|gb)?$/i.exec(value);
  const n = m?.[1] === undefined ? NaN : Number(m[1]);
  return n >= FARGATE_DISK_MIN_GIB && n <= FARGATE_DISK_MAX_GIB ? n : undefined;
}
