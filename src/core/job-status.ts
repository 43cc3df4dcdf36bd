/**
 * How a job's stored status follows GitHub's webhooks, which arrive late, twice or out of order
 * ("Webhooks": GitHub does not guarantee delivery order). Pure rules, used by the intake's update.
 */
import type { JobStatus } from "./types.js";

/**
 * GitHub's workflow_job statuses, in the order a job moves through them. `waiting` (for an environment's approval)
 * comes before `queued`; `requested` and `pending` are pre-queue states GitHub may report and read as queued.
 */
const RANK: Readonly<Record<JobStatus, number>> = { waiting: 0, queued: 1, in_progress: 2, completed: 3 };

export function jobStatusOf(githubStatus: string): JobStatus {
  switch (githubStatus) {
    case "waiting":
    case "in_progress":
    case "completed":
    case "queued":
      return githubStatus;
    default:
      return "queued"; // "requested", "pending": not yet running anywhere
  }
}

export interface JobObservation {
  readonly status: JobStatus;
  readonly conclusion: string | null;
  readonly runnerName: string | null;
  /** When the job started on its runner, ms; null until it has. */
  readonly startedAt?: number | null;
}

/**
 * The patch a newer observation makes to the stored job, or null when it says nothing new. A status never moves
 * backwards: a late `queued` after `in_progress` must not send the job back to the launcher.
 */
export function advanceJob(current: JobObservation, seen: JobObservation): Partial<JobObservation> | null {
  if (RANK[seen.status] < RANK[current.status]) return null;
  const patch: { -readonly [K in keyof JobObservation]?: JobObservation[K] } = {};
  if (seen.status !== current.status) patch.status = seen.status;
  if (seen.conclusion !== null && seen.conclusion !== current.conclusion) patch.conclusion = seen.conclusion;
  if (seen.runnerName !== null && seen.runnerName !== current.runnerName) patch.runnerName = seen.runnerName;
  if (seen.startedAt != null && seen.startedAt !== current.startedAt) patch.startedAt = seen.startedAt;
  return Object.keys(patch).length > 0 ? patch : null;
}
