/**
 * A job started on a runner tornade launched for another job. Intake only observed it (a `taken` work item); here,
 * in the worker, the other job's launch is marked as taken — by an identical sibling, or, when tornade refuses the
 * taker, as a policy violation — and the jobs that follow from it look again: the robbed job, and the job that was
 * waiting for the robbed job's runner as its spare (spares.ts).
 */
import type { RunnerOutcome } from "../core/launch-outcome.js";
import { isTaken } from "../core/launch-outcome.js";
import { parseRunnerName } from "../core/reconcile.js";
import type { Logger } from "../log/logger.js";
import type { Queue } from "../queue/queue.js";
import { VersionConflict, launchId, type Store } from "../store/store.js";
import type { ControllerObserver } from "./observer.js";
import { waiterOn } from "./spares.js";
import { reconcileItem, type Taking } from "./work-items.js";

export interface TakingDeps {
  readonly store: Pick<Store, "getLaunch" | "updateLaunch" | "getJob">;
  readonly queue: Pick<Queue, "enqueue">;
  readonly logger: Logger;
  readonly observer: ControllerObserver;
}

/** Marks the taken launch and asks the jobs it concerns to look again. Idempotent: a repeat marks and counts nothing. */
export async function recordTaking(deps: TakingDeps, t: Taking): Promise<string> {
  const ours = parseRunnerName(t.runnerName);
  if (!ours || ours.jobId === t.jobId) return "not a taking";
  const marked = await markTaken(deps.store, t, launchId(ours.jobId, ours.attempt));
  if (marked === "no launch") return "no launch";
  if (marked === "violation") {
    deps.logger.warn(
      { jobId: t.jobId, repository: t.repository, runnerName: t.runnerName, launchedFor: ours.jobId, reason: t.refusal },
      "policy violation: a job tornade refuses took a runner launched for another job",
    );
    deps.observer.policyViolation({ kind: "runner-taken" });
  }
  await deps.queue.enqueue(reconcileItem(ours.jobId));
  // That runner may have been the spare another robbed job was waiting for: it looks again now.
  const waiter = await waiterOn(deps.store, ours.jobId);
  if (waiter !== undefined && waiter !== t.jobId) await deps.queue.enqueue(reconcileItem(waiter));
  return `taken: job ${ours.jobId}'s runner by job ${t.jobId}`;
}

/**
 * Marks the launch as taken by `t.jobId`. "violation" only for the call that made a violation's mark (a duplicate or
 * a redelivered observation is not counted twice); "marked" when it is (or already was) marked otherwise.
 */
async function markTaken(store: Pick<Store, "getLaunch" | "updateLaunch">, t: Taking, id: string): Promise<"marked" | "violation" | "no launch"> {
  const refused = t.refusal === null ? null : { repository: t.repository, reason: t.refusal };
  const outcome: RunnerOutcome = { kind: "taken", jobId: t.jobId, refused };
  for (let i = 0; i < 3; i++) {
    const launch = await store.getLaunch(id);
    if (!launch) return "no launch";
    if (isTaken(launch.outcome)) return "marked";
    try {
      await store.updateLaunch(id, launch.version, { outcome });
      return refused === null ? "marked" : "violation";
    } catch (e) {
      if (!(e instanceof VersionConflict)) throw e;
    }
  }
  return "marked";
}
