import type { JobDecision } from "../core/job-decision.js";
import type { RunnerOutcome } from "../core/launch-outcome.js";
import type { StandbyRole } from "../core/standby.js";
import { JOB_STATUSES, type Arch, type Backend, type JobStatus, type LaunchFailure, type LaunchPhase } from "../core/types.js";
import type { SweeperMemory } from "./sweeper-memory.js";
import type { Leases } from "./lease.js";

/**
 * The Store port: jobs, launches, webhook deliveries and a little metadata.
 *
 * Every implementation (SQLite embedded, DynamoDB for scale-out) passes store.contract.ts, so the interface only asks
 * for what both can do: single-record reads and writes, insert-if-absent (DynamoDB `attribute_not_exists`),
 * optimistic concurrency on a `version` number (DynamoDB condition expressions), and listing through an index with an
 * opaque cursor (DynamoDB `ExclusiveStartKey`). No multi-record transactions: the one place that wants atomicity
 * across records, the webhook intake, has its own port (intake.ts).
 *
 * Timestamps are milliseconds since the epoch of the Clock the implementation was given; the store sets `updatedAt`
 * and `version` itself, so callers never forge them.
 */
export interface Store extends SweeperMemory, Leases {
  getJob(id: number): Promise<JobRecord | undefined>;
  /** Inserts the job unless one with its id exists. True when this call created it. */
  createJobIfAbsent(job: NewJob): Promise<boolean>;
  /**
   * Applies `patch` if the stored version is `expectedVersion`, and returns the new record (version + 1).
   * Throws VersionConflict when the version differs or the job does not exist: re-read and decide again.
   */
  updateJob(id: number, expectedVersion: number, patch: JobPatch): Promise<JobRecord>;
  /** A page of jobs ordered by `updatedAt` (then id); pass the returned cursor back for the next page. */
  listJobs(query?: JobQuery): Promise<JobPage>;
  countJobsByStatus(): Promise<Record<JobStatus, number>>;

  getLaunch(id: string): Promise<LaunchRecord | undefined>;
  /** Inserts the launch (id `${jobId}-${attempt}`) unless it exists. True when this call created it. */
  putLaunch(launch: NewLaunch): Promise<boolean>;
  /** Versioned like updateJob; throws VersionConflict. */
  updateLaunch(id: string, expectedVersion: number, patch: LaunchPatch): Promise<LaunchRecord>;
  /** Every launch of one job, by attempt. */
  listLaunches(jobId: number): Promise<LaunchRecord[]>;
  /** Launches in any of `states`, oldest request first (the sweeper's "what is still starting or running?"). */
  listLaunchesByState(states: readonly LaunchPhase[], limit?: number): Promise<LaunchRecord[]>;
  /** Launches that hold (or will hold) a runner: requested, launched or running. */
  countActiveLaunches(filter?: { backend?: Backend }): Promise<number>;
  /**
   * The launch started as this ECS task ARN or CodeBuild build id, if any. AWS's state-change events (EventBridge
   * "ECS Task State Change", "CodeBuild Build State Change") name only that, not tornade's job.
   */
  findLaunchByProviderId(providerId: string): Promise<LaunchRecord | undefined>;

  /**
   * Insert-if-absent on GitHub's `X-GitHub-Delivery` GUID: "new" the first time, "duplicate" after. The GUID is kept
   * when GitHub redelivers ("Redelivering webhooks", docs.github.com/en/webhooks/testing-and-troubleshooting-webhooks),
   * so this is the dedupe of both duplicates and redeliveries.
   */
  recordDelivery(guid: string, info: DeliveryInfo): Promise<"new" | "duplicate">;
  getDelivery(guid: string): Promise<DeliveryRecord | undefined>;
  /**
   * Deletes deliveries received more than `maxAgeMs` ago and returns how many. `maxAgeMs` below three days is refused:
   * GitHub lets a delivery be redelivered for 3 days ("Redelivering webhooks"), and a redelivery we forgot would be
   * served twice.
   */
  pruneDeliveries(maxAgeMs: number): Promise<number>;

  getMeta(key: string): Promise<string | undefined>;
  putMeta(key: string, value: string): Promise<void>;

  /**
   * Where the re-run of a job goes: the re-run target (JobRecord.rerunBackend) of the latest earlier attempt
   * (runAttempt below `beforeAttempt`) of the job named `name` in run `runId`, if tornade re-ran one. GitHub's re-run is
   * a new job with a new id; run, name and a later attempt are what it shares with the job tornade re-ran.
   */
  findRerunBackend(runId: number, name: string, beforeAttempt: number): Promise<Backend | undefined>;

  close(): Promise<void>;
}

/** How long GitHub keeps a delivery redeliverable, hence the shortest delivery memory we accept. */
export const DELIVERY_RETENTION_MIN_MS = 3 * 24 * 60 * 60 * 1000;

/** Refuses a delivery memory shorter than GitHub's redelivery window (shared by every Store's pruneDeliveries). */
export function checkDeliveryRetention(maxAgeMs: number): void {
  if (!(maxAgeMs >= DELIVERY_RETENTION_MIN_MS)) {
    throw new RangeError(
      `deliveries must be kept at least 3 days (${DELIVERY_RETENTION_MIN_MS} ms), got ${maxAgeMs} ms: ` +
        "GitHub can redeliver a webhook for 3 days and a forgotten delivery would be served twice",
    );
  }
}

/** A status every Store accepts, or a RangeError naming the allowed ones. */
export function checkJobStatus(status: JobStatus): JobStatus {
  if (!(JOB_STATUSES as readonly string[]).includes(status)) {
    throw new RangeError(`job status must be one of ${JOB_STATUSES.join(", ")}, got ${JSON.stringify(status)}`);
  }
  return status;
}

export interface JobRecord {
  /** GitHub's job id. */
  readonly id: number;
  readonly runId: number;
  readonly runAttempt: number;
  /** "owner/repo" */
  readonly repository: string;
  readonly owner: string;
  readonly repo: string;
  readonly installationId: number;
  readonly labels: readonly string[];
  readonly name: string;
  readonly workflowName: string | null;
  readonly status: JobStatus;
  readonly conclusion: string | null;
  readonly runnerName: string | null;
  /** GitHub's `started_at` once the job is in progress on a runner, ms (the end of its queue time). */
  readonly startedAt: number | null;
  readonly decision: JobDecision | null;
  /**
   * The re-run target: the backend tornade chose when it asked GitHub to re-run this job after a Spot interruption
   * (written before asking). The re-run is a new job of a later run attempt with the same run and name; its first
   * runner launches here (findRerunBackend). Null when tornade never re-ran it, or re-runs on the labels' backend.
   */
  readonly rerunBackend: Backend | null;
  /** GitHub's `created_at`, ms. */
  readonly createdAt: number;
  /** When tornade first heard of the job, ms. */
  readonly receivedAt: number;
  readonly updatedAt: number;
  readonly version: number;
}

export type NewJob = Omit<JobRecord, "version" | "updatedAt" | "workflowName" | "conclusion" | "runnerName" | "startedAt" | "decision" | "rerunBackend"> & {
  readonly startedAt?: number | null;
  readonly workflowName?: string | null;
  readonly conclusion?: string | null;
  readonly runnerName?: string | null;
  readonly decision?: JobDecision | null;
  readonly rerunBackend?: Backend | null;
};

export type JobPatch = Partial<Omit<JobRecord, "id" | "version" | "updatedAt">>;

export interface JobQuery {
  readonly status?: JobStatus;
  /** Page size; default 100, at most 1000. */
  readonly limit?: number;
  /** Only jobs whose updatedAt is strictly earlier (the sweeper's "not looked at since"). */
  readonly updatedBefore?: number;
  /** "newest" (default, the dashboard) or "oldest" first (the sweeper). */
  readonly order?: "newest" | "oldest";
  /** The `cursor` of the previous page. */
  readonly cursor?: string;
}

export interface JobPage {
  readonly jobs: JobRecord[];
  /** Present when there may be more. Pages follow an index on updatedAt, so a job updated meanwhile can move. */
  readonly cursor?: string;
}

/**
 * One attempt to start a runner for a job. Deliberately has no field for the JIT config or any token: those are
 * secrets that live only in the launch request.
 */
export interface LaunchRecord {
  /** `${jobId}-${attempt}` (launchId()). */
  readonly id: string;
  readonly jobId: number;
  readonly attempt: number;
  readonly backend: Backend;
  readonly arch: Arch;
  /** ECS task ARN or CodeBuild build id; null until the provider answered. */
  readonly providerId: string | null;
  readonly runnerName: string;
  readonly state: LaunchPhase;
  /** Why the launch did not start (state "failed"): a provider's or GitHub's error of a closed set of kinds. */
  readonly error: LaunchFailure | null;
  /**
   * What became of its runner, when tornade knows more than "it stopped": taken by another job (and whether tornade
   * refuses that job), lost to a Spot interruption (and whether GitHub was asked about it), failed, or stopped by
   * tornade (boot timeout, cancelled job, idle).
   */
  readonly outcome: RunnerOutcome | null;
  /** AWS stopped this FARGATE_SPOT task for a Spot interruption (also when its runner had been taken). */
  readonly spotInterrupted: boolean;
  /** Set when this launch replaces one on another backend (FARGATE_SPOT capacity → FARGATE). */
  readonly fallbackFrom: Backend | null;
  /**
   * A standby runner's part (core/standby.ts StandbyRole: its shape, its handoff parameter's name, free / claimed /
   * retired); set on a standby's row (job id NO_JOB) only. docs/standby.md.
   */
  readonly standby: StandbyRole | null;
  /**
   * On a job's launch row served by a standby: that standby's launch id. Its task (providerId, once the handoff is
   * recorded) is this row's runner.
   */
  readonly handoffFrom: string | null;
  readonly requestedAt: number;
  readonly launchedAt: number | null;
  readonly startedAt: number | null;
  readonly stoppedAt: number | null;
  readonly updatedAt: number;
  readonly version: number;
}

export type NewLaunch = Pick<LaunchRecord, "jobId" | "attempt" | "backend" | "arch" | "runnerName" | "requestedAt"> &
  Partial<Pick<LaunchRecord, "providerId" | "state" | "error" | "outcome" | "spotInterrupted" | "fallbackFrom" | "standby" | "handoffFrom" | "launchedAt" | "startedAt" | "stoppedAt">>;

export type LaunchPatch = Partial<Omit<LaunchRecord, "id" | "jobId" | "attempt" | "version" | "updatedAt">>;

export function launchId(jobId: number, attempt: number): string {
  return `${jobId}-${attempt}`;
}

/**
 * The job id of a launch row whose runner was started for no particular job (the static pool's runners): GitHub's job
 * ids start at 1. Such rows count against the limits like any other; their `attempt` is a number unique among them.
 */
export const NO_JOB = 0;

export interface DeliveryInfo {
  /** `X-GitHub-Event` */
  readonly event: string;
  readonly action: string | null;
  readonly jobId?: number | null;
  readonly receivedAt: number;
}

export interface DeliveryRecord extends DeliveryInfo {
  readonly guid: string;
  readonly jobId: number | null;
}

/** The record changed (or vanished) since it was read: re-read, decide again. */
export class VersionConflict extends Error {
  override readonly name = "VersionConflict";
  constructor(
    readonly entity: "job" | "launch",
    readonly id: string | number,
    readonly expected: number,
    /** The stored version, or null when there is no such record. */
    readonly actual: number | null,
  ) {
    super(
      actual === null
        ? `${entity} ${id} does not exist (expected version ${expected})`
        : `${entity} ${id} is at version ${actual}, not ${expected}: it changed since it was read; re-read and retry`,
    );
  }
}
