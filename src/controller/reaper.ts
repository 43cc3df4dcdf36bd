/**
 * The reaper: after a burst, nothing of tornade's may be left running or registered. Each round it
 * - stops runners that are idle with nothing to do: launched for a job that has since completed or started on
 *   another runner, online but not busy, and with no queued job in the store they could take (identical labels);
 *   they are deregistered first and stopped only if GitHub let go of them — never a busy one;
 * - asks GitHub about a job still believed queued whose runner is up and idle long after launch (its later webhooks
 *   were lost), so that runner is not kept forever;
 * - removes runner registrations nobody will use: offline, named like tornade's, with no live launch behind them
 *   (left by a launch interrupted between the JIT config and the provider's answer).
 */
import type { Clock } from "../clock/clock.js";
import type { Backend } from "../core/types.js";
import { GitHubError } from "../github/errors.js";
import type { GitHubPort, Runner, RunnerScope } from "../github/github-port.js";
import type { Logger } from "../log/logger.js";
import type { Provider } from "../providers/provider.js";
import { launchId, type JobRecord, type LaunchRecord, type Store } from "../store/store.js";
import { isTaken } from "../core/launch-outcome.js";
import { parseRunnerName } from "../core/reconcile.js";
import type { RunnerPlacement } from "./launcher.js";
import { refreshJob } from "./job-refresh.js";
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
  readonly github: GitHubPort;
  readonly providers: ReadonlyMap<Backend, Provider>;
  readonly placement: RunnerPlacement;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy: ReaperPolicy;
}

const LIVE: readonly string[] = ["requested", "launched", "running"];

export class Reaper {
  constructor(private readonly deps: ReaperDeps) {}

  async reap(): Promise<{ stopped: number; deregistered: number; refreshed: number }> {
    const { store, clock, policy } = this.deps;
    const now = clock.now();
    const live = await store.listLaunchesByState(["launched", "running"], 1000);
    const queuedLabels = await this.queuedLabelSets();
    const jobs = new Map<number, JobRecord | undefined>();
    const jobOf = async (id: number) => (jobs.has(id) ? jobs.get(id) : (jobs.set(id, await store.getJob(id)), jobs.get(id)));

    // Idle candidates: their own job no longer needs them and no queued job could use them.
    const idle: { launch: LaunchRecord; job: JobRecord }[] = [];
    // Runners whose job tornade still believes queued, long after launch: if GitHub shows them up and idle, that belief
    // is stale (the job's later webhooks were lost) and would keep them — and every runner with the same labels — alive.
    const doubtful: { launch: LaunchRecord; job: JobRecord }[] = [];
    for (const l of live) {
      // A runner taken by another job (a sibling's, or one tornade refuses) is running it and exits when it is done.
      if (l.launchedAt === null || now - l.launchedAt < policy.idleTimeoutMs || isTaken(l.outcome)) continue;
      const job = await jobOf(l.jobId);
      if (!job) continue;
      // Its job went to another runner (or was cancelled before any). A runner that ran its own job exits by itself:
      // it is never idle, even while the tracker has not yet seen its task stop.
      const jobGone = (job.status === "completed" || job.status === "in_progress") && job.runnerName !== l.runnerName;
      if (!jobGone && job.status === "queued" && job.runnerName === null) doubtful.push({ launch: l, job });
      if (!jobGone || queuedLabels.has(labelKey(job.labels))) continue;
      idle.push({ launch: l, job });
    }

    let stopped = 0;
    let deregistered = 0;
    // One runner listing per repository (or organization) per round.
    const listed = new Map<string, { scope: RunnerScope; runners: Runner[] }>();
    const runnersOf = async (scope: RunnerScope) => {
      const key = scope.scope === "org" ? `org:${scope.owner}` : `repo:${scope.owner}/${scope.repo}`;
      let entry = listed.get(key);
      if (!entry) listed.set(key, (entry = { scope, runners: await this.deps.github.listRunners(scope) }));
      return entry.runners;
    };

    for (const { launch, job } of idle) {
      const scope = this.scope(job);
      // Missing from a listing is not gone: GitHub pages by offset, so a runner is skipped when others are removed
      // between pages — and one that just took a sibling's job must never be stopped. One GET by name settles it.
      const runner = (await runnersOf(scope)).find((r) => r.name === launch.runnerName) ?? (await this.deps.github.findRunner(scope, launch.runnerName));
      if (runner?.busy) continue;
      if (runner && !(await this.deregister(scope, runner))) continue;
      const provider = this.deps.providers.get(launch.backend);
      if (provider && launch.providerId) await provider.stop({ backend: launch.backend, id: launch.providerId }, "idle: its job went to another runner");
      await store.updateLaunch(launch.id, launch.version, { state: "stopped", stoppedAt: now, outcome: { kind: "idle", reason: "idle runner stopped: its job ran elsewhere" } });
      this.deps.logger.info({ jobId: job.id, attempt: launch.attempt, runnerName: launch.runnerName }, "idle runner stopped");
      stopped++;
    }

    // One GET per doubtful job brings its record up to date; a job found gone elsewhere frees its runner next round.
    let refreshed = 0;
    for (const { launch, job } of doubtful) {
      const runner = (await runnersOf(this.scope(job))).find((r) => r.name === launch.runnerName);
      if (runner?.status !== "online" || runner.busy) continue;
      const status = await refreshJob(this.deps, job);
      if (status !== "queued") {
        this.deps.logger.warn({ jobId: job.id, status }, "job's webhooks were lost: GitHub says it is no longer queued");
        refreshed++;
      }
    }

    // Orphan registrations, in the scopes looked at this round plus those of recently active repositories.
    for (const r of await recentRepositories(store, now, policy.recentActivityMs)) {
      await runnersOf({ ...repoRefOf(r), scope: this.deps.placement.scope });
    }
    for (const { scope, runners } of listed.values()) {
      for (const r of runners) {
        const ours = parseRunnerName(r.name);
        if (!ours || r.status !== "offline" || r.busy) continue;
        const launch = await store.getLaunch(launchId(ours.jobId, ours.attempt));
        if (launch && LIVE.includes(launch.state)) continue;
        if (await this.deregister(scope, r)) deregistered++;
      }
    }
    if (stopped || deregistered || refreshed) this.deps.logger.info({ stopped, deregistered, refreshed }, "reaper round");
    return { stopped, deregistered, refreshed };
  }

  private scope(job: JobRecord): RunnerScope {
    return { ...repoRefOf(job), scope: this.deps.placement.scope };
  }

  private async deregister(scope: RunnerScope, runner: Runner): Promise<boolean> {
    try {
      await this.deps.github.deleteRunner(scope, runner.id);
      return true;
    } catch (e) {
      // 422: the runner took a job between the listing and the delete; leave it to finish.
      if (e instanceof GitHubError && e.kind === "invalid") return false;
      throw e;
    }
  }

  /** Label sets of the jobs tornade still has queued: a runner with the same labels may yet serve one. */
  private async queuedLabelSets(): Promise<Set<string>> {
    const out = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.deps.store.listJobs({ status: "queued", limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const j of page.jobs) if (j.decision?.kind === "launch") out.add(labelKey(j.labels));
      cursor = page.cursor;
    } while (cursor);
    return out;
  }
}

function labelKey(labels: readonly string[]): string {
  return labels.map((l) => l.toLowerCase()).sort().join("\n");
}
