/**
 * When tornade learns about a job from GitHub's REST API instead of its webhook (the webhook was lost), it takes the
 * job in through the very receiver a webhook goes through — so it is decided, policed and stored the same way — as
 * the `workflow_job` delivery GitHub would have sent, rebuilt from the REST answers.
 */
import { createHash } from "node:crypto";
import type { WorkflowJob, WorkflowRun } from "../github/github-port.js";
import type { WebhookDelivery } from "../server/app.js";

/**
 * The delivery for one job as it is now. Its GUID is stable per source, job, attempt and status, so finding the same
 * thing twice takes it in once (the receiver dedupes on the GUID).
 */
export function syntheticDelivery(source: string, job: WorkflowJob, run: WorkflowRun, installationId: number): WebhookDelivery {
  return {
    event: "workflow_job",
    guid: stableGuid(`tornade-${source}:${job.id}:${job.runAttempt}:${job.status}`),
    payload: jobPayload(job, run, installationId),
  };
}

/** A UUID-shaped GUID derived from a key. */
function stableGuid(key: string): string {
  const h = createHash("sha256").update(key).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The `workflow_job` payload: the action is the job's status, as GitHub names its actions after them. */
function jobPayload(job: WorkflowJob, run: WorkflowRun, installationId: number): Record<string, unknown> {
  const r = run.repository;
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    action: job.status,
    workflow_job: {
      id: job.id,
      run_id: job.runId,
      run_attempt: job.runAttempt,
      name: job.name,
      labels: [...job.labels],
      status: job.status,
      conclusion: job.conclusion,
      created_at: iso(job.createdAt),
      started_at: iso(job.startedAt),
      head_sha: job.headSha,
      runner_name: job.runnerName,
      workflow_name: run.workflowName,
    },
    repository: { id: r.id, name: r.name, full_name: r.fullName, owner: { login: r.ownerLogin }, private: r.private, ...(r.visibility ? { visibility: r.visibility } : {}) },
    ...(installationId ? { installation: { id: installationId } } : {}),
  };
}
