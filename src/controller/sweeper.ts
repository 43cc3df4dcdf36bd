/**
 * The sweeper: tornade does not trust any webhook to arrive. Each round it
 * 1. redelivers App webhook deliveries that failed (GitHub never retries them on its own, and keeps them
 *    redeliverable for 3 days: "Handling failed webhook deliveries") — which ones, in what order, is core/redelivery.ts;
 * 2. within an API budget, lists queued runs of repositories with recent activity and takes in any queued job GitHub
 *    has that tornade does not — so a job whose every webhook was lost still gets its runner (core/discovery.ts says
 *    which runs' jobs to list).
 * What it finds is taken in (takeIn) as a webhook is, so it is decided and stored exactly the same way. What it
 * remembers between rounds (the deliveries it follows, the runs it looked at, the log's watermark) is in the store:
 * a restart forgets nothing, and replicas share it.
 */
import type { Clock } from "../clock/clock.js";
import { atMost } from "../core/at-most.js";
import { defaultDiscoveryPolicy, runsToList, type LookedAtRun } from "../core/discovery.js";
import { defaultRedeliveryPolicy, emptyScan, nextWatermark, planRedelivery, scanPage, type FailedDelivery, type RedeliveryPolicy } from "../core/redelivery.js";
import { Pace, roundPacing, type RoundPacing } from "../core/rounds.js";
import { GitHubError } from "../github/errors.js";
import type { GitHubPort, WorkflowJob, WorkflowRun } from "../github/github-port.js";
import type { Logger } from "../log/logger.js";
import type { Store } from "../store/store.js";
import { recentRepositories, type RepositoryRef } from "./recent-repositories.js";
import type { TakeIn } from "./observations.js";
import { repoRefOf } from "./repo-ref.js";

export interface SweeperPolicy {
  /** How far back failed deliveries are looked for. */
  readonly deliveryLookbackMs: number;
  /** Most pages of the delivery log read per round (100 deliveries a page); a steady state needs about one. */
  readonly deliveryPages: number;
  /** GitHub calls per round spent finding queued jobs (one per repository's run list, one per run's jobs). */
  readonly discoveryBudget: number;
  /** Repositories with a job received this recently are searched. */
  readonly recentActivityMs: number;
  /** Queued jobs younger than this are left to their webhook, which is probably on its way. */
  readonly discoveryGraceMs: number;
  /** How many redeliveries a round asks for, how fast, and when to ask again. */
  readonly redelivery: RedeliveryPolicy;
}

/** Where the delivery watermark is kept across restarts. */
const WATERMARK_KEY = "sweeper:delivery-watermark";
/** GitHub's page size for run listings, as OctokitGitHub asks for it: how many calls a listing took. */
const RUNS_PER_PAGE = 100;

export const defaultSweeperPolicy: SweeperPolicy = {
  deliveryLookbackMs: 2 * 3600_000,
  deliveryPages: 20,
  discoveryBudget: 10,
  recentActivityMs: 3600_000,
  discoveryGraceMs: 60_000,
  redelivery: defaultRedeliveryPolicy,
};

export interface SweeperDeps {
  readonly store: Store;
  readonly github: GitHubPort;
  readonly takeIn: TakeIn;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy: SweeperPolicy;
  /** How often rounds come: the base interval after a round that found work, backing off while they find none. */
  readonly pacing?: RoundPacing;
}

export interface SweepResult {
  readonly redelivered: number;
  readonly discovered: number;
  readonly githubCalls: number;
}

interface PartResult {
  readonly count: number;
  readonly calls: number;
  /** Work left for the next round (redeliveries beyond a round's share), or the part failed: come back soon. */
  readonly left?: boolean;
  /** When a redelivery falls due to be asked again. */
  readonly dueAt?: number | null;
}

export class Sweeper {
  /** How soon the next round should come, after the last one (core/rounds.ts). */
  readonly pace: Pace;

  constructor(private readonly deps: SweeperDeps) {
    this.pace = new Pace(deps.pacing ?? roundPacing(60_000));
  }

  async sweep(): Promise<SweepResult> {
    const now = this.deps.clock.now();
    const a = await this.redeliverFailed(now).catch((e: unknown) => this.failed("redelivery", e));
    const b = await this.discoverQueued(now).catch((e: unknown) => this.failed("discovery", e));
    const result = { redelivered: a.count, discovered: b.count, githubCalls: a.calls + b.calls };
    const found = a.count > 0 || b.count > 0 || a.left === true || b.left === true;
    const nextRoundInMs = this.pace.after(found, a.dueAt == null ? null : a.dueAt - now);
    // One line a round: an operator sees the sweeper at work (and what it costs) without waiting for a loss.
    this.deps.logger.info({ ...result, nextRoundInMs }, "sweeper round");
    return result;
  }

  private failed(what: string, e: unknown): PartResult {
    this.deps.logger.warn({ err: e instanceof Error ? e.message : String(e) }, `sweeper ${what} failed; next round retries`);
    return { count: 0, calls: 0, left: true };
  }

  /**
   * Reads the delivery log down to the watermark (or the lookback horizon), follows what failed, and redelivers what
   * the plan says is due this round.
   */
  private async redeliverFailed(now: number): Promise<PartResult> {
    const { github, store, policy } = this.deps;
    const watermark = Number((await store.getMeta(WATERMARK_KEY)) ?? 0) || 0;
    let scan = emptyScan();
    let cursor: string | undefined;
    let calls = 0;
    for (let page = 0; page < policy.deliveryPages && !scan.complete; page++) {
      const res = await github.listWebhookDeliveries({ perPage: 100, ...(cursor ? { cursor } : {}) });
      calls++;
      scan = scanPage(scan, res.deliveries, { watermark, horizon: now - policy.deliveryLookbackMs, last: !res.nextCursor });
      cursor = res.nextCursor;
    }
    const plan = planRedelivery(scan, await store.listFailedDeliveries(), now, policy.redelivery);
    // Followed before the watermark moves past them: a crash in between costs a page read again, never a failure lost.
    await store.followFailedDeliveries(plan.follow);
    const moved = nextWatermark(scan, watermark);
    if (moved > watermark) await store.putMeta(WATERMARK_KEY, String(moved));
    await store.forgetFailedDeliveries(plan.forget);

    let count = 0;
    await atMost(policy.redelivery.concurrency, plan.due, async (d) => {
      const asked = await this.redeliver(d, now);
      if (asked !== "skipped") calls++;
      if (asked === "asked") count++;
    });
    if (count > 0) this.deps.logger.info({ count, left: plan.deferred }, "failed webhook deliveries redelivered");
    return { count, calls, left: plan.deferred > 0, dueAt: plan.nextDueAt };
  }

  /** Asks GitHub to redeliver one delivery, unless it needs none or another replica asked first. */
  private async redeliver(d: FailedDelivery, now: number): Promise<"asked" | "refused" | "skipped"> {
    const { github, store } = this.deps;
    // Stored means tornade took it in and only the answer was lost (a crash after the commit).
    if (await store.getDelivery(d.guid)) {
      await store.forgetFailedDeliveries([d.guid]);
      return "skipped";
    }
    if (!(await store.claimRedelivery(d.guid, d.attempts, d.deliveryId, now))) return "skipped";
    try {
      await github.redeliver(d.deliveryId);
      return "asked";
    } catch (e) {
      // GitHub will never redeliver it (past its 3 days, or refused): following it further would only fail again.
      if (!(e instanceof GitHubError && (e.kind === "not-found" || e.kind === "invalid"))) throw e;
      this.deps.logger.warn({ guid: d.guid, deliveryId: d.deliveryId, err: e.message }, "GitHub refused to redeliver a failed delivery; no longer followed");
      await store.forgetFailedDeliveries([d.guid]);
      return "refused";
    }
  }

  /**
   * Queued jobs GitHub has and tornade does not, in recently active repositories, within the call budget. A few pages
   * of runs are read (a quarter of the budget, at least one call, for each of the two run listings), and the runs
   * core/discovery.ts puts first get the job listings the budget allows.
   */
  private async discoverQueued(now: number): Promise<PartResult> {
    const { store, policy } = this.deps;
    const spent = { count: 0, calls: 0 };
    for (const repo of await recentRepositories(store, now, policy.recentActivityMs)) {
      if (spent.calls >= policy.discoveryBudget) break;
      await this.discoverIn(repo, now, spent);
    }
    return spent;
  }

  private async discoverIn(repo: RepositoryRef, now: number, spent: { count: number; calls: number }): Promise<void> {
    const { github, store, policy } = this.deps;
    const ref = repoRefOf(repo);
    const pages = Math.max(1, Math.floor(policy.discoveryBudget / 4));
    // A run with one job started is "in_progress" while its other jobs may still wait: both lists are searched.
    const listed = new Map<number, WorkflowRun>();
    for (const status of ["queued", "in_progress"] as const) {
      if (spent.calls >= policy.discoveryBudget) return;
      const maxPages = Math.min(pages, policy.discoveryBudget - spent.calls);
      let runs: WorkflowRun[];
      try {
        runs = await github.listQueuedRuns(ref, { maxPages, status });
      } catch (e) {
        if (e instanceof GitHubError && e.kind === "not-found") break;
        throw e;
      }
      spent.calls += Math.min(maxPages, Math.max(1, Math.ceil(runs.length / RUNS_PER_PAGE)));
      for (const run of runs) listed.set(run.id, run);
    }
    if (listed.size === 0) return;

    const repository = `${repo.owner}/${repo.repo}`.toLowerCase();
    const discovery = { ...defaultDiscoveryPolicy, graceMs: policy.discoveryGraceMs };
    const memory = new Map((await store.lookedAtRuns(repository, now - discovery.forgetMs)).map((r) => [r.runId, r]));
    const looked: LookedAtRun[] = [];
    try {
      for (const runId of runsToList([...listed.values()], memory, now, discovery)) {
        if (spent.calls >= policy.discoveryBudget) break;
        const run = listed.get(runId);
        if (!run) continue;
        const jobs = await github.listRunJobs(ref, run.id);
        spent.calls++;
        looked.push({ runId, lookedAt: now, settled: await this.takeInUnknown(jobs, run, repo, now, spent) });
      }
    } finally {
      if (looked.length > 0) await store.rememberRuns(repository, looked, discovery.forgetMs);
    }
  }

  /** Takes in the run's queued jobs tornade does not know; true when every queued job of the run is known now. */
  private async takeInUnknown(
    jobs: readonly WorkflowJob[],
    run: WorkflowRun,
    repo: RepositoryRef,
    now: number,
    spent: { count: number },
  ): Promise<boolean> {
    let settled = true;
    for (const job of jobs) {
      if (job.status !== "queued") continue;
      if (job.createdAt !== undefined && now - job.createdAt < this.deps.policy.discoveryGraceMs) {
        settled = false;
        continue;
      }
      if (await this.deps.store.getJob(job.id)) continue;
      const outcome = await this.deps.takeIn({ kind: "look-up", source: "sweeper", job, run, installationId: repo.installationId });
      // A job tornade serves (or refuses visibly) was found; one that is not tornade's is only counted.
      if (outcome.kind === "taken-in") {
        spent.count++;
        this.deps.logger.warn({ jobId: job.id, runId: run.id, repository: run.repository.fullName }, "queued job found without its webhook");
      }
    }
    return settled;
  }
}
