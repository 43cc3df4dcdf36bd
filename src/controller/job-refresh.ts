/**
 * Asking GitHub about one job when a webhook about it may have been lost, and recording the answer exactly as the
 * webhook would have (core/job-status: a status never moves backwards). One GET, spent only where a wrong belief
 * would cost a runner: before replacing one, or before keeping an idle one alive for a job that may be long gone.
 */
import { advanceJob, jobStatusOf } from "../core/job-status.js";
import type { JobStatus } from "../core/types.js";
import { GitHubError } from "../github/errors.js";
import type { GitHubPort } from "../github/github-port.js";
import type { Queue } from "../queue/queue.js";
import type { JobRecord, Store } from "../store/store.js";
import { repoRefOf } from "./repo-ref.js";
import { reconcileItem } from "./work-items.js";

type RefreshDeps = { readonly store: Pick<Store, "updateJob">; readonly queue: Pick<Queue, "enqueue">; readonly github: Pick<GitHubPort, "getJob"> };

/** GitHub's status of the job now, recorded; "gone" when GitHub no longer knows it. */
export async function refreshJob(deps: RefreshDeps, job: JobRecord): Promise<JobStatus | "gone"> {
  return (await lookUpJob(deps, job)).status;
}

/**
 * GitHub's status of the job now and the job as recorded after it. A job GitHub no longer knows (404) is filed as
 * ignored with `goneReason` when one is given, so that it is settled once: nothing waits for it, and nobody asks
 * about it again.
 */
export async function lookUpJob(
  deps: RefreshDeps,
  job: JobRecord,
  goneReason?: string,
): Promise<{ status: JobStatus | "gone"; job: JobRecord }> {
  let seen;
  try {
    seen = await deps.github.getJob(repoRefOf(job), job.id);
  } catch (e) {
    if (!(e instanceof GitHubError && e.kind === "not-found")) throw e;
    if (goneReason === undefined) return { status: "gone", job };
    return { status: "gone", job: await deps.store.updateJob(job.id, job.version, { decision: { kind: "ignored", reason: goneReason } }) };
  }
  const observation = { status: jobStatusOf(seen.status), conclusion: seen.conclusion, runnerName: seen.runnerName };
  const patch = advanceJob(job, observation);
  if (!patch) return { status: observation.status, job };
  const updated = await deps.store.updateJob(job.id, job.version, patch);
  // Every change of a job row asks for a look, as intake's do: a webhook that later brings the same news changes
  // nothing and asks for none (take-in.ts), so this one must — a job found running on a runner lost to a Spot
  // interruption is re-run from that look.
  await deps.queue.enqueue(reconcileItem(job.id));
  return { status: observation.status, job: updated };
}
