/**
 * Cost ceilings: the most a single job may ask for. Without them, anyone who can push a workflow to an allowed
 * repository could start 16 vCPU / 120 GiB Fargate tasks or 2xlarge CodeBuild builds (72 vCPU, $0.20 a minute) at will.
 * A job over a ceiling is rejected like any bad label, naming the setting to raise. Pure data and checks, no I/O.
 *
 * The defaults sit below the largest sizes, at the biggest runner a typical CI job needs:
 * - 8 vCPU and 32 GiB on Fargate: the `large` preset (8 vCPU / 16 GiB) and any 8 vCPU task up to 32 GiB fit; 16 vCPU
 *   and 60–120 GiB tasks need the operator's consent. One such task costs about $0.47 an hour on x86_64 (8 × $0.04048
 *   + 32 × $0.004445, core/cost.ts), against $1.18 for the largest (16 vCPU / 120 GiB).
 * - 100 GiB of ephemeral storage: half of Fargate's 200 GiB maximum, five times its 20 GiB default.
 * - CodeBuild `large`: BUILD_GENERAL1_LARGE is 8 vCPU / 16 GiB ("up to 16 GiB memory and 8 vCPUs", CodeBuild API
 *   Reference, ProjectEnvironment computeType), the same 8 vCPU as the Fargate ceiling; xlarge is 36 vCPU / 72 GiB
 *   and 2xlarge 72 vCPU / 144 GiB at $0.20 a minute.
 * - 50 runners at once (limits.maxRunners): enough for a busy team's bursts (jobs beyond wait in order, none is
 *   lost), and it bounds the hourly spend at the ceilings: 50 × $0.47 ≈ $23 an hour on Fargate, 50 × $1.20 = $60 an
 *   hour on CodeBuild large.
 */
import { BACKENDS, SIZES, type Backend, type Size } from "./types.js";

export interface Ceilings {
  /** vCPU a Fargate runner may have (FARGATE, FARGATE_SPOT). */
  readonly maxCpu?: number | undefined;
  /** MiB of memory a Fargate runner may have. */
  readonly maxMemory?: number | undefined;
  /** GiB of Fargate ephemeral storage. */
  readonly maxDisk?: number | undefined;
  /** The largest CodeBuild compute type (size preset). */
  readonly maxCodeBuildSize?: Size | undefined;
}

export const DEFAULT_CEILINGS = { maxCpu: 8, maxMemory: 32 * 1024, maxDisk: 100, maxCodeBuildSize: "large" } as const satisfies Required<Ceilings>;

/** Runners at once, all backends (limits.maxRunners). */
export const DEFAULT_MAX_RUNNERS = 50;

/** Each ceiling's configuration key and environment variable, named in every refusal so the fix is one look away. */
export const CEILING_SETTINGS: Readonly<Record<keyof Ceilings, string>> = {
  maxCpu: "limits.maxCpu (env TORNADE_MAX_CPU)",
  maxMemory: "limits.maxMemory (env TORNADE_MAX_MEMORY)",
  maxDisk: "limits.maxDisk (env TORNADE_MAX_DISK)",
  maxCodeBuildSize: "limits.maxCodeBuildSize (env TORNADE_MAX_CODEBUILD_SIZE)",
};

/** What a runner asks for, in the units of the ceilings; absent = the task definition's or project's own. */
export interface Asked {
  readonly cpu?: number | undefined;
  readonly memory?: number | undefined;
  readonly disk?: number | undefined;
  /** Only for CodeBuild: on Fargate a size is already its cpu and memory. */
  readonly codebuildSize?: Size | undefined;
}

/** One sentence per ceiling `asked` goes over, each naming the setting to raise. Empty when within every ceiling. */
export function overCeilings(asked: Asked, ceilings: Ceilings | undefined): { readonly key: keyof Ceilings; readonly problem: string }[] {
  if (!ceilings) return [];
  const out: { key: keyof Ceilings; problem: string }[] = [];
  const over = (key: keyof Ceilings, what: string, limit: string) =>
    out.push({ key, problem: `asks for ${what}, above this tornade's ceiling of ${limit}. Fix: ask for less, or raise ${CEILING_SETTINGS[key]}` });
  const { maxCpu, maxMemory, maxDisk, maxCodeBuildSize } = ceilings;
  if (asked.cpu !== undefined && maxCpu !== undefined && asked.cpu > maxCpu) over("maxCpu", `${asked.cpu} vCPU`, `${maxCpu} vCPU`);
  if (asked.memory !== undefined && maxMemory !== undefined && asked.memory > maxMemory) over("maxMemory", `${asked.memory} MiB of memory`, `${maxMemory} MiB`);
  if (asked.disk !== undefined && maxDisk !== undefined && asked.disk > maxDisk) over("maxDisk", `${asked.disk} GiB of disk`, `${maxDisk} GiB`);
  const size = asked.codebuildSize;
  if (size !== undefined && maxCodeBuildSize !== undefined && SIZES.indexOf(size) > SIZES.indexOf(maxCodeBuildSize)) {
    over("maxCodeBuildSize", `the CodeBuild size ${size}`, `${maxCodeBuildSize} (sizes: ${SIZES.join(", ")})`);
  }
  return out;
}

/** Every cost ceiling in force, as `tornade cost` and the dashboard show them. */
export interface CostCeilings extends Required<Ceilings> {
  readonly maxRunners: number;
  /** Runners at once per backend, where configured (limits.perBackend). */
  readonly perBackend: Readonly<Partial<Record<Backend, number>>>;
}

/** One line saying what the ceilings are and where to change them. */
export function describeCeilings(c: CostCeilings): string {
  const per = BACKENDS.flatMap((b) => (c.perBackend[b] === undefined ? [] : [`${c.perBackend[b]} on ${b}`]));
  return (
    `at most ${c.maxRunners} runners at once${per.length ? ` (${per.join(", ")})` : ""}; ` +
    `per runner at most ${c.maxCpu} vCPU, ${c.maxMemory} MiB of memory and ${c.maxDisk} GiB of disk on Fargate, ` +
    `CodeBuild size ${c.maxCodeBuildSize}. Change them under limits (TORNADE_MAX_RUNNERS, TORNADE_MAX_CPU, ` +
    `TORNADE_MAX_MEMORY, TORNADE_MAX_DISK, TORNADE_MAX_CODEBUILD_SIZE)`
  );
}
