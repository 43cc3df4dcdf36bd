/**
 * The runner scale set API in tornade's words: the values the client returns, made from the validated wire shapes
 * (wire.ts). Nothing here holds a secret except JitConfig's `encodedJitConfig` (github-port.ts), which is never logged.
 */
import type { z } from "zod";
import type { RunnerGroupWire, RunnerReferenceWire, RunnerScaleSetWire, StatisticsWire } from "./wire.js";

/**
 * A scale set's counts as the service reports them with every message, session and scale set (types.go
 * RunnerScaleSetStatistic). `totalAssignedJobs` — jobs acquired or running — is the number of runners the scale set
 * needs; the public client's listener sizes the scale set by it alone.
 */
export type ScaleSetStatistics = z.output<typeof StatisticsWire>;

export interface ScaleSet {
  readonly id: number;
  readonly name: string;
  readonly runnerGroupId: number;
  readonly runnerGroupName: string;
  /** Label names; the scale set's name is matched against a job's `runs-on` besides these. */
  readonly labels: readonly string[];
  /** Whether its runners are told not to update themselves (RunnerSetting.disableUpdate). */
  readonly disableUpdate: boolean;
  readonly createdAt: number | null;
  readonly statistics: ScaleSetStatistics | null;
}

export interface RunnerGroup {
  readonly id: number;
  readonly name: string;
  readonly isDefault: boolean;
}

/** A runner as the Actions service names it (types.go RunnerReference). */
export interface RunnerRef {
  readonly id: number;
  readonly name: string;
  /** 0 for a runner outside any scale set. */
  readonly scaleSetId: number;
}

/** What a scale set should be: create-or-update brings the service to this. */
export interface ScaleSetSpec {
  readonly name: string;
  /** Runner group by name; "default" (the client's DefaultRunnerGroup) when absent. */
  readonly runnerGroup?: string;
  /** Extra labels a job's `runs-on` may name besides the scale set's name. */
  readonly labels?: readonly string[];
}

export function toScaleSet(w: z.output<typeof RunnerScaleSetWire>): ScaleSet {
  return {
    id: w.id,
    name: w.name,
    runnerGroupId: w.runnerGroupId,
    runnerGroupName: w.runnerGroupName,
    labels: w.labels.map((l) => l.name),
    disableUpdate: w.RunnerSetting.disableUpdate === true,
    createdAt: w.createdOn ?? null,
    statistics: w.statistics ?? null,
  };
}

export function toRunnerGroup(w: z.output<typeof RunnerGroupWire>): RunnerGroup {
  return { id: w.id, name: w.name, isDefault: w.isDefaultGroup };
}

export function toRunnerRef(w: z.output<typeof RunnerReferenceWire>): RunnerRef {
  return { id: w.id, name: w.name, scaleSetId: w.runnerScaleSetId };
}

/** What every job message says about its job (types.go JobMessageBase). */
export interface ScaleSetJob {
  /** The job's id in this protocol: what `acquirejobs` takes, the same through requeues. */
  readonly runnerRequestId: number;
  /** The Actions service's job id (a GUID, not the REST API's numeric job id). */
  readonly jobId: string;
  readonly owner: string;
  readonly repository: string;
  /** e.g. "OWNER/REPO/.github/workflows/ci.yml@refs/heads/main". */
  readonly workflowRef: string;
  readonly displayName: string;
  readonly workflowRunId: number;
  readonly eventName: string;
  /** The job's `runs-on` labels. */
  readonly labels: readonly string[];
  readonly queuedAt: number | null;
  readonly scaleSetAssignedAt: number | null;
  readonly runnerAssignedAt: number | null;
  readonly finishedAt: number | null;
}

/** One entry of a message's batch, by type. */
export type JobMessage =
  /** Offered to the scale set; it is the scale set's once acquired (`acquirejobs`). */
  | { readonly type: "JobAvailable"; readonly job: ScaleSetJob }
  /** The scale set has the job: a runner of the scale set is needed for it. */
  | { readonly type: "JobAssigned"; readonly job: ScaleSetJob }
  | { readonly type: "JobStarted"; readonly job: ScaleSetJob; readonly runner: { readonly id: number; readonly name: string } }
  /** `result` in the service's words: "succeeded", "failed", "canceled", … */
  | { readonly type: "JobCompleted"; readonly job: ScaleSetJob; readonly result: string; readonly runner: { readonly id: number; readonly name: string } | null };

export type JobMessageType = JobMessage["type"];

/** One poll's message. It stays with the service, and comes again, until acknowledged. */
export interface ScaleSetMessage {
  readonly messageId: number;
  readonly statistics: ScaleSetStatistics;
  readonly jobs: readonly JobMessage[];
  /** Entries of types this client does not know, skipped as the public client skips them. */
  readonly skipped: readonly string[];
}
