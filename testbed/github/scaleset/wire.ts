/**
 * What the simulated Actions service puts on the wire, in the shapes of the public client's types.go
 * (github.com/actions/scaleset; the fixture testbed/spec/scaleset-types.json holds them and the tests check every
 * answer against it). Member names are the Go json tags, case included ("RunnerSetting" is capitalised there).
 */
import type { Res } from "../http.js";
import type { Site } from "../payloads.js";
import type { JobRecord, RunRecord, RunnerRecord } from "../types.js";
import type { ScaleSetJob, ScaleSetRecord, SessionRecord } from "./types.js";

/** Go's zero time.Time, which a non-pointer time field marshals to when unset. */
export const ZERO_TIME = "0001-01-01T00:00:00Z";
/** The only message type parseRunnerScaleSetMessageResponse (client.go) accepts. */
export const JOB_MESSAGES = "RunnerScaleSetJobMessages";
export const API_VERSION = "6.0-preview";

const time = (ms: number | null | undefined): string => (ms === null || ms === undefined ? ZERO_TIME : new Date(ms).toISOString());

export interface Statistics {
  totalAvailableJobs: number;
  totalAcquiredJobs: number;
  totalAssignedJobs: number;
  totalRunningJobs: number;
  totalRegisteredRunners: number;
  totalBusyRunners: number;
  totalIdleRunners: number;
}

export interface RunnerScaleSetBody {
  id: number;
  name: string;
  runnerGroupId: number;
  runnerGroupName: string;
  labels: { type: string; name: string }[];
  RunnerSetting: Record<string, boolean>;
  createdOn: string;
  runnerJitConfigUrl: string;
  statistics: Statistics;
}

export function scaleSetBody(set: ScaleSetRecord, groupName: string, serviceUrl: string, statistics: Statistics): RunnerScaleSetBody {
  return {
    id: set.id,
    name: set.name,
    runnerGroupId: set.groupId,
    runnerGroupName: groupName,
    labels: set.labels.map((l) => ({ ...l })),
    RunnerSetting: { ...set.runnerSetting },
    createdOn: time(set.createdAt),
    runnerJitConfigUrl: `${serviceUrl}_apis/runtime/runnerscalesets/${set.id}/generatejitconfig`,
    statistics,
  };
}

export function sessionBody(session: SessionRecord, scaleSet: RunnerScaleSetBody, queueUrl: string, statistics: Statistics) {
  return {
    sessionId: session.id,
    ownerName: session.ownerName,
    runnerScaleSet: scaleSet,
    messageQueueUrl: queueUrl,
    messageQueueAccessToken: session.token,
    statistics,
  };
}

export function runnerReference(r: RunnerRecord) {
  return { id: r.id, name: r.name, runnerScaleSetId: r.scaleSetId ?? 0 };
}

export type JobMessageType = "JobAvailable" | "JobAssigned" | "JobStarted" | "JobCompleted";

/** One entry of a message's body: JobMessageBase plus the members of its type (JobAvailable, JobStarted, …). */
export type JobMessage = Record<string, unknown> & { messageType: JobMessageType };

/** GitHub's TaskResult names as ARC logs them for JobCompleted ("succeeded", "failed", "canceled"). */
function resultOf(job: JobRecord): string {
  return job.conclusion === "success" ? "succeeded" : job.conclusion === "cancelled" ? "canceled" : "failed";
}

export function jobMessage(
  type: JobMessageType,
  ctx: { site: Site; serviceUrl: string },
  tracked: ScaleSetJob,
  job: JobRecord,
  run: RunRecord | undefined,
): JobMessage {
  const repo = run?.repo ?? "";
  const base = {
    messageType: type,
    runnerRequestId: tracked.requestId,
    repositoryName: repo,
    ownerName: ctx.site.owner,
    jobId: tracked.guid,
    jobWorkflowRef: `${ctx.site.owner}/${repo}/.github/workflows/ci.yml@refs/heads/${run?.headBranch ?? "main"}`,
    jobDisplayName: job.name,
    workflowRunId: job.runId,
    eventName: "push",
    requestLabels: [...job.labels],
    queueTime: time(job.createdAt),
    scaleSetAssignTime: time(tracked.assignedAt),
    runnerAssignTime: time(tracked.runnerAssignedAt),
    finishTime: time(job.completedAt),
  };
  switch (type) {
    case "JobAvailable":
      return { ...base, acquireJobUrl: `${ctx.serviceUrl}_apis/runtime/runnerscalesets/${tracked.scaleSetId}/acquirejobs` };
    case "JobAssigned":
      return base;
    case "JobStarted":
      return { ...base, runnerId: job.runnerId ?? 0, runnerName: job.runnerName ?? "" };
    case "JobCompleted":
      return { ...base, result: resultOf(job), runnerId: job.runnerId ?? 0, runnerName: job.runnerName ?? "" };
  }
}

/**
 * An Actions service error: ParseActionsErrorFromResponse (errors.go) reads `typeName` and `message`, and maps
 * AgentExistsException, AgentNotFoundException and JobStillRunningException to its sentinel errors. The other type
 * names are the sim's, in the service's .NET style.
 */
export function exception(status: number, typeName: string, message: string): Res {
  return { status, body: { typeName, message } };
}
