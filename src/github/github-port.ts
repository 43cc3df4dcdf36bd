import type { GitHubJobStatus } from "../core/types.js";
import type { RateLimitObservation } from "./rate-limits.js";

/**
 * Everything the controller asks of GitHub, in tornade's words: no Octokit types leak through. Every method throws
 * a `GitHubError` (./errors.ts) on failure, with a `kind` the caller branches on.
 *
 * `installationId` is required with a GitHub App (it comes with every webhook) and ignored with a personal token.
 */
export interface GitHubPort {
  /**
   * Registers a just-in-time runner and returns its encoded config (a secret: never log or store it).
   * A runner name already in use → GitHubError "conflict".
   */
  generateJitConfig(req: JitConfigRequest): Promise<JitConfig>;
  getJob(repo: RepoRef, jobId: number): Promise<WorkflowJob>;
  /** One workflow run (with its repository's visibility, which policy needs). */
  getRun(repo: RepoRef, runId: number): Promise<WorkflowRun>;
  /** The latest attempt's jobs of one run, all pages. */
  listRunJobs(repo: RepoRef, runId: number): Promise<WorkflowJob[]>;
  /**
   * Runs with status "queued" (default) or "in_progress" — a run with one job started is in progress while its other
   * jobs may still wait for a runner — optionally created at or after `since`.
   */
  listQueuedRuns(repo: RepoRef, opts?: { since?: number; maxPages?: number; status?: "queued" | "in_progress" }): Promise<WorkflowRun[]>;
  /** Re-runs one job (and what depends on it). GitHub refuses (forbidden) while the run is still in progress. */
  rerunJob(repo: RepoRef, jobId: number): Promise<void>;
  /** Runners of a repository, or of the organization when `scope` is "org", all pages. */
  listRunners(target: RunnerScope): Promise<Runner[]>;
  /**
   * The runner registered under exactly this name, if any: one request. A listing of every page can skip a runner
   * when others are removed between pages (GitHub pages by offset), so "not in the listing" is confirmed here before
   * anything is stopped for it.
   */
  findRunner(target: RunnerScope, name: string): Promise<Runner | undefined>;
  getRunner(target: RunnerScope, runnerId: number): Promise<Runner>;
  /** Deregisters a runner. An already-gone runner is not an error. */
  deleteRunner(target: RunnerScope, runnerId: number): Promise<void>;
  /** The App's webhook delivery log, newest first (App only). */
  listWebhookDeliveries(opts?: { cursor?: string; perPage?: number }): Promise<DeliveryPage>;
  /** Asks GitHub to deliver a webhook again; the redelivery keeps its `X-GitHub-Delivery` GUID (App only). */
  redeliver(deliveryId: number): Promise<void>;
  /** A completed check run on a commit, e.g. to say why tornade will not serve a job. */
  createCheckRun(repo: RepoRef, check: CheckRunRequest): Promise<{ id: number }>;
  /** Latest `x-ratelimit-*` observations per installation: free, from headers of answers already received. */
  rateLimits(): RateLimitObservation[];
}

export interface RepoRef {
  readonly installationId?: number | undefined;
  readonly owner: string;
  readonly repo: string;
}

/** Where runners live: the repository (default) or its organization (`owner` is then the organization). */
export interface RunnerScope extends RepoRef {
  readonly scope: "repo" | "org";
}

export interface JitConfigRequest extends RunnerScope {
  /** 1 is the "Default" group; repository runners must use it. */
  readonly runnerGroupId: number;
  /** Unique per registration; derived from the job id and launch attempt by the caller. */
  readonly name: string;
  /** Exactly the job's labels: sent as given. GitHub accepts 1–100. */
  readonly labels: readonly string[];
  readonly workFolder?: string;
}

export interface JitConfig {
  readonly runnerId: number;
  readonly encodedJitConfig: string;
}

export interface WorkflowJob {
  readonly id: number;
  readonly runId: number;
  readonly runAttempt: number;
  readonly name: string;
  readonly status: GitHubJobStatus;
  readonly conclusion: string | null;
  readonly labels: readonly string[];
  readonly headSha: string;
  readonly runnerId: number | null;
  readonly runnerName: string | null;
  readonly createdAt: number | undefined;
  readonly startedAt: number | undefined;
  readonly completedAt: number | undefined;
}

export interface WorkflowRun {
  readonly id: number;
  readonly status: string | null;
  readonly headSha: string;
  readonly runAttempt: number;
  readonly createdAt: number | undefined;
  readonly workflowName: string | null;
  /** The run's repository, as GitHub describes it (visibility matters to policy: public repositories are refused). */
  readonly repository: {
    readonly id: number;
    readonly name: string;
    readonly fullName: string;
    readonly ownerLogin: string;
    readonly private: boolean;
    readonly visibility?: string;
  };
}

export interface Runner {
  readonly id: number;
  readonly name: string;
  readonly status: "online" | "offline";
  readonly busy: boolean;
  readonly labels: readonly string[];
}

export interface WebhookDelivery {
  readonly id: number;
  /** The `X-GitHub-Delivery` GUID (kept on redelivery). */
  readonly guid: string;
  readonly deliveredAt: number | undefined;
  readonly redelivery: boolean;
  /** "OK" or GitHub's description of the failure. */
  readonly status: string;
  /** Our endpoint's HTTP answer; 0 when it could not be reached. */
  readonly statusCode: number;
  readonly event: string;
  readonly action: string | null;
  readonly installationId: number | null;
  readonly repositoryId: number | null;
}

export interface DeliveryPage {
  readonly deliveries: WebhookDelivery[];
  /** Pass back as `cursor` for the next (older) page; undefined on the last page. */
  readonly nextCursor: string | undefined;
}

export interface CheckRunRequest {
  readonly headSha: string;
  readonly name: string;
  readonly conclusion: "action_required" | "failure" | "neutral" | "success" | "skipped" | "cancelled" | "timed_out";
  readonly title: string;
  readonly summary: string;
}
