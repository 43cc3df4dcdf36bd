/**
 * A polled message into typed values. Pure.
 *
 * The service answers a poll with `{messageId, messageType: "RunnerScaleSetJobMessages", body, statistics}` where
 * `body` is a JSON array of job messages, each with its own `messageType` (client.go
 * `parseRunnerScaleSetMessageResponse`: any other message type is an error; an entry of an unknown job message type
 * is skipped). Each entry is validated on its own, so a problem names the entry.
 */
import type { z } from "zod";
import { ScaleSetError } from "./errors.js";
import type { JobMessage, ScaleSetJob, ScaleSetMessage } from "./types.js";
import { JOB_MESSAGE_TYPES, JobMessageWire, type MessageWire } from "./wire.js";

/** The only message type the service sends on a scale set's queue. */
export const JOB_MESSAGES = "RunnerScaleSetJobMessages";

const known = new Set<string>(JOB_MESSAGE_TYPES);

/** A validated poll answer as a ScaleSetMessage; a ScaleSetError "protocol" naming what is wrong otherwise. */
export function parseMessage(m: z.output<typeof MessageWire>, operation: string): ScaleSetMessage {
  const bad = (what: string) =>
    new ScaleSetError("protocol", 200, `${operation}: message ${m.messageId} ${what}; acknowledge it to move past it, and report it (this client follows actions/scaleset's types)`, { operation });
  if (m.messageType !== JOB_MESSAGES) throw bad(`has messageType ${JSON.stringify(m.messageType)}, not ${JOB_MESSAGES}`);
  let entries: unknown;
  try {
    entries = m.body === "" ? [] : (JSON.parse(m.body) as unknown);
  } catch (e) {
    throw bad(`has a body that is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!Array.isArray(entries)) throw bad("has a body that is not a JSON array of job messages");
  const jobs: JobMessage[] = [];
  const skipped: string[] = [];
  const problems: string[] = [];
  entries.forEach((entry: unknown, i) => {
    const type = typeof entry === "object" && entry !== null ? (entry as { messageType?: unknown }).messageType : undefined;
    if (typeof type !== "string" || !known.has(type)) {
      skipped.push(typeof type === "string" ? type : "(no messageType)");
      return;
    }
    const parsed = JobMessageWire.safeParse(entry);
    if (parsed.success) jobs.push(toJobMessage(parsed.data));
    else problems.push(`entry ${i} (${type}): ${parsed.error.issues.map((x) => `${x.path.join(".") || "(root)"} ${x.message}`).join(", ")}`);
  });
  if (problems.length > 0) throw bad(`has job messages this client cannot read: ${problems.join("; ")}`);
  return { messageId: m.messageId, statistics: m.statistics, jobs, skipped };
}

function toJobMessage(w: JobMessageWire): JobMessage {
  const job: ScaleSetJob = {
    runnerRequestId: w.runnerRequestId,
    jobId: w.jobId,
    owner: w.ownerName,
    repository: w.repositoryName,
    workflowRef: w.jobWorkflowRef,
    displayName: w.jobDisplayName,
    workflowRunId: w.workflowRunId,
    eventName: w.eventName,
    labels: w.requestLabels,
    queuedAt: w.queueTime,
    scaleSetAssignedAt: w.scaleSetAssignTime,
    runnerAssignedAt: w.runnerAssignTime,
    finishedAt: w.finishTime,
  };
  switch (w.messageType) {
    case "JobAvailable":
    case "JobAssigned":
      return { type: w.messageType, job };
    case "JobStarted":
      return { type: "JobStarted", job, runner: { id: w.runnerId, name: w.runnerName } };
    case "JobCompleted":
      // A job cancelled before any runner took it completes without one (runnerId 0).
      return { type: "JobCompleted", job, result: w.result, runner: w.runnerId > 0 ? { id: w.runnerId, name: w.runnerName } : null };
  }
}
