/** The domain vocabulary every layer shares. Pure types and constants: no I/O. */

export const BACKENDS = ["FARGATE", "FARGATE_SPOT", "CODEBUILD"] as const;
export type Backend = (typeof BACKENDS)[number];

export const ARCHS = ["X86_64", "ARM64"] as const;
export type Arch = (typeof ARCHS)[number];

export const SIZES = ["small", "medium", "large", "xlarge", "2xlarge"] as const;
export type Size = (typeof SIZES)[number];

/** What one runner launch needs, decided from a job's labels and the configuration. */
export interface LaunchSpec {
  readonly backend: Backend;
  readonly arch: Arch;
  /** vCPU (Fargate only), e.g. 0.25, 1, 16; undefined = the task definition's own. */
  readonly cpu?: number | undefined;
  /** MiB (Fargate only); undefined = the task definition's own. */
  readonly memory?: number | undefined;
  /** Ephemeral storage in GiB (Fargate only); undefined = Fargate's default 20 GiB (+1 reserved = 21). */
  readonly disk?: number | undefined;
  /** Size preset; on CodeBuild it selects the compute type. */
  readonly size?: Size | undefined;
  /** Name of the runner image in the configured catalog. */
  readonly image: string;
  /** CodeBuild only: the reserved-capacity fleet (a name of config `codebuild.fleets`) the build runs on (`fleet=`). */
  readonly fleet?: string | undefined;
  /** Exactly the job's labels: the runner registers with these and nothing else. */
  readonly runnerLabels: readonly string[];
}


/**
 * Where a job stands, as tornade records it: GitHub's `workflow_job` statuses (webhook `workflow_job.status`), in the
 * order a job moves through them. `waiting` (for an environment's approval) comes before `queued`.
 */
export const JOB_STATUSES = ["queued", "waiting", "in_progress", "completed"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * A job's status as GitHub's REST API may report it: also the pre-queue `requested` and `pending`, which tornade reads
 * as queued (core/job-status.ts jobStatusOf).
 */
export type GitHubJobStatus = JobStatus | "requested" | "pending";

/** Where one launch attempt stands: asked for, accepted by the provider, its runner up, ended, or never started. */
export const LAUNCH_PHASES = ["requested", "launched", "running", "stopped", "failed"] as const;
export type LaunchPhase = (typeof LAUNCH_PHASES)[number];
/** Phases in which a launch holds (or is about to hold) a runner and counts against limits. */
export const ACTIVE_LAUNCH_PHASES: readonly LaunchPhase[] = ["requested", "launched", "running"];

/**
 * Why a launch did not start (providers/launch-errors.ts maps AWS's answers, controller/launcher.ts GitHub's). Retry
 * logic reads the kind, never the message.
 */
export const LAUNCH_ERROR_KINDS = [
  "capacity", // no Fargate (Spot) capacity now: retry later or fall back
  "throttled", // AWS throttled us: retry with backoff
  "transient", // 5xx, network, an interrupted request: retry with backoff
  "permanent", // bad task definition, access denied, invalid parameters: do not retry
] as const;
export type LaunchErrorKind = (typeof LAUNCH_ERROR_KINDS)[number];

/** A launch that did not start: the kind retry logic reads, and AWS's or GitHub's words for people. */
export interface LaunchFailure {
  readonly kind: LaunchErrorKind;
  readonly message: string;
}
