/**
 * The sweeper: tornade does not trust any webhook to arrive. Each round it
 * 1. redelivers App webhook deliveries that failed (GitHub never retries them on its own, and keeps them
 *    redeliverable for 3 days: "Handling failed webhook deliveries"), and
 * 2. within an API budget, lists queued runs of repositories with recent activity and takes in any queued job GitHub
 *    has that tornade does not — so a job whose every webhook was lost still gets its runner.
 * What it finds goes through the same receiver as a webhook, so it is decided and stored exactly the same way.
 */
import type { Clock } from "../clock/clock.js";
import { GitHubError } from "../github/errors.js";
import type { GitHubPort, WorkflowRun } from "../github/github-port.js";
import type { Logger } from "../log/logger.js";
import type { WebhookReceiver } from "../server/app.js";
import type { Store } from "../store/store.js";
import { recentRepositories } from "./recent-repositories.js";
import { syntheticDelivery } from "./synthetic-delivery.js";
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
}

/** A redelivery not seen to succeed after this long is asked for again. */
const REDELIVERY_RETRY_MS = 5 * 60_000;
/** How long a run found complete (no unknown queued job) is left alone before the sweeper lists its jobs again. */
const RUN_RECHECK_MS = 5 * 60_000;
/** Where the delivery watermark is kept across restarts. */
const WATERMARK_KEY = "sweeper:delivery-watermark";
/**
 * Redeliveries asked for in one round: under GitHub's secondary limit of 900 points a minute on one endpoint at 5
 * points a POST ("Rate limits for the REST API"), with room for a retry.
 */
const REDELIVERIES_PER_ROUND = 150;
/** Redeliveries in flight at once: a backlog after a restart goes out in seconds, not one round trip at a time. */
const REDELIVERY_CONCURRENCY = 8;

/** A failed delivery to redeliver: its latest attempt's id, its action, and when it was found. */
interface Candidate {
  readonly id: number;
  readonly action: string | null;
  readonly at: number;
}

/** Redelivery order: a `queued` delivery (a job waiting for a runner) before any other. */
function rank(c: Candidate): number {
  return c.action === "queued" ? 0 : 1;
}

/** Runs `fn` over `items`, at most `width` at a time. */
async function inBatches<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** Runs not listed for this long are forgotten (a run that long finished is not listed any more). */
const RUN_FORGET_MS = 24 * 3600_000;
/** GitHub's page size for run listings, as OctokitGitHub asks for it: how many calls a listing took. */
const RUNS_PER_PAGE = 100;
/** GitHub keeps a delivery redeliverable for 3 days ("Redelivering webhooks"). */
const DELIVERY_RETENTION_MS = 3 * 24 * 3600_000;

export const defaultSweeperPolicy: SweeperPolicy = {
  deliveryLookbackMs: 2 * 3600_000,
  deliveryPages: 20,
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
  /** The newest delivery id a complete scan of the log has seen: older ones were looked at already. */
  private watermark = 0;
  private watermarkLoaded = false;
  /** Failed deliveries found but not yet redelivered: a round asks for at most REDELIVERIES_PER_ROUND. */
  private readonly backlog = new Map<string, Candidate>();
  /** Runs whose queued jobs were all known when last listed, by run id: not listed again for RUN_RECHECK_MS. */
  private readonly checkedRuns = new Map<number, number>();
  /** When each run's jobs were last listed: the least recently looked at go first. */
  private readonly lookedAt = new Map<number, number>();
  /** Deliveries redelivered and not yet seen to succeed, by GUID: the attempt to redeliver and when it was asked. */
  private readonly pending = new Map<string, { id: number; at: number }>();

  constructor(private readonly deps: SweeperDeps) {}

  async sweep(): Promise<SweepResult> {
    const a = await this.redeliverFailed().catch((e: unknown) => this.failed("redelivery", e));
    const b = await this.discoverQueued().catch((e: unknown) => this.failed("discovery", e));
    const result = { redelivered: a.count, discovered: b.count, githubCalls: a.calls + b.calls };
    // One line a round: an operator sees the sweeper at work (and what it costs) without waiting for a loss.
    this.deps.logger.info(result, "sweeper round");
    return result;
  }

  private failed(what: string, e: unknown): { count: number; calls: number } {
    this.deps.logger.warn({ err: e instanceof Error ? e.message : String(e) }, `sweeper ${what} failed; next round retries`);
    return { count: 0, calls: 0 };
  }

  /**
   * Redelivers each workflow_job delivery none of whose attempts succeeded and that tornade has not stored.
   * The log is read newest first down to the newest delivery a previous complete scan saw (or the lookback horizon,
   * after a start), so a steady state costs about one page a round. A redelivery that fails again (tornade down
   * again) is asked for again after REDELIVERY_RETRY_MS, whether or not the scan reaches it.
   */
  private async redeliverFailed(): Promise<{ count: number; calls: number }> {
    const { github, store, clock, policy } = this.deps;
    const now = clock.now();
    const horizon = now - policy.deliveryLookbackMs;
    if (!this.watermarkLoaded) {
      // Kept in the store, so a restarted controller reads only what came since (its downtime's failures among it)
      // rather than the whole lookback, which in a busy hour is more than a round's pages.
      this.watermark = Math.max(this.watermark, Number((await store.getMeta(WATERMARK_KEY)) ?? 0) || 0);
      this.watermarkLoaded = true;
    }
    const attempts = new Map<string, { ok: boolean; latestId: number; event: string; action: string | null }>();
    let cursor: string | undefined;
    let calls = 0;
    let complete = false;
    let newest = this.watermark;
    for (let page = 0; page < policy.deliveryPages && !complete; page++) {
      const res = await github.listWebhookDeliveries({ perPage: 100, ...(cursor ? { cursor } : {}) });
      calls++;
      for (const d of res.deliveries) {
        if (d.id <= this.watermark || (d.deliveredAt !== undefined && d.deliveredAt < horizon)) {
          complete = true;
          continue;
        }
        newest = Math.max(newest, d.id);
        const seen = attempts.get(d.guid);
        const ok = d.statusCode >= 200 && d.statusCode < 300;
        attempts.set(d.guid, { ok: ok || (seen?.ok ?? false), latestId: Math.max(d.id, seen?.latestId ?? 0), event: d.event, action: d.action });
      }
      cursor = res.nextCursor;
      if (!cursor) complete = true;
    }
    if (complete && newest > this.watermark) {
      this.watermark = newest;
      await store.putMeta(WATERMARK_KEY, String(newest));
    }

    const candidates = new Map<string, Candidate>();
    for (const [guid, a] of attempts) {
      if (a.ok) {
        this.pending.delete(guid);
        this.backlog.delete(guid);
      } else if (a.event === "workflow_job" && !this.pending.has(guid)) candidates.set(guid, { id: a.latestId, action: a.action, at: now });
    }
    // Found in an earlier round but left for later: the scan (past the watermark now) will not show them again.
    for (const [guid, c] of this.backlog) {
      if (now - c.at > DELIVERY_RETENTION_MS) this.backlog.delete(guid);
      else if (!candidates.has(guid)) candidates.set(guid, c);
    }
    for (const [guid, p] of this.pending) {
      if (now - p.at > DELIVERY_RETENTION_MS) this.pending.delete(guid);
      else if (now - p.at >= REDELIVERY_RETRY_MS && !attempts.get(guid)?.ok) {
        candidates.set(guid, { id: Math.max(p.id, attempts.get(guid)?.latestId ?? 0), action: attempts.get(guid)?.action ?? null, at: now });
      }
    }
    // `queued` first (a job waiting for its runner), newest first; a round asks for at most what GitHub's limit on one
    // endpoint allows in a minute, a few at a time, and leaves the rest to the next round.
    const due: { guid: string; id: number }[] = [];
    for (const [guid, c] of [...candidates].sort(([, a], [, b]) => rank(a) - rank(b) || b.id - a.id)) {
      if (due.length >= REDELIVERIES_PER_ROUND) {
        this.backlog.set(guid, c);
        continue;
      }
      this.backlog.delete(guid);
      // Stored means tornade took it in and only the answer was lost (a crash after the commit).
      if (await store.getDelivery(guid)) this.pending.delete(guid);
      else due.push({ guid, id: c.id });
    }
    await inBatches(due, REDELIVERY_CONCURRENCY, async ({ guid, id }) => {
      await github.redeliver(id);
      this.pending.set(guid, { id, at: now });
    });
    calls += due.length;
    if (due.length > 0) this.deps.logger.info({ count: due.length, left: this.backlog.size }, "failed webhook deliveries redelivered");
    return { count: due.length, calls };
  }

  /**
   * Queued jobs GitHub has and tornade does not, in recently active repositories, within the call budget. GitHub lists
   * runs newest first, so a run that falls off the first page while a burst goes on would wait for the burst to end:
   * a few pages are read, and the runs looked at least recently (then the oldest) get the job listings the budget
   * allows, so every active run has its turn.
   */
  private async discoverQueued(): Promise<{ count: number; calls: number }> {
    const { github, store, clock, policy } = this.deps;
    const now = clock.now();
    let calls = 0;
    let count = 0;
    for (const [runId, at] of this.checkedRuns) if (now - at > RUN_RECHECK_MS) this.checkedRuns.delete(runId);
    for (const [runId, at] of this.lookedAt) if (now - at > RUN_FORGET_MS) this.lookedAt.delete(runId);
    // A quarter of the budget, at least one call, for each of the two run listings.
    const pages = Math.max(1, Math.floor(policy.discoveryBudget / 4));
    for (const repo of await recentRepositories(store, now, policy.recentActivityMs)) {
      const ref = repoRefOf(repo);
      // A run with one job started is "in_progress" while its other jobs may still wait: both lists are searched.
      const listed = new Map<number, WorkflowRun>();
      for (const status of ["queued", "in_progress"] as const) {
        if (calls >= policy.discoveryBudget) return { count, calls };
        const maxPages = Math.min(pages, policy.discoveryBudget - calls);
        let runs: WorkflowRun[];
        try {
          runs = await github.listQueuedRuns(ref, { maxPages, status });
        } catch (e) {
          if (e instanceof GitHubError && e.kind === "not-found") break;
          throw e;
        }
        calls += Math.min(maxPages, Math.max(1, Math.ceil(runs.length / RUNS_PER_PAGE)));
        for (const run of runs) listed.set(run.id, run);
      }
      const due = [...listed.values()]
        .filter((run) => !this.checkedRuns.has(run.id) && !(run.createdAt !== undefined && now - run.createdAt < policy.discoveryGraceMs))
        .sort((a, b) => (this.lookedAt.get(a.id) ?? 0) - (this.lookedAt.get(b.id) ?? 0) || (a.createdAt ?? 0) - (b.createdAt ?? 0));
      for (const run of due) {
        if (calls >= policy.discoveryBudget) return { count, calls };
        const jobs = await github.listRunJobs(ref, run.id);
        calls++;
        this.lookedAt.set(run.id, now);
        let settled = true;
        for (const job of jobs) {
          if (job.status !== "queued") continue;
          if (job.createdAt !== undefined && now - job.createdAt < policy.discoveryGraceMs) {
            settled = false;
            continue;
          }
          if (await store.getJob(job.id)) continue;
          const answer = await this.deps.receiver.receive(syntheticDelivery("sweeper", job, run, repo.installationId));
          if (answer.status === 202) {
            count++;
            this.deps.logger.warn({ jobId: job.id, runId: run.id, repository: run.repository.fullName }, "queued job found without its webhook");
          }
        }
        // Every queued job of this run is known: no need to list it again for a while.
        if (settled) this.checkedRuns.set(run.id, now);
      }
    }
    return { count, calls };
  }
}
