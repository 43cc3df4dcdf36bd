/**
 * Whether a look at a job is worth a work item, judged from the job's own rows alone — by the intake, inside the
 * transaction that moved the job or its runner, so that the answer holds for the rows as they are committed.
 *
 * A work item costs a lease commit, a read of the job and its launches, `decide` and an ack commit. Most jobs are
 * started on their own runner, then finish, then their runner stops; each of those three changes asked for a look
 * that found nothing to do ("a runner took the job", "job completed"). A look is level-triggered: run at the same
 * rows it gives the same answer. So when `decide` says "done" for the rows this write leaves, the look is left out —
 * and any later change that could alter the answer (the runner's stop, a Spot interruption, a webhook) asks for a
 * look of its own.
 *
 * Only the plain case is judged here; everything else still looks:
 * - the job runs (or ran) on its own latest runner, so the launch behind `runnerName` is one of its own rows (no
 *   sibling's row, no standby's row, which only the reconciler reads);
 * - no launch of the job is still being requested (a launch in flight, or one a crash interrupted, is the
 *   reconciler's to judge with the time it has then).
 */
import { decide, latestLaunch, parseRunnerName, type JobView, type LaunchView, type ReconcilePolicy } from "./reconcile.js";

/** A launch as the store holds it: the view plus the standby whose task serves it, if any (core/standby.ts). */
export type OwnLaunch = LaunchView & { readonly handoffFrom?: string | null };

/**
 * `launchesOf` reads the job's launches; it is called only when the job alone does not settle it (a job queued, or
 * not on its own runner, needs a look whatever its launches say), so most callers read none.
 */
export function lookNeeded(
  job: JobView & { readonly id: number },
  launchesOf: () => readonly OwnLaunch[],
  now: number,
  policy: ReconcilePolicy,
): boolean {
  const runner = ownRunner(job);
  if (!runner) return true;
  const launches = launchesOf();
  const last = latestLaunch(launches);
  if (!last || last.attempt !== runner.attempt) return true;
  // Served by a standby's task that its row does not name yet: the standby's row says how that runner stands.
  if (last.handoffFrom != null && last.providerId === null) return true;
  if (launches.some((l) => l.state === "requested")) return true;
  return decide({ ...job, ranOn: last, spare: null }, launches, now, policy).kind !== "done";
}

/** The attempt of the job's own runner it started on (and maybe finished), or null. */
function ownRunner(job: Pick<JobView, "status" | "runnerName"> & { readonly id: number }): { readonly attempt: number } | null {
  if (job.status !== "in_progress" && job.status !== "completed") return null;
  const runner = parseRunnerName(job.runnerName);
  return runner && runner.jobId === job.id ? { attempt: runner.attempt } : null;
}
