/**
 * Spare runners among identical siblings. Jobs of one run with the same labels share runners: GitHub gives each
 * runner that comes up to the oldest queued job it fits, not to the job tornade launched it for. When job A's runner
 * is taken by sibling B, B's own runner — still starting — becomes a spare that A will get. Following "taken by"
 * from A's runner leads to exactly one such spare (each job runs on one runner, so no two chains meet), and a robbed
 * job that waits for it launches nothing extra.
 */
import { takenBySibling } from "../core/launch-outcome.js";
import { latestLaunch, parseRunnerName } from "../core/reconcile.js";
import type { JobRecord, LaunchRecord, Store } from "../store/store.js";

/** Chains longer than this are not followed (a burst of identical jobs rarely goes past two or three hops). */
const MAX_HOPS = 16;

/**
 * The runner a robbed job can expect: from its taken launch, the robber's own latest launch, and so on while that
 * one was taken too. Undefined when the chain ends without a launch (the robber had none) or is too long; whether
 * the spare is still worth waiting for is core/reconcile's call.
 */
export async function spareRunner(store: Pick<Store, "listLaunches">, taken: LaunchRecord): Promise<LaunchRecord | undefined> {
  let at = taken;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const robber = takenBySibling(at.outcome);
    if (robber === undefined) return undefined;
    const next = latestLaunch(await store.listLaunches(robber));
    if (!next || next.id === at.id) return undefined;
    if (takenBySibling(next.outcome) === undefined) return next;
    at = next;
  }
  return undefined;
}

/**
 * The queued job waiting on `owner`'s latest launch as its spare, if any: the job whose runner `owner` took, or —
 * when that one is running too — the job whose runner it took, and so on. Told when that spare is taken in turn, it
 * looks again at once rather than when its wait runs out.
 */
export async function waiterOn(store: Pick<Store, "getJob">, owner: number): Promise<number | undefined> {
  let job: JobRecord | undefined = await store.getJob(owner);
  for (let hop = 0; hop < MAX_HOPS && job; hop++) {
    const robbed = parseRunnerName(job.runnerName);
    if (!robbed || robbed.jobId === job.id) return undefined;
    job = await store.getJob(robbed.jobId);
    if (job?.status === "queued") return job.id;
  }
  return undefined;
}
