/**
 * The figures behind the test bed's boot clock (boot-model.ts), each beside its source, and the shape a caller
 * overrides them with. Two profiles:
 *
 * - `fixed`: the test bed's earlier constants, no spread (p50 = p95), no runner start-up. Every test, the sandbox and
 *   the benchmarks keep this unless they ask otherwise, so their speed and assertions do not move.
 * - `published`: boot times drawn from distributions fitted to what AWS, GitHub and the anchors publish. The table in
 *   docs/testbed.md ("Boot times") repeats these with their sources; keep the two in step.
 *
 * Where a source gives only a typical value, the p95 is an assumption and says so. Nothing here is a measurement of
 * ours: no machine that builds tornade reaches AWS.
 */
import { z } from "zod";

export type Arch = "X86_64" | "ARM64";
export const ARCHES: readonly Arch[] = ["X86_64", "ARM64"];

/** A lognormal duration given by its median and 95th percentile; p95 = p50 is a fixed value, 0/0 no wait at all. */
export interface Phase {
  readonly p50Ms: number;
  readonly p95Ms: number;
}

/**
 * The image pull: Fargate caches no Linux image between tasks and pulls the whole image before the container starts
 * (AWS docs, "Linux containers on Fargate container image pull behavior"), so its time grows with the image. Median
 * `overheadMs + size × msPerMiB`; p95 = median × `p95OverP50`.
 */
export interface PullPhase {
  readonly overheadMs: number;
  readonly msPerMiB: number;
  readonly p95OverP50: number;
}

/** One backend on one architecture, phase by phase, in the order a launch goes through them. */
export interface BackendBoot {
  /** CodeBuild's QUEUED phase (StartBuild → PROVISIONING); Fargate has none. */
  readonly queued: Phase;
  /** Fargate: RunTask → PENDING (capacity, the task's network interface). CodeBuild: PROVISIONING without a pull. */
  readonly provisioning: Phase;
  /** Fargate: PENDING → RUNNING. CodeBuild: the rest of PROVISIONING, for an image its hosts do not cache. */
  readonly pull: PullPhase;
  /** Container start → runner online: the runner image's entrypoint reads its JIT config, Runner.Listener starts. */
  readonly runnerStart: Phase;
  /**
   * The part of runnerStart a standby still pays after its handoff: it warmed the runner up while it waited
   * (`Runner.Listener --warmup`, runner-image/entrypoint.sh), so only the listener's own start with its JIT config,
   * registration and the broker session remain. Drawn with the same normal draw as runnerStart (a slow host is slow
   * for both), and never more than it.
   */
  readonly runnerStartWarmed: Phase;
  /** Image references (by prefix) the platform keeps on its hosts: no pull at all. */
  readonly cachedImagePrefixes: readonly string[];
}

export type BootProfile = "fixed" | "published";

export interface BootModelSpec {
  readonly profile: BootProfile;
  /** Seeds the draws: the same seed and the same launches give the same boot times. */
  readonly seed: number;
  readonly fargate: Readonly<Record<Arch, BackendBoot>>;
  readonly codebuild: Readonly<Record<Arch, BackendBoot>>;
  /** Compressed image sizes (what ECR shows) by image reference, as task definitions, projects and imageOverride name them. */
  readonly imageSizesMiB: Readonly<Record<string, number>>;
  readonly defaultImageSizeMiB: number;
}

const fixed = (ms: number): Phase => ({ p50Ms: ms, p95Ms: ms });
const NONE: Phase = fixed(0);
const bothArches = (b: BackendBoot): Record<Arch, BackendBoot> => ({ X86_64: b, ARM64: b });

/**
 * CodeBuild caches its supported images in its hosts' machine image to "minimize the provisioning duration" (CodeBuild
 * user guide, "Docker images provided by CodeBuild"); a custom image is pulled like any other.
 */
export const CODEBUILD_CACHED_IMAGES = ["aws/codebuild/"];

/** What the test bed did before it had a boot model: ~30 s to RUNNING on Fargate, ~22 s to BUILD on CodeBuild. */
const FIXED: Omit<BootModelSpec, "seed"> = {
  profile: "fixed",
  fargate: bothArches({
    queued: NONE,
    provisioning: fixed(15_000),
    pull: { overheadMs: 15_000, msPerMiB: 0, p95OverP50: 1 },
    runnerStart: NONE,
    runnerStartWarmed: NONE,
    cachedImagePrefixes: [],
  }),
  codebuild: bothArches({
    queued: fixed(2_000),
    provisioning: fixed(20_000),
    pull: { overheadMs: 0, msPerMiB: 0, p95OverP50: 1 },
    runnerStart: NONE,
    runnerStartWarmed: NONE,
    cachedImagePrefixes: CODEBUILD_CACHED_IMAGES,
  }),
  imageSizesMiB: {},
  defaultImageSizeMiB: 1024,
};

/**
 * Fargate image pull, fitted through two published launches of uncached images:
 * - elasticscale.com, "Reduce AWS Fargate pull times with SOCI" (2024-04): a 413 MB image, ten tasks, createdAt →
 *   startedAt 53–62 s, mean 57 s; less ~10 s of provisioning (below) leaves ~47 s of pull for ~394 MiB.
 * - aws/containers-roadmap#696 (2020-02): an image "just under 900MB" in ECR, ~70 s in PENDING, in us-east-1.
 * Through both: ~27 s of overhead plus 50 ms per MiB (~20 MiB/s). The spread follows elasticscale's ten launches
 * (median 56 s, slowest 62 s): p95 ≈ 1.15 × median.
 */
const FARGATE_PULL: PullPhase = { overheadMs: 27_000, msPerMiB: 50, p95OverP50: 1.15 };

/**
 * Runner start-up (container start → Runner.Listener online), no published figure for Fargate itself:
 * - redwoodjs/local-ci#28 (2026-03): the actions runner's start in a container takes ~13.8 s, of which the .NET cold
 *   start of Runner.Listener / Runner.Worker is 8–10 s and the entrypoint 1–2 s.
 * - RunsOn, "Warm pools" (runs-on.com/runners/pools): a hot (running) instance takes a job in under 6 s, runner start
 *   included, on m7a instances — faster cores than a 1-vCPU task.
 * The median sits between (7 s); p95 12 s is an assumption (~1.7 × median).
 */
const RUNNER_START: Phase = { p50Ms: 7_000, p95Ms: 12_000 };

/**
 * What a standby's runner still pays after its JIT config arrives, having warmed up while it waited:
 * - actions/runner src/Runner.Listener/Runner.cs (`--warmup`): "In scenarios where the runner is single use (used and
 *   then thrown away), the system provisioning the runner can call `Runner.Listener --warmup` before the machine is
 *   made available to the pool"; it loads every assembly in bin/ and prepares (JIT-compiles) every method. It runs in
 *   its own process, so what carries over to the real start is the runtime and the assemblies read from the freshly
 *   pulled image into the page cache, not the compiled code: redwoodjs/local-ci#28 notes that "JIT compilation is
 *   per-process and in-memory". The entrypoint's own 1–2 s (same source) are paid before the handoff too.
 * - Left after the handoff: the listener's process start and JIT of its own path, writing the config's files, and the
 *   session with GitHub's broker. RunsOn's hot instances take a job "in under 6 s" with all of that included
 *   (runs-on.com, "Warm pools").
 * No source measures a warmed-up listener's start; 3 s median, 6 s p95 is an assumption (under half the cold 7 s),
 * stated as such in docs/testbed.md.
 */
const RUNNER_START_WARMED: Phase = { p50Ms: 3_000, p95Ms: 6_000 };

const PUBLISHED: Omit<BootModelSpec, "seed"> = {
  profile: "published",
  // No source shows Fargate on ARM64 (Graviton) booting differently from x86_64: both arches take the same figures.
  fargate: bothArches({
    queued: NONE,
    // RunTask → PENDING: the task's elastic network interface, "about 10 s" (qiita.com/kjm, "AWS Fargate のイメージ
    // サイズ毎の起動時間の違い", 2019); awsvpc "adds an overhead of several seconds" (AWS docs, "Optimize Amazon ECS
    // task launch time"). p95 20 s is an assumption (2 × median).
    provisioning: { p50Ms: 10_000, p95Ms: 20_000 },
    pull: FARGATE_PULL,
    runnerStart: RUNNER_START,
    runnerStartWarmed: RUNNER_START_WARMED,
    cachedImagePrefixes: [],
  }),
  codebuild: bothArches({
    // QUEUED: CodeBuild queues a build only past its concurrency quota (CodeBuild user guide, "Working with builds");
    // no figure is published for the hand-off below it. Kept at the fixed profile's 2 s; p95 4 s assumed.
    queued: { p50Ms: 2_000, p95Ms: 4_000 },
    // PROVISIONING with a cached (supported) image: AWS publishes no duration. Kept at the fixed profile's 20 s;
    // p95 40 s assumed. A cdk-github-runners user reports "at least 1 minute" with its custom runner image
    // (CloudSnorkel/cdk-github-runners discussion #260), which this plus the pull below matches for any image
    // over ~300 MiB.
    provisioning: { p50Ms: 20_000, p95Ms: 40_000 },
    // An uncached image is pulled during PROVISIONING. CodeBuild publishes no pull rate, so Fargate's is used; it
    // agrees with the 180–300 s reported when CodeBuild's own multi-GB images were not cached: 252 s in me-south-1
    // (aws/aws-codebuild-docker-images#424), ~180–190 s for the ARM64 image in ap-southeast-1 (#793), 4–5 min (#226).
    pull: FARGATE_PULL,
    runnerStart: RUNNER_START,
    runnerStartWarmed: RUNNER_START_WARMED,
    cachedImagePrefixes: CODEBUILD_CACHED_IMAGES,
  }),
  imageSizesMiB: {},
  // tornade's runner image (actions/runner plus the AWS CLI) is "1–2 GB" (issue 14); set your own in imageSizesMiB.
  defaultImageSizeMiB: 1024,
};

export const BOOT_PROFILES: Readonly<Record<BootProfile, Omit<BootModelSpec, "seed">>> = { fixed: FIXED, published: PUBLISHED };
export const DEFAULT_BOOT_SEED = 1;

const ms = z.number().finite().nonnegative();
const PhaseInput = z
  .object({ p50Ms: ms, p95Ms: ms })
  .strict()
  .refine((p) => p.p95Ms >= p.p50Ms, { message: "p95Ms must be at least p50Ms" })
  .refine((p) => p.p50Ms > 0 || p.p95Ms === 0, { message: "p50Ms of 0 needs p95Ms 0 (no wait)" });
const PullInput = z.object({ overheadMs: ms, msPerMiB: ms, p95OverP50: z.number().finite().min(1) }).partial().strict();
const BackendFields = {
  queued: PhaseInput,
  provisioning: PhaseInput,
  pull: PullInput,
  runnerStart: PhaseInput,
  runnerStartWarmed: PhaseInput,
  cachedImagePrefixes: z.array(z.string()),
};
const BackendInput = z.object(BackendFields).partial().strict();
/** Fields at the backend's level apply to both architectures; `X86_64` / `ARM64` override them for one. */
const BackendOverride = z
  .object({ ...BackendFields, X86_64: BackendInput, ARM64: BackendInput })
  .partial()
  .strict();

/** What a caller gives (AwsSimOptions.boot, `--boot FILE`, PUT /_control/boot-model): a profile and overrides. */
export const BootModelInput = z
  .object({
    profile: z.enum(["fixed", "published"]).default("fixed"),
    seed: z.number().int().default(DEFAULT_BOOT_SEED),
    fargate: BackendOverride.optional(),
    codebuild: BackendOverride.optional(),
    imageSizesMiB: z.record(z.string().min(1), z.number().finite().nonnegative()).optional(),
    defaultImageSizeMiB: z.number().finite().nonnegative().optional(),
  })
  .strict();
export type BootModelInput = z.input<typeof BootModelInput>;
type BackendOverride = z.output<typeof BackendOverride>;

export class BootModelError extends Error {}

function overridden(base: BackendBoot, ...layers: (z.output<typeof BackendInput> | undefined)[]): BackendBoot {
  let out = base;
  for (const o of layers) {
    if (!o) continue;
    out = { ...out, ...o, pull: { ...out.pull, ...o.pull } };
  }
  return out;
}

function backend(base: Readonly<Record<Arch, BackendBoot>>, o: BackendOverride | undefined): Record<Arch, BackendBoot> {
  const { X86_64, ARM64, ...both } = o ?? {};
  return { X86_64: overridden(base.X86_64, both, X86_64), ARM64: overridden(base.ARM64, both, ARM64) };
}

/** The spec a caller's input stands for; every problem at once, each named by its path, in a BootModelError. */
export function resolveBootModel(input: unknown = {}): BootModelSpec {
  const parsed = BootModelInput.safeParse(input ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`);
    throw new BootModelError(`boot model: ${problems.join("; ")} (see docs/testbed.md, "Boot times")`);
  }
  const p = parsed.data;
  const base = BOOT_PROFILES[p.profile];
  return {
    profile: p.profile,
    seed: p.seed,
    fargate: backend(base.fargate, p.fargate),
    codebuild: backend(base.codebuild, p.codebuild),
    imageSizesMiB: { ...base.imageSizesMiB, ...p.imageSizesMiB },
    defaultImageSizeMiB: p.defaultImageSizeMiB ?? base.defaultImageSizeMiB,
  };
}
