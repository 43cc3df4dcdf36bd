/**
 * The test bed's boot clock: how long a launch takes, phase by phase, drawn from the distributions of a
 * BootModelSpec (boot-profiles.ts). Pure and seedable: no clock, no I/O, no Math.random — the same seed and the same
 * sequence of launches give the same plans. The ECS and CodeBuild simulations ask it once per task or build and time
 * their state transitions by the plan:
 *
 *   Fargate    RunTask ─provisioning─▶ PENDING ─pull─▶ RUNNING ─runnerStart─▶ runner online
 *   CodeBuild  StartBuild ─queued─▶ PROVISIONING ─provisioning + pull─▶ … BUILD ─runnerStart─▶ runner online
 *
 * The runner's start-up is a phase of its own, handed to the container (ContainerSpec.startupMs) rather than folded
 * into the platform's: a task can be RUNNING with its image pulled and no runner started yet (a standby runner).
 */
import { prng } from "../prng.js";
import { resolveBootModel, type Arch, type BackendBoot, type BootModelSpec, type Phase } from "./boot-profiles.js";

export type BootBackend = "FARGATE" | "CODEBUILD";

export interface BootRequest {
  /** FARGATE for Fargate and Fargate Spot alike: no source shows Spot booting differently. */
  readonly backend: BootBackend;
  readonly arch: Arch;
  /** The image reference, as the task definition, project or imageOverride names it. */
  readonly image: string;
}

/** One launch's boot, in clock milliseconds (whole, so timestamps built from them stay exact). */
export interface BootPlan {
  readonly queuedMs: number;
  readonly provisioningMs: number;
  readonly pullMs: number;
  readonly runnerStartMs: number;
  /** What a standby that warmed up while waiting still takes after its handoff (≤ runnerStartMs). */
  readonly runnerStartWarmedMs: number;
  readonly imageSizeMiB: number;
  /** The platform keeps this image on its hosts: no pull. */
  readonly cached: boolean;
}

export interface PhaseQuantiles {
  readonly p50Ms: number;
  readonly p95Ms: number;
}

/** z of the 95th percentile of the standard normal distribution. */
const Z95 = 1.6448536269514722;

/** A seeded uniform draw in (0, 1] — never 0, which the normal draw's logarithm cannot take. */
export function seededUniform(seed: number): () => number {
  const next = prng(seed);
  return () => 1 - next();
}

/** A draw of the lognormal with this median and 95th percentile, given a standard normal `z`. */
export function lognormal(p: PhaseQuantiles, z: number): number {
  if (p.p50Ms <= 0) return 0;
  const sigma = Math.log(p.p95Ms / p.p50Ms) / Z95;
  return p.p50Ms * Math.exp(sigma * z);
}

function backendOf(spec: BootModelSpec, req: BootRequest): BackendBoot {
  return (req.backend === "CODEBUILD" ? spec.codebuild : spec.fargate)[req.arch];
}

function imageOf(spec: BootModelSpec, req: BootRequest): { sizeMiB: number; cached: boolean } {
  const b = backendOf(spec, req);
  return {
    sizeMiB: spec.imageSizesMiB[req.image] ?? spec.defaultImageSizeMiB,
    cached: b.cachedImagePrefixes.some((prefix) => req.image.startsWith(prefix)),
  };
}

/** The pull's median and p95 for this image (0 for a cached one). */
export function pullQuantiles(spec: BootModelSpec, req: BootRequest): PhaseQuantiles {
  const { sizeMiB, cached } = imageOf(spec, req);
  if (cached) return { p50Ms: 0, p95Ms: 0 };
  const { overheadMs, msPerMiB, p95OverP50 } = backendOf(spec, req).pull;
  const p50Ms = overheadMs + sizeMiB * msPerMiB;
  return { p50Ms, p95Ms: p50Ms * p95OverP50 };
}

/** Every phase's median and p95 for one kind of launch: what docs, tests and GET /_control/boot-model show. */
export function bootQuantiles(spec: BootModelSpec, req: BootRequest): Record<"queued" | "provisioning" | "pull" | "runnerStart" | "runnerStartWarmed", PhaseQuantiles> {
  const b = backendOf(spec, req);
  return { queued: b.queued, provisioning: b.provisioning, pull: pullQuantiles(spec, req), runnerStart: b.runnerStart, runnerStartWarmed: b.runnerStartWarmed };
}

/**
 * A seeded source of boot plans. Each plan consumes the same number of draws whatever the spec, so changing one
 * phase's figures does not reshuffle the others'.
 */
export class BootModel {
  private spec: BootModelSpec;
  private uniform: () => number;

  constructor(spec: BootModelSpec = resolveBootModel()) {
    this.spec = spec;
    this.uniform = seededUniform(spec.seed);
  }

  get current(): BootModelSpec {
    return this.spec;
  }

  /** Replaces the model (and restarts its draws from the new seed). */
  configure(spec: BootModelSpec): void {
    this.spec = spec;
    this.uniform = seededUniform(spec.seed);
  }

  /** A standard normal draw (Box–Muller, one of the pair). */
  private normal(): number {
    const u = this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  plan(req: BootRequest): BootPlan {
    const q = bootQuantiles(this.spec, req);
    const { sizeMiB, cached } = imageOf(this.spec, req);
    const at = (p: Phase, z: number) => Math.round(lognormal(p, z));
    const draw = (p: Phase) => at(p, this.normal());
    // Always four draws, in this order; the warmed start shares the runner start's (it is the same host).
    const queuedMs = draw(q.queued);
    const provisioningMs = draw(q.provisioning);
    const pullMs = draw(q.pull);
    const runnerZ = this.normal();
    const runnerStartMs = at(q.runnerStart, runnerZ);
    const runnerStartWarmedMs = Math.min(runnerStartMs, at(q.runnerStartWarmed, runnerZ));
    return { queuedMs, provisioningMs, pullMs, runnerStartMs, runnerStartWarmedMs, imageSizeMiB: sizeMiB, cached };
  }
}
