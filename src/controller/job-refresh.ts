/**
 * Asking GitHub about one job when a webhook about it may have been lost, and recording the answer exactly as the
 * webhook would have (core/job-status: a status never moves backwards). One GET, spent only where a wrong belief
 * would cost a runner: before replacing one, or before keeping an idle one alive for a job that may be long gone.
 */
import { advanceJob, jobStatusOf } from "../core/job-status.js";
import type { JobStatus } from "../core/types.js";
import { GitHubError } from "../github/errors.js";
import type { GitHubPort } from "../github/github-port.js";
import type { JobRecord, Store } from "../store/store.js";
import { repoRefOf } from "./repo-ref.js";

/** GitHub's status of the job now, recorded; "gone" when GitHub no longer knows it. */
export async function refreshJob(
  deps: { readonly store: Pick<Store, "updateJob">; readonly github: Pick<GitHubPort, "getJob"> },
  job: JobRecord,
): Promise<JobStatus | "gone"> {
  let seen;
  try {
    seen = await deps.github.getJob(repoRefOf(job), job.id);
  } catch (e) {
    if (e instanceof GitHubError && e.kind === "not-found") return "gone";
    throw e;
  }
  const observation = { status: jobStatusOf(seen.status), conclusion: seen.conclusion, runnerName: seen.runnerName };
  const patch = advanceJob(job, observation);
  if (patch) await deps.store.updateJob(job.id, job.version, patch);
  return observation.status;
}
