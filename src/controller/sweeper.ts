/**
 * The sweeper: tornade does not trust any webhook to arrive. Each round it
 * 1. redelivers App webhook deliveries that failed (GitHub never retries them on its own, and keeps them
 *    redeliverable for 3 days: "Handling failed webhook deliveries"), and
 * 2. within an API budget, lists queued runs of repositories with recent activity and takes in any queued job GitHub
 *    has that tornade does not — so a job whose every webhook was lost still gets its runner.
 * What it finds goes through the same receiver as a webhook, so it is decided and stored exactly the same way.
 */
import { createHash } from "node:crypto";
import type { Clock } from "../clock/clock.js";
import { GitHubError } from "../github/errors.js";
import type { GitHubPort, WorkflowJob, WorkflowRun } from "../github/github-port.js";
import type { Logger } from "../log/logger.js";
import type { WebhookReceiver } from "../server/app.js";
import type { Store } from "../store/store.js";
import { recentRepositories } from "./recent-repositories.js";

export interface SweeperPolicy {
  /** How far back failed deliveries are looked for. */
  readonly deliveryLookbackMs: number;
  /** Pages of the delivery log read per round (100 deliveries a page). */
  readonly deliveryPages: number;
  /** GitHub calls per round spent finding queued jobs (one per repository's run list, one per run's jobs). */
  readonly discoveryBudget: number;
  /** Repositories with a job received this recently are searched. */
  readonly recentActivityMs: number;
  /** Queued jobs younger than this are left to their webhook, which is probably on its way. */
  readonly discoveryGraceMs: number;
}

export const defaultSweeperPolicy: SweeperPolicy = {
  deliveryLookbackMs: 2 * 3600_000,
  deliveryPages: 3,
  discoveryBudget: 10,
  recentActivityMs: 3600_000,
  discoveryGraceMs: 60_000,
};

export interface SweeperDeps {
  readonly store: Store;
  readonly github: GitHubPort;
  readonly receiver: WebhookReceiver;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy: SweeperPolicy;
}

export interface SweepResult {
  readonly redelivered: number;
  readonly discovered: number;
  readonly githubCalls: number;
}

export class Sweeper {
  /** GUIDs redelivered recently, so a redelivery still on its way is not asked for again. */
  private readonly redelivered = new Map<string, number>();

  constructor(private readonly deps: SweeperDeps) {}

  async sweep(): Promise<SweepResult> {
    const a = await this.redeliverFailed().catch((e: unknown) => this.failed("redelivery", e));
    const b = await this.discoverQueued().catch((e: unknown) => this.failed("discovery", e));
    return { redelivered: a.count, discovered: b.count, githubCalls: a.calls + b.calls };
  }

  private failed(what: string, e: unknown): { count: number; calls: number } {
    this.deps.logger.warn({ err: e instanceof Error ? e.message : String(e) }, `sweeper ${what} failed; next round retries`);
    return { count: 0, calls: 0 };
  }

  /** Redelivers each delivery GUID none of whose attempts succeeded and that tornade has not stored. */
  private async redeliverFailed(): Promise<{ count: number; calls: number }> {
    const { github, store, clock, policy } = this.deps;
    const now = clock.now();
    const horizon = now - policy.deliveryLookbackMs;
    const attempts = new Map<string, { ok: boolean; latestId: number; event: string }>();
    let cursor: string | undefined;
    let calls = 0;
    for (let page = 0; page < policy.deliveryPages; page++) {
      const res = await github.listWebhookDeliveries({ perPage: 100, ...(cursor ? { cursor } : {}) });
      calls++;
      let older = false;
      for (const d of res.deliveries) {
        if (d.deliveredAt !== undefined && d.deliveredAt < horizon) older = true;
        const seen = attempts.get(d.guid);
        const ok = d.statusCode >= 200 && d.statusCode < 300;
        if (!seen) attempts.set(d.guid, { ok, latestId: d.id, event: d.event });
        else attempts.set(d.guid, { ok: seen.ok || ok, latestId: Math.max(seen.latestId, d.id), event: seen.event });
      }
      cursor = res.nextCursor;
      if (!cursor || older) break;
    }
    for (const [guid, t] of this.redelivered) if (now - t > policy.deliveryLookbackMs) this.redelivered.delete(guid);
    let count = 0;
    for (const [guid, a] of attempts) {
      if (a.ok || a.event !== "workflow_job" || this.redelivered.has(guid)) continue;
      // Stored means tornade took it in and only the answer was lost (a crash after the commit).
      if (await store.getDelivery(guid)) continue;
      await github.redeliver(a.latestId);
      calls++;
      this.redelivered.set(guid, now);
      count++;
    }
    if (count > 0) this.deps.logger.info({ count }, "failed webhook deliveries redelivered");
    return { count, calls };
  }

  /** Queued jobs GitHub has and tornade does not, in recently active repositories, within the call budget. */
  private async discoverQueued(): Promise<{ count: number; calls: number }> {
    const { github, store, clock, policy } = this.deps;
    const now = clock.now();
    let calls = 0;
    let count = 0;
    for (const repo of await recentRepositories(store, now, policy.recentActivityMs)) {
      if (calls >= policy.discoveryBudget) break;
      const ref = { installationId: repo.installationId || undefined, owner: repo.owner, repo: repo.repo };
      let runs: WorkflowRun[];
      try {
        runs = await github.listQueuedRuns(ref, { maxPages: 1 });
      } catch (e) {
        if (e instanceof GitHubError && e.kind === "not-found") continue;
        throw e;
      }
      calls++;
      for (const run of runs) {
        if (calls >= policy.discoveryBudget) break;
        if (run.createdAt !== undefined && now - run.createdAt < policy.discoveryGraceMs) continue;
        const jobs = await github.listRunJobs(ref, run.id);
        calls++;
        for (const job of jobs) {
          if (job.status !== "queued") continue;
          if (job.createdAt !== undefined && now - job.createdAt < policy.discoveryGraceMs) continue;
          if (await store.getJob(job.id)) continue;
          const answer = await this.deps.receiver.receive({
            event: "workflow_job",
            guid: sweeperGuid(job.id, job.runAttempt),
            payload: queuedPayload(job, run, repo.installationId),
          });
          if (answer.status === 202) {
            count++;
            this.deps.logger.warn({ jobId: job.id, runId: run.id, repository: run.repository.fullName }, "queued job found without its webhook");
          }
        }
      }
    }
    return { count, calls };
  }

}

/** A stable GUID per job attempt, so finding the same job twice takes it in once. */
function sweeperGuid(jobId: number, attempt: number): string {
  const h = createHash("sha256").update(`tornade-sweeper:${jobId}:${attempt}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The `workflow_job` `queued` webhook GitHub would have sent, rebuilt from the REST answers. */
function queuedPayload(job: WorkflowJob, run: WorkflowRun, installationId: number): Record<string, unknown> {
  const r = run.repository;
  return {
    action: "queued",
    workflow_job: {
      id: job.id,
      run_id: job.runId,
      run_attempt: job.runAttempt,
      name: job.name,
      labels: [...job.labels],
      status: job.status,
      conclusion: job.conclusion,
      created_at: job.createdAt === undefined ? undefined : new Date(job.createdAt).toISOString(),
      head_sha: job.headSha,
      runner_name: job.runnerName,
      workflow_name: run.workflowName,
    },
    repository: { id: r.id, name: r.name, full_name: r.fullName, owner: { login: r.ownerLogin }, private: r.private, ...(r.visibility ? { visibility: r.visibility } : {}) },
    ...(installationId ? { installation: { id: installationId } } : {}),
  };
}
