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
  /** Exactly the job's labels: the runner registers with these and nothing else. */
  readonly runnerLabels: readonly string[];
}

