/**
 * Scale-set mode, the pure part (docs/scale-sets.md): how a scale set's job message becomes a stored job, and how
 * many runners a scale set should start from its statistics and what is stored — level-triggered, so a lost message
 * costs nothing.
 *
 * Job ids. A scale set's job messages carry the Actions service's `runnerRequestId` (an integer, the same through
 * requeues) and a job GUID, never the REST API's numeric job id. A scale set's job is stored under the NEGATIVE of its
 * runnerRequestId, so it can never collide with a webhook job (GitHub's ids are positive; NO_JOB is 0) and every
 * reader can tell the two apart without another field.
 */
import type { JobStatus } from "./types.js";

/** The stored job id of a scale set's job: the negative of its runnerRequestId. */
export function scaleSetJobId(runnerRequestId: number): number {
  if (!Number.isSafeInteger(runnerRequestId) || runnerRequestId <= 0) throw new RangeError(`runnerRequestId must be a positive integer, got ${runnerRequestId}`);
  return -runnerRequestId;
}

/** Whether a stored job came from a scale set (scaleSetJobId), not from a webhook or GitHub's REST API. */
export function isScaleSetJob(jobId: number): boolean {
  return jobId < 0;
}

/** The job message types, as the client names them (src/github/scaleset/types.ts JobMessage). */
export type ScaleSetMessageType = "JobAvailable" | "JobAssigned" | "JobStarted" | "JobCompleted";

/**
 * What a job message says of the job, in the stored job's words. A JobAvailable job is only offered: it is not the
 * scale set's until acquired, so nothing is stored for it (null). JobCompleted's `result` becomes GitHub's conclusion.
 */
export function scaleSetJobStatus(type: ScaleSetMessageType, result?: string): { status: JobStatus; conclusion: string | null } | null {
  switch (type) {
    case "JobAvailable":
      return null;
    case "JobAssigned":
      return { status: "queued", conclusion: null };
    case "JobStarted":
      return { status: "in_progress", conclusion: null };
    case "JobCompleted":
      return { status: "completed", conclusion: conclusionOf(result ?? "") };
  }
}

/** The service's results ("succeeded", "failed", "canceled") as the REST API's conclusions. */
function conclusionOf(result: string): string {
  switch (result.toLowerCase()) {
    case "succeeded":
      return "success";
    case "failed":
      return "failure";
    case "canceled":
    case "cancelled":
      return "cancelled";
    default:
      return result.toLowerCase() || "unknown";
  }
}

export interface ScaleSetBounds {
  /** Runners kept besides those the assigned jobs need. */
  readonly minRunners: number;
  readonly maxRunners: number;
}

/** One scale set as stored and as the service last counted it. */
export interface ScaleSetCounts {
  /** `totalAssignedJobs` of the latest statistics: jobs acquired or running, each needing a runner of the scale set. */
  readonly assigned: number;
  /** Runners of the scale set that hold (or will hold) a task: launch rows requested, launched or running. */
  readonly runners: number;
  /** Stored jobs of the scale set still queued with no runner of their own yet: reconcile is starting theirs. */
  readonly starting: number;
  /**
   * Jobs the listener acquired within the grace whose assignment message has not come yet. The statistics count
   * them as assigned the moment they are acquired; their own runners follow their messages.
   */
  readonly awaiting: number;
}

export interface ScaleSetPlan {
  /** How many runners the scale set should have: min + assigned, at most max (GitHub's own listener's rule). */
  readonly target: number;
  /** Spare runners to start now, for no stored job (each takes whichever job of the scale set comes first). */
  readonly start: number;
  /** Since when the statistics have said more than is stored; null when they agree. Kept by the caller. */
  readonly shortSince: number | null;
  /** What was decided, for the log. */
  readonly reason: string;
}

/**
 * How many graces a shortfall waits while the listener has not caught up with its queue: 5 minutes at the default
 * round (30 s, a grace of two rounds). A dead session lapses in about 2 minutes (the service does not publish it; the
 * test bed's default), and the service offers a job assigned but not started again after 5 (docs/scale-sets.md).
 */
export const UNCAUGHT_GRACES = 5;

/**
 * The spare runners a scale set should start now.
 *
 * Every stored job of the scale set gets its own runner through reconcile; this plan fills only what stored jobs do
 * not explain. The minimum is kept at once. A shortfall beyond it — the statistics count assigned jobs tornade has
 * no row for, beyond the jobs the listener has just acquired (`awaiting`: their messages follow) — is a lost message
 * only when no message can still explain it:
 * - Once it has lasted `graceMs` while the listener has caught up (`caughtUp`: its session's poll has answered
 *   "nothing waiting" since the session opened, and none failed since): the message announcing a new job is often
 *   simply the next one (statistics read between two messages run ahead of them).
 * - While the listener has not caught up, only once it has lasted UNCAUGHT_GRACES graces. A session opened after a
 *   restart, a lost session or a rogue's is handed every message not acknowledged before — after a SIGKILL, every
 *   job acquired whose JobAssigned waited for the dead session to lapse — and a runner started for one of them would
 *   be one too many once its message comes. The queue may not empty for a long while under a steady stream, so this
 *   wait is bounded: long enough for a dead session to lapse and its backlog to come, short enough that a job whose
 *   message is really lost is served before the service gives up offering it again.
 * After that, the message was lost, and a spare runner serves the job it announced. Never above max. Statistics are
 * level-triggered, so a lost message still costs nothing.
 */
export function planScaleSet(counts: ScaleSetCounts, bounds: ScaleSetBounds, shortSince: number | null, now: number, graceMs: number, caughtUp: boolean): ScaleSetPlan {
  const have = counts.runners + counts.starting;
  const target = Math.min(bounds.maxRunners, bounds.minRunners + Math.max(0, counts.assigned));
  const room = Math.max(0, bounds.maxRunners - have);
  const forMin = Math.min(room, Math.max(0, Math.min(bounds.maxRunners, bounds.minRunners) - have));
  const short = Math.max(0, target - have - forMin - Math.max(0, counts.awaiting));
  if (short === 0) {
    return { target, start: forMin, shortSince: null, reason: forMin > 0 ? `keeping ${bounds.minRunners} runners` : "runners match the statistics" };
  }
  const since = shortSince ?? now;
  if (now - since < (caughtUp ? graceMs : UNCAUGHT_GRACES * graceMs)) {
    const waiting = caughtUp ? "waiting for their messages" : "the listener has not caught up with its queue yet";
    return { target, start: forMin, shortSince: since, reason: `statistics count ${short} more assigned job(s) than stored; ${waiting}` };
  }
  const start = Math.min(room, forMin + short);
  return { target, start, shortSince: null, reason: `statistics counted ${short} assigned job(s) with no message for ${Math.round((now - since) / 1000)} s: starting spare runners` };
}

/**
 * A spare runner's name: started for no stored job (planScaleSet), it takes whichever job of its scale set comes
 * first. Unlike a job's runner (core/reconcile.ts runnerName) it names its scale set, which is how it is counted.
 */
export function spareRunnerName(scaleSet: string, n: number): string {
  return `tornade-spare-${scaleSet}-${n}`;
}

/** The scale set a spare runner's name stands for; null for any other runner. */
export function parseSpareRunnerName(name: string): { scaleSet: string; n: number } | null {
  const m = /^tornade-spare-(.+)-(\d+)$/.exec(name);
  return m ? { scaleSet: m[1] as string, n: Number(m[2]) } : null;
}
