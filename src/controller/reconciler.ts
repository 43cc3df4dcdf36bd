/**
 * Looks at one job: load what is stored, ask core/reconcile what to do, do it, and schedule the next look if the
 * decision is to wait. Safe to run for the same job twice or late: the decision is made from stored state.
 */
import type { Clock } from "../clock/clock.js";
import { decide, type ReconcilePolicy } from "../core/reconcile.js";
import type { Logger } from "../log/logger.js";
import type { Queue } from "../queue/queue.js";
import { launchId, type JobRecord, type LaunchRecord, type Store } from "../store/store.js";
import { advanceJob, jobStatusOf } from "../core/job-status.js";
import { GitHubError } from "../github/errors.js";
import type { GitHubPort } from "../github/github-port.js";
import type { Launcher } from "./launcher.js";
import { fromStored, toStored } from "./stored-decision.js";
import { reconcileItem } from "./work-items.js";
import type { ControllerObserver } from "./observer.js";

export interface ReconcilerDeps {
  readonly store: Store;
  readonly queue: Queue;
  readonly launcher: Launcher;
  readonly github: GitHubPort;
  readonly policy: ReconcilePolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly observer: ControllerObserver;
}

export class Reconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  /** Returns the action taken, for logs and tests. */
  async reconcile(jobId: number): Promise<string> {
    const { store, clock } = this.deps;
    const job = await store.getJob(jobId);
    if (!job) return "unknown job";
    const launches = await store.listLaunches(jobId);
    const action = decide({ status: job.status, decision: fromStored(job.decision) }, launches, clock.now(), this.deps.policy);
    const log = this.deps.logger.child({ jobId });

    switch (action.kind) {
      case "done":
        return "done";
      case "wait":
        await this.deps.queue.enqueue(reconcileItem(jobId, Math.max(0, action.until - clock.now())));
        return "wait";
      case "launch": {
        if (action.verify && !(await this.stillQueued(job))) return "verified: no longer queued";
        const outcome = await this.deps.launcher.launch(job, action.attempt, action.spec, action.fallbackFrom);
        // A failed attempt is decided on at once (fallback, backoff or give-up) rather than on the next event.
        if (outcome === "failed") await this.deps.queue.enqueue(reconcileItem(jobId));
        return `launch:${outcome}`;
      }
      case "abandon": {
        await this.abandon(launches, action.attempt, action.reason);
        log.warn({ attempt: action.attempt, reason: action.reason }, "launch abandoned");
        await this.deps.queue.enqueue(reconcileItem(jobId));
        return "abandon";
      }
      case "give-up": {
        await this.giveUp(job, action.reason);
        log.error({ reason: action.reason }, "gave up launching a runner for this job");
        this.deps.observer.gaveUp({ reason: action.reason });
        return "give-up";
      }
    }
  }

  /**
   * Asks GitHub for the job's status and records what it says. One GET, spent only before replacing a runner, so a
   * late webhook never costs a spare runner.
   */
  private async stillQueued(job: JobRecord): Promise<boolean> {
    let seen;
    try {
      seen = await this.deps.github.getJob({ installationId: job.installationId || undefined, owner: job.owner, repo: job.repo }, job.id);
    } catch (e) {
      if (e instanceof GitHubError && e.kind === "not-found") return false;
      throw e;
    }
    const observation = { status: jobStatusOf(seen.status), conclusion: seen.conclusion, runnerName: seen.runnerName };
    const patch = advanceJob(job, observation);
    if (patch) await this.deps.store.updateJob(job.id, job.version, patch);
    return observation.status === "queued";
  }

  private async abandon(launches: readonly LaunchRecord[], attempt: number, reason: string): Promise<void> {
    const row = launches.find((l) => l.attempt === attempt);
    if (!row) return;
    await this.deps.store.updateLaunch(launchId(row.jobId, attempt), row.version, {
      state: "failed",
      error: { kind: "transient", message: reason },
      stoppedAt: this.deps.clock.now(),
    });
  }

  private async giveUp(job: JobRecord, reason: string): Promise<void> {
    const decision = fromStored(job.decision);
    if (decision?.kind !== "launch") return;
    await this.deps.store.updateJob(job.id, job.version, { decision: toStored({ kind: "failed", reason, spec: decision.spec }) });
  }
}
