/**
 * The label grammar: what a job's `runs-on` labels ask tornade for. Pure: plain values in, a verdict out.
 * The table it implements is in docs (DESIGN.md "Labels"); every rule below names the published limit it follows.
 */
import {
  ARCHS,
  BACKENDS,
  SIZES,
  type Arch,
  type Backend,
  type LaunchSpec,
  type Size,
} from "./types.js";
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
  type FargateSize,
} from "./fargate-sizes.js";

/** The configuration the grammar reads: plain values, already validated by config/. */
export interface LabelPolicy {
  /** Required on every tornade job besides `self-hosted` (config `launchLabel`, env `LAUNCH_LABEL`). */
  readonly launchLabel: string;
  readonly defaultBackend: Backend;
  /** Default X86_64. */
  readonly defaultArch?: Arch | undefined;
  /** Names of the configured runner images; `image=` must name one (compared case-insensitively). */
  readonly images: readonly string[];
  /** The image used without `image=`. Default "default". */
  readonly defaultImage?: string | undefined;
  /** Sizes used when the job names none. cpu/memory apply to Fargate only; size to both backends. */
  readonly defaults?: {
    readonly cpu?: number | undefined;
    readonly memory?: number | undefined;
    readonly disk?: number | undefined;
    readonly size?: Size | undefined;
  };
  /** `size=` presets on Fargate. Default DEFAULT_FARGATE_SIZES. */
  readonly fargateSizes?: Readonly<Record<Size, FargateSize>> | undefined;
  /**
   * Backend → the architectures this installation can launch there (a task definition or project is configured).
   * Absent = everything is available.
   */
  readonly available?: Readonly<Partial<Record<Backend, readonly Arch[]>>> | undefined;
}

/** A label tornade cannot honour. The message names the label and what is allowed, so a person can fix the workflow. */
export class LabelError extends Error {
  override readonly name = "LabelError";
  constructor(
    /** The offending label exactly as the job wrote it. */
    readonly label: string,
    /** What is allowed instead, as a sentence. */
    readonly allowed: string,
  ) {
    super(`label "${label}": ${allowed}`);
  }
}

export type LabelVerdict =
  /** Not a job for tornade (lacks `self-hosted` or the launch label): ignored, nothing launched. */
  | { readonly kind: "not-tornade"; readonly reason: string }
  /** `type=static`: served by the always-on runners, nothing launched. */
  | { readonly kind: "static"; readonly reason: string }
  | { readonly kind: "launch"; readonly spec: LaunchSpec }
  | { readonly kind: "error"; readonly error: LabelError };

export const SELF_HOSTED = "self-hosted";
export const KNOWN_KEYS = ["runs-on", "arch", "type", "cpu", "memory", "disk", "size", "image"] as const;
type Key = (typeof KNOWN_KEYS)[number];

const ARCH_ALIASES: Readonly<Record<string, Arch>> = {
  x86_64: "X86_64",
  x64: "X86_64",
  amd64: "X86_64",
  arm64: "ARM64",
  aarch64: "ARM64",
};

const ALLOWED: Readonly<Record<Key, string>> = {
  "runs-on": `runs-on must be one of ${BACKENDS.join(", ")}`,
  arch: "arch must be X86_64 or ARM64 (aliases: x64, amd64, arm64, aarch64)",
  type: "type must be static (the always-on runners); leave it out to start a runner for the job",
  cpu: `cpu must be a Fargate vCPU value: ${FARGATE_CPUS.join(", ")}`,
  memory: "memory must be whole MiB (e.g. memory=4096) or GB with a suffix (e.g. memory=4GB)",
  disk: `disk must be whole GiB from ${FARGATE_DISK_MIN_GIB} to ${FARGATE_DISK_MAX_GIB} (Fargate ephemeral storage)`,
  size: `size must be one of ${SIZES.join(", ")}`,
  image: "", // built from the catalog
};

const eq = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Reads a job's labels against the policy. Never throws: a bad label is a verdict of kind "error". */
export function interpretLabels(labels: readonly string[], policy: LabelPolicy): LabelVerdict {
  const hasSelfHosted = labels.some((l) => eq(l, SELF_HOSTED));
  const hasLaunch = labels.some((l) => eq(l, policy.launchLabel));
  if (!hasSelfHosted || !hasLaunch) {
    const missing = [
      ...(hasSelfHosted ? [] : [`"${SELF_HOSTED}"`]),
      ...(hasLaunch ? [] : [`the launch label "${policy.launchLabel}"`]),
    ];
    return { kind: "not-tornade", reason: `not a tornade job: its labels lack ${missing.join(" and ")}` };
  }
  try {
    const { keyed, errors } = collectKeyed(labels, policy);
    // `type=static` wins over every other label, even ones tornade would reject: the job goes to the always-on
    // runners, whose registration (not tornade's grammar) decides whether they can take it. Only a bad `type=` value
    // itself is an error, because then we cannot tell whether the job wanted a runner.
    const type = keyed.get("type");
    if (type !== undefined) {
      if (!eq(type.value, "static")) throw new LabelError(type.label, ALLOWED.type);
      return { kind: "static", reason: `"${type.label}": served by the always-on runners, no runner is launched` };
    }
    if (errors[0]) throw errors[0];
    return { kind: "launch", spec: buildSpec(labels, keyed, policy) };
  } catch (err) {
    if (err instanceof LabelError) return { kind: "error", error: err };
    throw err;
  }
}

interface Keyed {
  readonly label: string;
  /** As written, trimmed. */
  readonly value: string;
}

/** key=value labels, first occurrence per key; conflicting repeats and unknown keys are kept as (deferred) errors. */
function collectKeyed(labels: readonly string[], policy: LabelPolicy): { keyed: Map<Key, Keyed>; errors: LabelError[] } {
  const out = new Map<Key, Keyed>();
  const errors: LabelError[] = [];
  for (const label of labels) {
    if (eq(label, SELF_HOSTED) || eq(label, policy.launchLabel)) continue;
    const at = label.indexOf("=");
    if (at < 0) continue; // passed through to the runner unchanged (e.g. the run id)
    const key = label.slice(0, at).trim().toLowerCase();
    const value = label.slice(at + 1).trim();
    if (!isKey(key)) {
      errors.push(new LabelError(label, `unknown key "${key}"; known keys are ${KNOWN_KEYS.join(", ")}`));
      continue;
    }
    const prev = out.get(key);
    if (prev === undefined) {
      out.set(key, { label, value });
    } else if (!sameValue(key, prev.value, value)) {
      if (key === "type") {
        // Two type= labels that disagree: report it before "static wins" can hide it.
        throw new LabelError(label, `conflicts with "${prev.label}"; give ${key}= once`);
      }
      errors.push(new LabelError(label, `conflicts with "${prev.label}"; give ${key}= once`));
    }
  }
  return { keyed: out, errors };
}

function isKey(k: string): k is Key {
  return (KNOWN_KEYS as readonly string[]).includes(k);
}

/** Repeats that mean the same thing (`arch=arm64` and `arch=aarch64`, `memory=4GB` and `memory=4096`) do not conflict. */
function sameValue(key: Key, a: string, b: string): boolean {
  if (eq(a, b)) return true;
  const norm = (v: string): string | number | undefined => {
    try {
      switch (key) {
        case "arch":
          return ARCH_ALIASES[v.toLowerCase()];
        case "cpu":
          return Number(v);
        case "memory":
          return parseMemory(v, v);
        case "disk":
          return parseDisk(v, v);
        default:
          return v.toLowerCase();
      }
    } catch {
      return undefined;
    }
  };
  const na = norm(a);
  return na !== undefined && !Number.isNaN(na) && na === norm(b);
}

function buildSpec(labels: readonly string[], keyed: Map<Key, Keyed>, policy: LabelPolicy): LaunchSpec {
  const backend = parseBackend(keyed.get("runs-on"), policy.defaultBackend);
  const archLabel = keyed.get("arch");
  const arch = archLabel ? parseArch(archLabel) : (policy.defaultArch ?? "X86_64");
  checkAvailable(backend, arch, keyed, policy);
  const image = parseImage(keyed.get("image"), policy);
  const sizeLabel = keyed.get("size");
  const size = sizeLabel ? parseSize(sizeLabel) : undefined;
  const cpuLabel = keyed.get("cpu");
  const memLabel = keyed.get("memory");
  const diskLabel = keyed.get("disk");
  const base = { backend, arch, image, runnerLabels: [...labels] };

  if (backend === "CODEBUILD") {
    // CodeBuild sizes a build by compute type only (StartBuild has no cpu/memory/disk override), so these cannot apply.
    const fargateOnly = cpuLabel ?? memLabel ?? diskLabel;
    if (fargateOnly) {
      const key = fargateOnly.label.slice(0, fargateOnly.label.indexOf("=")).trim().toLowerCase();
      throw new LabelError(
        fargateOnly.label,
        `${key}= applies to Fargate only; on CODEBUILD choose a compute type with size= (${SIZES.join(", ")})`,
      );
    }
    return { ...base, size: size ?? policy.defaults?.size };
  }

  if (sizeLabel && (cpuLabel || memLabel)) {
    const other = (cpuLabel ?? memLabel) as Keyed;
    throw new LabelError(other.label, `cannot be combined with "${sizeLabel.label}"; give either size= or cpu=/memory=`);
  }
  const disk = diskLabel ? parseDisk(diskLabel.value, diskLabel.label) : policy.defaults?.disk;
  const presets = policy.fargateSizes ?? DEFAULT_FARGATE_SIZES;
  if (size) return { ...base, size, cpu: presets[size].cpu, memory: presets[size].memory, disk };
  if (cpuLabel || memLabel) return { ...base, ...fargateCpuMemory(cpuLabel, memLabel), disk };
  const d = policy.defaults;
  if (d?.size && d.cpu === undefined && d.memory === undefined) {
    return { ...base, size: d.size, cpu: presets[d.size].cpu, memory: presets[d.size].memory, disk };
  }
  return { ...base, cpu: d?.cpu, memory: d?.memory, disk };
}

function parseBackend(k: Keyed | undefined, fallback: Backend): Backend {
  if (!k) return fallback;
  const b = BACKENDS.find((x) => eq(x, k.value));
  if (!b) throw new LabelError(k.label, ALLOWED["runs-on"]);
  return b;
}

function parseArch(k: Keyed): Arch {
  const a = ARCH_ALIASES[k.value.toLowerCase()];
  if (!a) throw new LabelError(k.label, ALLOWED.arch);
  return a;
}

function parseSize(k: Keyed): Size {
  const s = SIZES.find((x) => eq(x, k.value));
  if (!s) throw new LabelError(k.label, ALLOWED.size);
  return s;
}

function parseImage(k: Keyed | undefined, policy: LabelPolicy): string {
  const fallback = policy.defaultImage ?? "default";
  if (!k) return fallback;
  const name = policy.images.find((n) => eq(n, k.value));
  if (!name) {
    const names = policy.images.length ? policy.images.join(", ") : "(none configured)";
    throw new LabelError(k.label, `image must name a configured runner image: ${names}`);
  }
  return name;
}

function checkAvailable(backend: Backend, arch: Arch, keyed: Map<Key, Keyed>, policy: LabelPolicy): void {
  if (!policy.available) return;
  const archs = policy.available[backend] ?? [];
  if (archs.includes(arch)) return;
  const offending = keyed.get("runs-on")?.label ?? keyed.get("arch")?.label ?? `runs-on=${backend}`;
  const choices = BACKENDS.flatMap((b) => (policy.available?.[b] ?? []).map((a) => `${b}/${a}`));
  throw new LabelError(
    offending,
    `${backend} on ${arch} is not configured on this tornade; available: ${choices.join(", ") || "none"}`,
  );
}

function fargateCpuMemory(cpuLabel: Keyed | undefined, memLabel: Keyed | undefined): { cpu: number; memory: number } {
  const cpu = cpuLabel ? parseCpu(cpuLabel) : undefined;
  const memory = memLabel ? parseMemory(memLabel.value, memLabel.label) : undefined;
  if (cpu !== undefined && memory !== undefined) {
    if (!isValidFargateSize(cpu, memory)) {
      throw new LabelError(
        memLabel!.label,
        `Fargate does not run ${cpu} vCPU with ${memory} MiB; with cpu=${cpu} memory must be ${describeMemoryOptions(cpu)}`,
      );
    }
    return { cpu, memory };
  }
  if (cpu !== undefined) return { cpu, memory: smallestMemoryFor(cpu) as number };
  const m = memory as number;
  const smallest = smallestCpuFor(m);
  if (smallest === undefined) {
    throw new LabelError(
      memLabel!.label,
      `no Fargate task size has ${m} MiB; Fargate memory goes from 512 MiB (0.25 vCPU) to 122880 MiB (16 vCPU), see AWS "Task CPU and memory"`,
    );
  }
  return { cpu: smallest, memory: m };
}

function parseCpu(k: Keyed): number {
  const n = /^(\d+(\.\d+)?|\.\d+)$/.test(k.value) ? Number(k.value) : NaN;
  if (!isFargateCpu(n)) throw new LabelError(k.label, ALLOWED.cpu);
  return n;
}

/** MiB, or GB with a suffix. AWS's table counts 1 GB as 1024 MiB, so GB and GiB are read the same way. */
function parseMemory(value: string, label: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(mib|gb|gib)?$/i.exec(value);
  if (!m || m[1] === undefined) throw new LabelError(label, ALLOWED.memory);
  const n = Number(m[1]);
  const mib = m[2] && m[2].toLowerCase() !== "mib" ? n * 1024 : n;
  if (!Number.isInteger(mib) || mib <= 0) throw new LabelError(label, ALLOWED.memory);
  return mib;
}

function parseDisk(value: string, label: string): number {
  const m = /^(\d+)\s*(gib|gb)?$/i.exec(value);
  const n = m?.[1] === undefined ? NaN : Number(m[1]);
  if (!(n >= FARGATE_DISK_MIN_GIB && n <= FARGATE_DISK_MAX_GIB)) throw new LabelError(label, ALLOWED.disk);
  return n;
}

/** The aliases `arch=` accepts, for documentation and CLI help. */
export const ARCH_LABEL_VALUES: readonly string[] = [...ARCHS, ...Object.keys(ARCH_ALIASES).filter((a) => a !== "x86_64")];
