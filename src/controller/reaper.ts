/**
 * The reaper: after a burst, nothing of tornade's may be left running or registered. What to let go is decided in
 * core/runners.ts (`classifyRunners`, pure); this file loads the facts it asks for, and acts on its answer:
 * releases idle runners (deregistered first, stopped only if GitHub let go of them), asks GitHub about jobs whose
 * runners idle while they look queued, and removes registrations no launch stands behind.
 */
import type { Clock } from "../clock/clock.js";
import { classifyRunners, runnersInDoubt, scopeKey, type RunnerAction, type RunnerFacts, type RunnerJob, type HeldRunner, type Look, type QueuedJob, type RegisteredRunner } from "../core/runners.js";
import { isTaken } from "../core/launch-outcome.js";
import { Pace, roundPacing, type RoundPacing } from "../core/rounds.js";
import { ACTIVE_LAUNCH_PHASES, type Backend } from "../core/types.js";
import { GitHubError } from "../github/errors.js";
import type { GitHubPort, RunnerScope } from "../github/github-port.js";
import type { Logger } from "../log/logger.js";
import type { Provider } from "../providers/provider.js";
import type { Queue } from "../queue/queue.js";
import { launchId, NO_JOB, VersionConflict, type JobRecord, type LaunchPatch, type LaunchRecord, type Store } from "../store/store.js";
import type { RunnerPlacement } from "./launcher.js";
import { lookUpJob } from "./job-refresh.js";
import { recentRepositories } from "./recent-repositories.js";
import { repoRefOf } from "./repo-ref.js";

export interface ReaperPolicy {
  /** A runner idle this long after its job went elsewhere is stopped. */
  readonly idleTimeoutMs: number;
  /** Repositories with a job received this recently have their runner registrations checked. */
  readonly recentActivityMs: number;
}

export const defaultReaperPolicy: ReaperPolicy = { idleTimeoutMs: 5 * 60_000, recentActivityMs: 3600_000 };

export interface ReaperDeps {
  readonly store: Store;
  /** A job whose record a look-up brought up to date gets a look (job-refresh.ts). */
  readonly queue: Pick<Queue, "enqueue">;
  readonly github: GitHubPort;
  readonly providers: ReadonlyMap<Backend, Provider>;
  readonly placement: RunnerPlacement;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy: ReaperPolicy;
  /** How often rounds come (reapInterval): the base interval after work, backing off when there is none. */
  readonly pacing?: RoundPacing;
}

export interface ReapResult {
  readonly stopped: number;
  readonly deregistered: number;
  /** Jobs GitHub was asked about and found no longer queued (their later webhooks were lost). */
  readonly refreshed: number;
}

/** Passes of look-ups a round may take: each adds facts (jobs, listings, look-ups by name, answers), four suffice. */
const MAX_PASSES = 8;

const GONE_REASON = "GitHub no longer knows this job (404): its idle runner was released";

// ---------------------------------------------------------------------------------------------------------------
// Launch rows as the reaper reads and writes them: the one place that knows how a launch's state is stored.

function heldRunnerOf(l: LaunchRecord): HeldRunner {
  return { launchId: l.id, jobId: l.jobId, runnerName: l.runnerName, launchedAt: l.launchedAt, taken: isTaken(l.outcome), handoff: l.handoffFrom !== null };
}

function isLive(l: LaunchRecord): boolean {
  return ACTIVE_LAUNCH_PHASES.includes(l.state);
}

function idleStopped(now: number): LaunchPatch {
  return { state: "stopped", stoppedAt: now, outcome: { kind: "idle", reason: "idle runner stopped: its job ran elsewhere" } };
}

// ---------------------------------------------------------------------------------------------------------------

/** A round's facts, filled in pass by pass (core/runners.ts reads them as RunnerFacts). */
interface Round extends RunnerFacts {
  readonly jobs: Map<number, RunnerJob | null>;
  readonly listings: Map<string, readonly RegisteredRunner[]>;
  readonly found: Map<string, RegisteredRunner | null>;
  readonly asked: Set<number>;
  readonly launchLive: Map<string, boolean>;
  readonly records: Map<number, JobRecord>;
  readonly launches: ReadonlyMap<string, LaunchRecord>;
  readonly scopes: Map<string, RunnerScope>;
  refreshed: number;
}

export class Reaper {
  /** How soon the next round should come, after the last one (core/rounds.ts). */
  readonly pace: Pace;

  constructor(private readonly deps: ReaperDeps) {
    this.pace = new Pace(deps.pacing ?? roundPacing(60_000));
  }

  async reap(): Promise<ReapResult> {
    const { clock, policy } = this.deps;
    const now = clock.now();
    const round = await this.load(now);
    let plan = classifyRunners(round, now, policy);
    for (let pass = 1; plan.looks.length > 0; pass++) {
      if (pass > MAX_PASSES) throw new Error(`reaper round still looking up facts after ${MAX_PASSES} passes: ${JSON.stringify(plan.looks.slice(0, 3))}`);
      for (const look of plan.looks) await this.lookUp(look, round);
      plan = classifyRunners(round, now, policy);
    }

    let stopped = 0;
    let deregistered = 0;
    for (const action of plan.actions) {
      if (action.kind === "release" && (await this.release(action, round, now))) stopped++;
      if (action.kind === "deregister" && (await this.deregister(this.scopeOf(round, action.scope), action.runner))) deregistered++;
    }
    const result = { stopped, deregistered, refreshed: round.refreshed };
    const found = stopped > 0 || deregistered > 0 || round.refreshed > 0 || runnersInDoubt(plan);
    const nextRoundInMs = this.pace.after(found, plan.idleFrom === null ? null : plan.idleFrom - now);
    if (stopped || deregistered || round.refreshed) this.deps.logger.info({ ...result, nextRoundInMs }, "reaper round");
    return result;
  }

  /** What every round starts from: launches holding a runner, jobs still queued, recently active repositories. */
  private async load(now: number): Promise<Round> {
    const { store, placement, policy } = this.deps;
    // A static pool runner (no job) is the pool manager's to keep or drain, never idle in the reaper's sense.
    const live = (await store.listLaunchesByState(["launched", "running"], 1000)).filter((l) => l.jobId !== NO_JOB);
    const scopes = new Map<string, RunnerScope>();
    const watched: string[] = [];
    for (const r of await recentRepositories(store, now, policy.recentActivityMs)) {
      watched.push(this.remember(scopes, { ...repoRefOf(r), scope: placement.scope }));
    }
    return {
      held: live.map(heldRunnerOf),
      queued: await this.queuedJobs(),
      watched,
      jobs: new Map(),
      listings: new Map(),
      found: new Map(),
      asked: new Set(),
      launchLive: new Map(),
      records: new Map(),
      launches: new Map(live.map((l) => [l.id, l])),
      scopes,
      refreshed: 0,
    };
  }

  private async lookUp(look: Look, round: Round): Promise<void> {
    const { store, github } = this.deps;
    switch (look.kind) {
      case "load-job": {
        const job = await store.getJob(look.jobId);
        this.know(round, look.jobId, job);
        return;
      }
      case "list-runners":
        round.listings.set(look.scope, await github.listRunners(this.scopeOf(round, look.scope)));
        return;
      case "find-runner":
        round.found.set(look.name, (await github.findRunner(this.scopeOf(round, look.scope), look.name)) ?? null);
        return;
      case "ask-about-job":
        return this.askAbout(look.jobId, round);
      case "load-launch": {
        const launch = await store.getLaunch(launchId(look.jobId, look.attempt));
        round.launchLive.set(look.runnerName, launch !== undefined && isLive(launch));
        return;
      }
    }
  }

  /** One GET brings a job's record up to date; a job found done, elsewhere or unknown frees its runner at once. */
  private async askAbout(jobId: number, round: Round): Promise<void> {
    round.asked.add(jobId);
    const job = round.records.get(jobId);
    if (!job) return;
    try {
      const answer = await lookUpJob(this.deps, job, GONE_REASON);
      this.know(round, jobId, answer.job);
      if (answer.status !== "queued") {
        this.deps.logger.warn({ jobId, status: answer.status }, "job's webhooks were lost: GitHub says it is no longer queued");
        round.refreshed++;
      }
    } catch (e) {
      // Written meanwhile (a webhook arrived): the stored record is newer than what was asked about.
      if (!(e instanceof VersionConflict)) throw e;
      this.know(round, jobId, await this.deps.store.getJob(jobId));
    }
  }

  private know(round: Round, jobId: number, job: JobRecord | undefined): void {
    if (job) round.records.set(jobId, job);
    round.jobs.set(jobId, job ? this.runnerJobOf(job, round) : null);
  }

  private runnerJobOf(job: JobRecord, round: Round): RunnerJob {
    const scope = this.remember(round.scopes, { ...repoRefOf(job), scope: this.deps.placement.scope });
    return { id: job.id, status: job.status, runnerName: job.runnerName, labels: job.labels, served: job.decision?.kind === "launch", scope };
  }

  private remember(scopes: Map<string, RunnerScope>, scope: RunnerScope): string {
    const key = scopeKey(scope.scope, scope.owner, scope.repo);
    if (!scopes.has(key)) scopes.set(key, scope);
    return key;
  }

  private scopeOf(round: Round, key: string): RunnerScope {
    const scope = round.scopes.get(key);
    if (!scope) throw new Error(`reaper: no runner scope known for ${key}`);
    return scope;
  }

  /** Deregisters the runner (unless GitHub says it just took a job), stops its task or build, records it stopped. */
  private async release(action: Extract<RunnerAction, { kind: "release" }>, round: Round, now: number): Promise<boolean> {
    const launch = round.launches.get(action.launchId);
    if (!launch) return false;
    if (action.runner && !(await this.deregister(this.scopeOf(round, action.scope), action.runner))) return false;
    const provider = this.deps.providers.get(launch.backend);
    if (action.forJob) {
      // Its job still waits: the tracker records the stop and wakes the job, which gets its next runner.
      if (provider && launch.providerId) await provider.stop({ backend: launch.backend, id: launch.providerId }, "standby handed a job never came online");
      this.deps.logger.warn({ jobId: action.jobId, attempt: launch.attempt, runnerName: launch.runnerName }, "handed-off standby never came online: stopped");
      return true;
    }
    if (provider && launch.providerId) await provider.stop({ backend: launch.backend, id: launch.providerId }, "idle: its job went to another runner");
    try {
      await this.deps.store.updateLaunch(launch.id, launch.version, idleStopped(now));
    } catch (e) {
      if (!(e instanceof VersionConflict)) throw e;
      // The tracker wrote meanwhile (most likely: the task stopped); record the idle stop unless it already ended.
      const current = await this.deps.store.getLaunch(launch.id);
      if (current && isLive(current)) await this.deps.store.updateLaunch(current.id, current.version, idleStopped(now));
    }
    this.deps.logger.info({ jobId: action.jobId, attempt: launch.attempt, runnerName: launch.runnerName }, "idle runner stopped");
    return true;
  }

  private async deregister(scope: RunnerScope, runner: RegisteredRunner): Promise<boolean> {
    try {
      await this.deps.github.deleteRunner(scope, runner.id);
      return true;
    } catch (e) {
      // 422: the runner took a job between the listing and the delete; leave it to finish.
      if (e instanceof GitHubError && e.kind === "invalid") return false;
      throw e;
    }
  }

  /** The jobs tornade still has queued and means to launch for: a runner with the same labels may yet serve one. */
  private async queuedJobs(): Promise<QueuedJob[]> {
    const out: QueuedJob[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.store.listJobs({ status: "queued", limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const j of page.jobs) if (j.decision?.kind === "launch") out.push({ id: j.id, labels: j.labels });
      cursor = page.cursor;
    } while (cursor);
    return out;
  }
}
