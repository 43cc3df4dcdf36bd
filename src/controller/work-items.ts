/** The queue's work items, named in one place so producers and the worker agree. */
import type { EnqueueItem } from "../queue/queue.js";

export const RECONCILE = "reconcile";

/** "Look at job N again": keyed by job, so a burst of events for one job coalesces into one look. */
export function reconcileItem(jobId: number, delayMs = 0): EnqueueItem {
  return { key: `job:${jobId}`, kind: RECONCILE, payload: { jobId }, delayMs };
}

export function jobIdOf(payload: unknown): number | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const id = (payload as { jobId?: unknown }).jobId;
  return typeof id === "number" && Number.isSafeInteger(id) ? id : undefined;
}
