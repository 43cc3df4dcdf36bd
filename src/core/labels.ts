/**
 * The label grammar: what a job's `runs-on` labels ask tornade for. Pure: plain values in, a verdict out.
 * The table it implements is in docs (DESIGN.md "Labels", README "Labels"); every rule below names the published
 * limit it follows. A job's labels are read to the end: the verdict lists every problem at once, so a person fixes
 * the workflow in one push rather than one push per label.
 */
import { ARCHS, BACKENDS, SIZES, type Arch, type Backend, type LaunchSpec, type Size } from "./types.js";
import type { FargateSize } from "./fargate-sizes.js";
import type { Ceilings } from "./ceilings.js";
import { labelLimitProblems } from "./label-limits.js";
import { LabelError, LabelProblems, type Keyed } from "./label-errors.js";
import { FARGATE_ONLY_KEYS, parseDisk, parseMemory, resolveSize, type SizeKey } from "./label-sizes.js";

export { LabelError };

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
  /**
   * Names of the CodeBuild reserved-capacity fleets jobs may ask for with `fleet=` (config `codebuild.fleets`,
   * compared case-insensitively). Absent or empty: `fleet=` is refused.
   */
  readonly fleets?: readonly string[] | undefined;
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
  /** The most one job may ask for (limits.maxCpu …, core/ceilings.ts). Absent = no ceiling. */
  readonly ceilings?: Ceilings | undefined;
  /**
   * The backend/arch pairs of tornade's always-on pool (config `pool.runners`), which serves `type=static` jobs.
   * Absent or empty: static jobs go to runners managed outside tornade, whose labels tornade does not know.
   */
  readonly staticPools?: readonly { readonly backend: Backend; readonly arch: Arch }[] | undefined;
}

export type LabelVerdict =
  /** Not a job for tornade (lacks `self-hosted` or the launch label): ignored, nothing launched. */
  | { readonly kind: "not-tornade"; readonly reason: string }
  /** `type=static`: served by the always-on runners, nothing launched. */
  | { readonly kind: "static"; readonly reason: string }
  | { readonly kind: "launch"; readonly spec: LaunchSpec }
  /** Every problem of the job's labels, in the order the labels were written; never empty. */
  | { readonly kind: "error"; readonly errors: readonly LabelError[] };

export const SELF_HOSTED = "self-hosted";
export const KNOWN_KEYS = ["runs-on", "arch", "type", "cpu", "memory", "disk", "size", "image", "fleet"] as const;
type Key = (typeof KNOWN_KEYS)[number];

const ARCH_ALIASES: Readonly<Record<string, Arch>> = {
  x86_64: "X86_64",
  x64: "X86_64",
  amd64: "X86_64",
  arm64: "ARM64",
  aarch64: "ARM64",
};

const ALLOWED = {
  "runs-on": `runs-on must be one of ${BACKENDS.join(", ")}`,
  arch: "arch must be X86_64 or ARM64 (aliases: x64, amd64, arm64, aarch64)",
  type: "type must be static (the always-on runners); leave it out to start a runner for the job",
  size: `size must be one of ${SIZES.join(", ")}`,
} as const;

const eq = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Every problem as one line, for the places that keep a single text (a stored reason, a log field). */
export function describeLabelErrors(errors: readonly LabelError[]): string {
  return errors.map((e) => e.message).join("; ");
}

/** Reads a job's labels against the policy. Never throws: bad labels are a verdict of kind "error". */
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
  const problems = new LabelProblems();
  for (const p of labelLimitProblems(labels)) problems.add(p.label, p.problem);
  const keyed = collectKeyed(labels, policy, problems);
  const type = keyed.get("type");
  if (type !== undefined && eq(type.value, "static")) {
    const reason = staticReason(type, keyed, policy, problems);
    return problems.errors.length ? { kind: "error", errors: problems.errors } : { kind: "static", reason };
  }
  if (type !== undefined) problems.add(type.label, ALLOWED.type);
  const spec = buildSpec(labels, keyed, policy, problems);
  return problems.errors.length || spec === undefined ? { kind: "error", errors: problems.errors } : { kind: "launch", spec };
}

/**
 * key=value labels, first occurrence per key. Unknown keys, conflicting repeats, spaces around "=" and labels over
 * the length limit are problems; such labels take no further part.
 */
function collectKeyed(labels: readonly string[], policy: LabelPolicy, problems: LabelProblems): Map<Key, Keyed> {
  const out = new Map<Key, Keyed>();
  for (const label of labels) {
    if (eq(label, SELF_HOSTED) || eq(label, policy.launchLabel) || problems.has(label)) continue;
    const at = label.indexOf("=");
    if (at < 0) continue; // passed through to the runner unchanged (e.g. the run id)
    const key = label.slice(0, at).trim().toLowerCase();
    const value = label.slice(at + 1).trim();
    if (!isKey(key)) {
      problems.add(label, `unknown key "${key}"; known keys are ${KNOWN_KEYS.join(", ")}`);
      continue;
    }
    // A runner registers with exactly the job's labels, and GitHub matches labels as whole strings: an always-on
    // runner's "runs-on=FARGATE" never matches "runs-on = FARGATE". Refused rather than read two ways.
    if (/^\s|\s$|\s=|=\s/.test(label)) {
      problems.add(label, `write it without spaces around "=" or at its ends: "${key}=${value}"`);
      continue;
    }
    const prev = out.get(key);
    if (prev === undefined) out.set(key, { key, label, value });
    else if (!sameValue(key, prev.value, value)) problems.add(label, `conflicts with "${prev.label}"; give ${key}= once`);
  }
  return out;
}

function isKey(k: string): k is Key {
  return (KNOWN_KEYS as readonly string[]).includes(k);
}

/** Repeats that mean the same thing (`arch=arm64` and `arch=aarch64`, `memory=4GB` and `memory=4096`) do not conflict. */
function sameValue(key: Key, a: string, b: string): boolean {
  if (eq(a, b)) return true;
  const norm = (v: string): string | number | undefined => {
    switch (key) {
      case "arch":
        return ARCH_ALIASES[v.toLowerCase()];
      case "cpu":
        return Number(v);
      case "memory":
        return parseMemory(v);
      case "disk":
        return parseDisk(v);
      default:
        return v.toLowerCase();
    }
  };
  const na = norm(a);
  return na !== undefined && !Number.isNaN(na) && na === norm(b);
}

/**
 * `type=static`: the job goes to an always-on runner (tornade's pool or the operator's own), which GitHub picks by
 * labels: it must carry every label of the job. Pool runners register with self-hosted, the launch label,
 * type=static, runs-on=<backend> and arch=<arch> (core/pool.ts poolRunnerLabels), so runs-on= and arch= choose among
 * them and are checked; size and image keys can never match a runner that is already running, so they are errors —
 * the job would otherwise wait unserved until GitHub's 24-hour timeout.
 */
function staticReason(type: Keyed, keyed: Map<Key, Keyed>, policy: LabelPolicy, problems: LabelProblems): string {
  const backendLabel = keyed.get("runs-on");
  const archLabel = keyed.get("arch");
  const backend = backendLabel && parseBackend(backendLabel, problems);
  const arch = archLabel && parseArch(archLabel, problems);
  for (const key of [...FARGATE_ONLY_KEYS, "size", "image", "fleet"] as const) {
    const k = keyed.get(key);
    if (!k) continue;
    problems.add(
      k.label,
      `${key}= cannot apply with "${type.label}": an always-on runner is already running with the size and image it was started with, and no such runner carries a ${key}= label, so none would take the job. Fix: remove it, or remove "${type.label}" to get a runner started for this job`,
    );
  }
  const pools = policy.staticPools ?? [];
  const picked = (backendLabel === undefined || backend !== undefined) && (archLabel === undefined || arch !== undefined);
  if (pools.length > 0 && picked && !pools.some((p) => (backend === undefined || p.backend === backend) && (arch === undefined || p.arch === arch))) {
    const asked = `${backend ?? "any backend"}/${arch ?? "any arch"}`;
    problems.add(
      (backendLabel ?? archLabel)?.label ?? type.label,
      `no pool of tornade's always-on runners is ${asked} (pools: ${pools.map((p) => `${p.backend}/${p.arch}`).join(", ")}), so no runner would take the job. Fix: add that pool to pool.runners (TORNADE_POOL), or change the label`,
    );
  }
  const picks = [backendLabel, archLabel].filter((k): k is Keyed => k !== undefined).map((k) => k.label);
  return picks.length === 0
    ? `"${type.label}": served by the always-on runners, no runner is launched`
    : `"${type.label}": served by an always-on runner registered with ${picks.join(" and ")}, no runner is launched`;
}

function buildSpec(labels: readonly string[], keyed: Map<Key, Keyed>, policy: LabelPolicy, problems: LabelProblems): LaunchSpec | undefined {
  const backendLabel = keyed.get("runs-on");
  const archLabel = keyed.get("arch");
  const backend = backendLabel ? parseBackend(backendLabel, problems) : policy.defaultBackend;
  const arch = archLabel ? parseArch(archLabel, problems) : (policy.defaultArch ?? "X86_64");
  if (backend !== undefined && arch !== undefined) checkAvailable(backend, arch, keyed, policy, problems);
  const image = parseImage(keyed.get("image"), policy, problems);
  const sizeLabel = keyed.get("size");
  const size = sizeLabel && parseSize(sizeLabel, problems);
  const sizeKeys = new Map<SizeKey, Keyed>();
  for (const key of FARGATE_ONLY_KEYS) {
    const k = keyed.get(key);
    if (k) sizeKeys.set(key, k);
  }
  const sizing = resolveSize({ backend, sizeLabel, size, keyed: sizeKeys, policy, problems });
  const fleetLabel = keyed.get("fleet");
  const fleet = fleetLabel && parseFleet(fleetLabel, backend, sizeLabel, policy, problems);
  if (backend === undefined || arch === undefined || image === undefined || sizing === undefined) return undefined;
  if (fleetLabel && fleet === undefined) return undefined;
  return { backend, arch, image, runnerLabels: [...labels], ...sizing, ...(fleet ? { fleet } : {}) };
}

/**
 * `fleet=NAME`: run the CodeBuild build on a reserved-capacity fleet (StartBuild `fleetOverride`, docs/labels in the
 * README): only on CodeBuild, and only a fleet the configuration names (`codebuild.fleets`), so a job cannot send
 * builds to capacity the operator did not offer.
 */
function parseFleet(k: Keyed, backend: Backend | undefined, sizeLabel: Keyed | undefined, policy: LabelPolicy, problems: LabelProblems): string | undefined {
  if (backend !== undefined && backend !== "CODEBUILD") {
    return problems.add(k.label, `fleet= names a CodeBuild reserved-capacity fleet and applies only with runs-on=CODEBUILD, not ${backend}. Fix: add runs-on=CODEBUILD, or remove it`);
  }
  if (sizeLabel) {
    return problems.add(sizeLabel.label, `size= cannot apply with "${k.label}": the fleet's instances have the compute type the fleet was created with. Fix: remove one of them`);
  }
  const fleets = policy.fleets ?? [];
  const name = fleets.find((n) => eq(n, k.value));
  if (name) return name;
  const names = fleets.length ? fleets.join(", ") : "(none configured: set aws.codebuild.fleets, TORNADE_CODEBUILD_FLEETS)";
  return problems.add(k.label, `fleet must name a configured CodeBuild fleet: ${names}`);
}

function parseBackend(k: Keyed, problems: LabelProblems): Backend | undefined {
  return BACKENDS.find((x) => eq(x, k.value)) ?? problems.add(k.label, ALLOWED["runs-on"]);
}

function parseArch(k: Keyed, problems: LabelProblems): Arch | undefined {
  return ARCH_ALIASES[k.value.toLowerCase()] ?? problems.add(k.label, ALLOWED.arch);
}

function parseSize(k: Keyed, problems: LabelProblems): Size | undefined {
  return SIZES.find((x) => eq(x, k.value)) ?? problems.add(k.label, ALLOWED.size);
}

function parseImage(k: Keyed | undefined, policy: LabelPolicy, problems: LabelProblems): string | undefined {
  const fallback = policy.defaultImage ?? "default";
  if (!k) return fallback;
  const name = policy.images.find((n) => eq(n, k.value));
  if (name) return name;
  const names = policy.images.length ? policy.images.join(", ") : "(none configured)";
  return problems.add(k.label, `image must name a configured runner image: ${names}`);
}

function checkAvailable(backend: Backend, arch: Arch, keyed: Map<Key, Keyed>, policy: LabelPolicy, problems: LabelProblems): void {
  if (!policy.available) return;
  const archs = policy.available[backend] ?? [];
  if (archs.includes(arch)) return;
  const offending = keyed.get("runs-on")?.label ?? keyed.get("arch")?.label ?? `runs-on=${backend}`;
  const choices = BACKENDS.flatMap((b) => (policy.available?.[b] ?? []).map((a) => `${b}/${a}`));
  problems.add(offending, `${backend} on ${arch} is not configured on this tornade; available: ${choices.join(", ") || "none"}`);
}

/** The aliases `arch=` accepts, for documentation and CLI help. */
export const ARCH_LABEL_VALUES: readonly string[] = [...ARCHS, ...Object.keys(ARCH_ALIASES).filter((a) => a !== "x86_64")];
