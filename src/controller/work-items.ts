/** The queue's work items, named in one place so producers and the worker agree. */
import type { Clock } from "../clock/clock.js";
import { lookNeeded } from "../core/look-needed.js";
import type { ReconcilePolicy } from "../core/reconcile.js";
import type { EnqueueItem } from "../queue/queue.js";
import type { IntakeInput } from "../store/intake.js";
import type { JobRecord, LaunchRecord } from "../store/store.js";

export const RECONCILE = "reconcile";
export const TAKEN = "taken";

/** "Look at job N again": keyed by job, so a burst of events for one job coalesces into one look. */
export function reconcileItem(jobId: number, delayMs = 0): EnqueueItem {
  return { key: `job:${jobId}`, kind: RECONCILE, payload: { jobId }, delayMs };
}

/**
 * Tells the intake that its look at job N may be left out when, at the rows the write leaves, `decide` would find
 * nothing to do (core/look-needed.ts): the job started or finished on its own runner, or that runner stopped after.
 * Without a reconcile policy (a caller that does not judge), every look is enqueued.
 */
export function idleLook(
  deps: { readonly reconcilePolicy?: ReconcilePolicy | undefined; readonly clock: Clock },
  jobId: number,
): Pick<IntakeInput, "lookUnlessIdle"> {
  const policy = deps.reconcilePolicy;
  if (!policy) return {};
  const needed = (job: JobRecord, launchesOf: () => readonly LaunchRecord[]) => lookNeeded(job, launchesOf, deps.clock.now(), policy);
  return { lookUnlessIdle: { key: reconcileItem(jobId).key, jobId, needed } };
}

export function jobIdOf(payload: unknown): number | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const id = (payload as { jobId?: unknown }).jobId;
  return typeof id === "number" && Number.isSafeInteger(id) ? id : undefined;
}

/**
 * A job seen running on a runner tornade launched for another job: what intake observed, kept in the queue item so
 * that the reconciler marks the other job's launch (Reconciler.recordTaking) — intake itself writes no other row.
 * A job tornade does not keep (not its job) is known only through this item.
 */
export interface Taking {
  /** The runner GitHub gave the job: `tornade-<launched for>-<attempt>`. */
  readonly runnerName: string;
  /** The job that took it. */
  readonly jobId: number;
  /** "owner/repo" of the job that took it. */
  readonly repository: string;
  /** Why tornade refuses that job (a policy violation), or null when tornade would launch for it. */
  readonly refusal: string | null;
}

/** Keyed by runner: one runner is taken by one job, so a redelivered observation coalesces with the first. */
export function takenItem(t: Taking): EnqueueItem {
  return { key: `taken:${t.runnerName}`, kind: TAKEN, payload: { ...t } };
}

export function takingOf(payload: unknown): Taking | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const p = payload as Partial<Record<keyof Taking, unknown>>;
  const ok =
    typeof p.runnerName === "string" &&
    typeof p.jobId === "number" &&
    Number.isSafeInteger(p.jobId) &&
    typeof p.repository === "string" &&
    (p.refusal === null || typeof p.refusal === "string");
  return ok ? { runnerName: p.runnerName as string, jobId: p.jobId as number, repository: p.repository as string, refusal: p.refusal as string | null } : undefined;
}
