/**
 * Looks at one job: load what is stored, ask core/reconcile what to do, do it, and schedule the next look if the
 * decision is to wait. Safe to run for the same job twice or late: the decision is made from stored state.
 */
import type { Clock } from "../clock/clock.js";
import { takenBySibling, type RunnerOutcome } from "../core/launch-outcome.js";
import { decide, latestLaunch, parseRunnerName, type LaunchView, type ReconcilePolicy } from "../core/reconcile.js";
import type { Backend, JobStatus } from "../core/types.js";
import type { Logger } from "../log/logger.js";
import type { Queue } from "../queue/queue.js";
import { launchId, NO_JOB, type JobRecord, type LaunchRecord, type Store } from "../store/store.js";
import { GitHubError } from "../github/errors.js";
import type { GitHubPort } from "../github/github-port.js";
import { jobWaiter, type Launcher, type RunnerStart } from "./launcher.js";
import type { HandoffOutcome } from "./standby-handoff.js";
import { attemptRunner, standbyShapeKey } from "../core/standby.js";
import { lookUpJob, refreshJob } from "./job-refresh.js";
import { spareRunner } from "./spares.js";
import { reconcileItem, type Taking } from "./work-items.js";
import type { ControllerObserver } from "./observer.js";
import type { TakeIn } from "./observations.js";
import { recordTaking } from "./taking.js";
import { repoRefOf } from "./repo-ref.js";
import { isScaleSetJob, parseSpareRunnerName } from "../core/scale-set.js";

export interface ReconcilerDeps {
  readonly store: Store;
  readonly queue: Queue;
  readonly launcher: Launcher;
  readonly github: GitHubPort;
  readonly policy: ReconcilePolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly observer: ControllerObserver;
  /** Where a job learned of through the REST API is taken in, decided and stored as its webhook would have been. */
  readonly takeIn: TakeIn;
  /** Has the workers look again after `ms` (clock), when a delayed item must not wait for their idle poll. */
  readonly wakeAfter?: (ms: number) => void;
  /**
   * Standby runners (docs/standby.md), when configured: a launch is handed to a free standby of its shape first, and
   * launches cold only when there is none. `handedOff` is told after each handoff, so that a replacement starts.
   */
  readonly standbys?: { handOff(start: RunnerStart): Promise<HandoffOutcome>; handedOff(): void };
}

/** How long to wait before asking again when GitHub refuses a re-run because the run is still in progress. */
const RERUN_RETRY_MS = 60_000;

export class Reconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  /** Returns the action taken, for logs and tests. */
  async reconcile(jobId: number): Promise<string> {
    const { store, clock } = this.deps;
    const job = await store.getJob(jobId);
    if (!job) return "unknown job";
    const launches = await store.listLaunches(jobId);
    const view = {
      status: job.status,
      decision: job.decision,
      conclusion: job.conclusion,
      runnerName: job.runnerName,
      ranOn: await this.ranOn(job, launches),
      spare: await this.spare(job, launches),
      shown: { name: job.name, labels: job.labels },
      createdAt: job.createdAt,
      receivedAt: job.receivedAt,
      rerunTarget: await this.rerunTarget(job, launches),
    };
    const action = decide(view, launches, clock.now(), this.deps.policy);
    // Made only for the rare lines below: a child logger per look is an allocation every work item would pay.
    const log = () => this.deps.logger.child({ jobId });

    // A job that needs no launch now (served by a sibling's runner, done, its launch in flight) gives up any place
    // in the gate's line: a waiter told to look again far ahead would otherwise hold the head of it until its TTL.
    if (action.kind !== "launch") this.deps.launcher.leave(jobWaiter(jobId));
    switch (action.kind) {
      case "done":
        return "done";
      case "wait":
        await this.deps.queue.enqueue(reconcileItem(jobId, Math.max(0, action.until - clock.now())));
        return "wait";
      case "launch": {
        // Asked after admission, so a job held back by a limit is asked about once, when it is its turn.
        let onGitHub: JobStatus | "gone" = "queued";
        const ready = async () => {
          onGitHub = await this.confirmQueued(job, action.attempt);
          return onGitHub === "queued";
        };
        const { launcher, standbys } = this.deps;
        // A scale set's job is not asked about on GitHub's REST API (it has no REST id): its messages bring its state.
        const verify = action.verify && !isScaleSetJob(job.id);
        const start = launcher.forJob(job, action.attempt, action.spec, { fallbackFrom: action.fallbackFrom, ...(verify ? { ready } : {}) });
        if (standbys) {
          // A handoff starts no runner, so it does not ask the launch gate; it asks `ready` itself when it has a standby.
          const handed = await standbys.handOff(start);
          if (handed.kind === "launched") standbys.handedOff();
          if (handed.kind === "launched") this.deps.observer.jobRunnerStarted({ shape: standbyShapeKey(start.spec), warm: true });
          if (handed.kind === "failed") await this.deps.queue.enqueue(reconcileItem(jobId));
          if (handed.kind === "not-ready") return `verified: ${onGitHub}`;
          if (handed.kind === "held") {
            await this.deps.queue.enqueue(reconcileItem(jobId, handed.retryInMs));
            this.deps.wakeAfter?.(handed.retryInMs);
            return "wait: handoff paced to the GitHub and Parameter Store quotas";
          }
          if (handed.kind !== "none") return `handoff:${handed.kind}`;
        }
        const outcome = await launcher.start(start);
        if (outcome.kind === "launched") this.deps.observer.jobRunnerStarted({ shape: standbyShapeKey(start.spec), warm: false });
        switch (outcome.kind) {
          case "held":
            // Not a failure: the job keeps its place and looks again when capacity or quota allows. It keeps its place
            // only by asking again in time (launch-gate.ts WAITER_TTL_MS), so its retry wakes the workers.
            await this.deps.queue.enqueue(reconcileItem(jobId, outcome.retryInMs));
            this.deps.wakeAfter?.(outcome.retryInMs);
            return `wait: ${outcome.reason}`;
          case "not-ready":
            return `verified: ${onGitHub}`;
          case "failed":
            // A failed attempt is decided on at once (fallback, backoff or give-up) rather than on the next event.
            await this.deps.queue.enqueue(reconcileItem(jobId));
            return "launch:failed";
          default:
            return `launch:${outcome.kind}`;
        }
      }
      case "abandon": {
        await this.abandon(launches, action.attempt, action.reason);
        log().warn({ attempt: action.attempt, reason: action.reason }, "launch abandoned");
        await this.deps.queue.enqueue(reconcileItem(jobId));
        return "abandon";
      }
      case "stop": {
        const row = launches.find((l) => l.attempt === action.attempt);
        if (row) await this.deps.launcher.stop(job, row, action.why, action.reason);
        log().warn({ attempt: action.attempt, reason: action.reason }, "runner stopped by tornade");
        await this.deps.queue.enqueue(reconcileItem(jobId));
        return "stop";
      }
      case "rerun":
        return this.rerun(job, action.reason);
      case "find-job-on-runner": {
        const row = launches.find((l) => l.attempt === action.attempt);
        if (row && isScaleSetJob(job.id)) return this.checkedInScaleSet(row);
        return row ? this.findJobOnRunner(job, row) : "done";
      }
      case "refresh": {
        // A scale set's job: its JobCompleted message will say how it ended; only look again.
        if (!isScaleSetJob(job.id)) await refreshJob(this.deps, job);
        await this.deps.queue.enqueue(reconcileItem(jobId, action.retryInMs));
        return "refresh";
      }
      case "report":
        return this.report(job, action.title, action.summary);
      case "give-up": {
        await this.giveUp(job, action.reason);
        log().error({ reason: action.reason }, "gave up launching a runner for this job");
        this.deps.observer.gaveUp({ reason: action.reason });
        return "give-up";
      }
    }
  }

  /**
   * A job was seen running on a runner launched for another job (a `taken` item intake enqueued): marks that launch
   * and has the jobs it concerns look again (taking.ts).
   */
  recordTaking(t: Taking): Promise<string> {
    return recordTaking(this.deps, t);
  }

  /**
   * The launch behind the runner that ran the job, when it is tornade's: the job's own or a sibling's — read from its
   * standby's row while a handoff's row holds no task yet (core/standby.ts attemptRunner).
   */
  private async ranOn(job: JobRecord, own: readonly LaunchRecord[]): Promise<LaunchView | null> {
    const ours = parseRunnerName(job.runnerName);
    // A scale set's spare runner (started for no job) that took it: a Spot interruption of it must re-run the job too.
    // Its name carries its row's number (scale-sets.ts spareStart): one read, however many spare rows history keeps.
    const spare = !ours && job.runnerName ? parseSpareRunnerName(job.runnerName) : null;
    if (spare) {
      const row = await this.deps.store.getLaunch(launchId(NO_JOB, spare.n));
      return row?.runnerName === job.runnerName ? row : null;
    }
    if (!ours) return null;
    const launch = ours.jobId === job.id ? own.find((l) => l.attempt === ours.attempt) : await this.deps.store.getLaunch(launchId(ours.jobId, ours.attempt));
    if (!launch) return null;
    const standby = launch.handoffFrom !== null && launch.providerId === null ? await this.deps.store.getLaunch(launch.handoffFrom) : undefined;
    return attemptRunner(launch, standby);
  }

  /** For a queued job whose runner an identical sibling took: the sibling's runner it can have instead, if any. */
  private async spare(job: JobRecord, own: readonly LaunchRecord[]): Promise<LaunchRecord | null> {
    const last = latestLaunch(own);
    if (job.status !== "queued" || !last || takenBySibling(last.outcome) === undefined) return null;
    return (await spareRunner(this.deps.store, last)) ?? null;
  }

  /**
   * For a job of a later run attempt, before its first launch: the backend tornade chose when it re-ran an earlier
   * attempt of it (that job row's re-run target). One indexed read, only for re-run jobs not yet launched.
   */
  private async rerunTarget(job: JobRecord, launches: readonly LaunchRecord[]): Promise<Backend | null> {
    if (job.runAttempt <= 1 || launches.length > 0 || job.decision?.kind !== "launch") return null;
    return (await this.deps.store.findRerunBackend(job.runId, job.name, job.runAttempt)) ?? null;
  }

  /**
   * A runner launched for this job was lost to a Spot interruption while running some other job — an identical
   * sibling that took it, whose webhooks tornade never got. GitHub's run listing says which job that was; it is taken
   * in (takeIn) as the webhook would have been (and re-run like any interrupted job), and the launch is
   * marked as taken by it. One run read and one job listing, only on a Spot interruption.
   */
  private async findJobOnRunner(job: JobRecord, launch: LaunchRecord): Promise<string> {
    const { github, store } = this.deps;
    const ref = repoRefOf(job);
    const ran = (await github.listRunJobs(ref, job.runId)).find((j) => j.runnerName === launch.runnerName);
    if (ran) await this.deps.takeIn({ kind: "look-up", source: "runner", job: ran, run: await github.getRun(ref, job.runId), installationId: job.installationId });
    const outcome: RunnerOutcome = ran && ran.id !== job.id ? { kind: "taken", jobId: ran.id, refused: null } : checkedOutcome(launch);
    // Re-read: the launch may have moved since it was loaded.
    const current = (await store.getLaunch(launch.id)) ?? launch;
    await store.updateLaunch(launch.id, current.version, { outcome });
    await this.deps.queue.enqueue(reconcileItem(job.id));
    this.deps.logger.child({ jobId: job.id }).warn({ attempt: launch.attempt, ranJob: ran?.id ?? null }, "looked up which job a runner launched for this job ran");
    return ran && ran.id !== job.id ? `found job ${ran.id}` : "no other job";
  }

  /**
   * Puts a check run on the job's commit saying why tornade will not serve it, so the person waiting sees it on GitHub
   * rather than after 24 hours of "Waiting for a runner". An App without checks:write is told once in the log.
   */
  private async report(job: JobRecord, title: string, summary: string): Promise<string> {
    const decision = job.decision;
    if (!decision || (decision.kind !== "rejected" && decision.kind !== "failed") || !decision.headSha) return "done";
    let reported: "check-run" | "not-permitted" = "check-run";
    try {
      await this.deps.github.createCheckRun(
        repoRefOf(job),
        { headSha: decision.headSha, name: `tornade: ${job.name}`.slice(0, 200), conclusion: "failure", title, summary },
      );
    } catch (e) {
      if (!(e instanceof GitHubError) || (e.kind !== "forbidden" && e.kind !== "not-found" && e.kind !== "invalid")) throw e;
      reported = "not-permitted";
      this.deps.logger.warn({ jobId: job.id, err: e.message }, "could not put a check run on the job's commit (does the App have Checks: write?)");
    }
    await this.deps.store.updateJob(job.id, job.version, { decision: { ...decision, reported } });
    return `report: ${reported}`;
  }

  /**
   * Asks GitHub to re-run a job whose runner was lost mid-job. GitHub refuses while the run is still in progress
   * ("Re-run a job from a workflow run"): then look again later. The re-run is a new job (new id, next run attempt);
   * this job's re-run target (JobRecord.rerunBackend) tells it which backend it gets (rerunTarget).
   */
  private async rerun(job: JobRecord, reason: string): Promise<string> {
    const log = this.deps.logger.child({ jobId: job.id });
    // Written before asking: GitHub queues the re-run (and sends its webhook) before it answers us.
    const backend = this.deps.policy.rerunBackend;
    let current = job;
    if (backend !== "same" && job.rerunBackend !== backend) current = await this.deps.store.updateJob(job.id, job.version, { rerunBackend: backend });
    try {
      const restId = isScaleSetJob(job.id) ? await this.restJobIdOf(job) : job.id;
      if (restId === undefined) {
        log.warn({ reason, runner: job.runnerName }, "cannot re-run a scale set's job: GitHub's run lists no job on its runner");
        // Once: a job GitHub's run does not show on the runner is not looked for again.
        const d = current.decision;
        if (d?.kind === "launch") await this.deps.store.updateJob(current.id, current.version, { decision: { ...d, rerun: "requested" } });
        return "rerun: job not found";
      }
      await this.deps.github.rerunJob(repoRefOf(job), restId);
    } catch (e) {
      if (e instanceof GitHubError && e.kind === "forbidden") {
        await this.deps.queue.enqueue(reconcileItem(job.id, RERUN_RETRY_MS));
        return "rerun: run still in progress";
      }
      throw e;
    }
    const decision = current.decision;
    if (decision?.kind === "launch") {
      await this.deps.store.updateJob(current.id, current.version, { decision: { ...decision, rerun: "requested" } });
    }
    log.warn({ reason, backend }, "job re-run");
    this.deps.observer.rerun({ reason: "spot-interrupted" });
    return "rerun";
  }

  /**
   * A scale set's job has no REST id in its messages (core/scale-set.ts): the job of its workflow run that ran on its
   * runner is the one. One listing of the run's jobs, only for a Spot re-run.
   */
  private async restJobIdOf(job: JobRecord): Promise<number | undefined> {
    if (!job.runnerName) return undefined;
    const jobs = await this.deps.github.listRunJobs(repoRefOf(job), job.runId);
    return jobs.find((j) => j.runnerName === job.runnerName)?.id;
  }

  /**
   * A scale set's runner lost to a Spot interruption while running some other job of the scale set: that job's own
   * row hears of it from its JobCompleted message and is re-run from there; one that ended cleanly counts as an
   * attempt. Marked looked-at.
   */
  private async checkedInScaleSet(launch: LaunchRecord): Promise<string> {
    const current = (await this.deps.store.getLaunch(launch.id)) ?? launch;
    await this.deps.store.updateLaunch(launch.id, current.version, { outcome: checkedOutcome(launch) });
    await this.deps.queue.enqueue(reconcileItem(launch.jobId));
    return "no other job";
  }

  /**
   * Asks GitHub whether the job still waits (recording what it says), before a runner is spent on it. A job GitHub no
   * longer knows is filed as ignored with that reason, so it does not sit "queued" on the dashboard forever.
   */
  private async confirmQueued(job: JobRecord, attempt: number): Promise<JobStatus | "gone"> {
    const { status: now } = await lookUpJob(this.deps, job, "GitHub no longer knows this job (404): nothing launched");
    if (now === "queued") return now;
    const log = this.deps.logger.child({ jobId: job.id });
    log.info({ attempt, github: now, heardAfterSeconds: Math.round((job.receivedAt - job.createdAt) / 1000) }, "job not launched: GitHub says it is no longer queued");
    return now;
  }

  private async abandon(launches: readonly LaunchRecord[], attempt: number, reason: string): Promise<void> {
    const row = launches.find((l) => l.attempt === attempt);
    if (!row) return;
    // The launch may well have started before the process died: adopt its task rather than forget it, so it is
    // followed (a Spot interruption of it is seen) and not launched twice.
    const found = await this.deps.launcher.findLaunch(row);
    if (found) {
      await this.deps.store.updateLaunch(launchId(row.jobId, attempt), row.version, { state: "launched", providerId: found.id, launchedAt: this.deps.clock.now() });
      this.deps.logger.child({ jobId: row.jobId }).warn({ attempt, providerId: found.id }, "launch interrupted by a crash found running: adopted");
      return;
    }
    await this.deps.launcher.abandon(row, reason);
  }

  private async giveUp(job: JobRecord, reason: string): Promise<void> {
    const decision = job.decision;
    if (decision?.kind !== "launch") return;
    const failed = { kind: "failed" as const, reason, spec: decision.spec, ...(decision.headSha ? { headSha: decision.headSha } : {}) };
    await this.deps.store.updateJob(job.id, job.version, { decision: failed });
    // The check run saying so goes out on the next look.
    await this.deps.queue.enqueue(reconcileItem(job.id));
  }
}

/**
 * What a launch's runner is, once GitHub was asked which job it ran and it was none of its run's but the launch's own
 * (or none): a Spot interruption stays one, now checked; a runner that ended cleanly counts as a failed attempt.
 */
function checkedOutcome(launch: LaunchRecord): RunnerOutcome {
  if (launch.outcome?.kind === "spot-interrupted") return { ...launch.outcome, checked: true };
  return { kind: "runner-failed", reason: "ended without taking a job of its run (looked up on GitHub)" };
}
