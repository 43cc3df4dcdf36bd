/**
 * Scale-set mode in `tornade serve` (docs/scale-sets.md): one listener per configured scale set (scale-set-listener.ts)
 * and a statistics round. The listeners take jobs in; the reconciler starts each stored job's runner through the
 * launch path every job takes. This round covers what no stored job explains: it reads each held scale set's
 * statistics (one GET) and, with what is stored, asks core/scale-set.ts planScaleSet for spare runners — the minimum
 * kept idle, and a runner for each assigned job whose message was lost — counted only once the listener has caught up
 * with its queue, and less the jobs it has just acquired (their messages follow). So a lost message costs nothing,
 * and a late one no runner. Spares beyond
 * what the statistics ask for are retired when idle (retireIdleSpares), as GitHub's own listener scales down.
 */
import type { Clock } from "../clock/clock.js";
import { NO_JOB, type Store } from "../store/store.js";
import { isScaleSetJob, parseSpareRunnerName, planScaleSet, spareRunnerName, type ScaleSetCounts } from "../core/scale-set.js";
import { ACTIVE_LAUNCH_PHASES } from "../core/types.js";
import type { ScaleSetClient, ScaleSetStatistics } from "../github/scaleset/index.js";
import type { Logger } from "../log/logger.js";
import type { Launcher, RunnerStart } from "./launcher.js";
import { ScaleSetListener } from "./scale-set-listener.js";
import type { ScaleSetRunnerSource } from "./scale-set-runners.js";
import type { ScaleSetSetup, ScaleSetTarget } from "./scale-set-setup.js";
import type { TakeIn } from "./observations.js";

export interface ScaleSetsDeps {
  readonly setup: ScaleSetSetup;
  readonly client: Pick<ScaleSetClient, "ensureScaleSet" | "openSession" | "scaleSet">;
  readonly runners: ScaleSetRunnerSource;
  readonly takeIn: TakeIn;
  readonly store: Pick<Store, "acquireLease" | "releaseLease" | "listLaunchesByState" | "getJob" | "listJobs">;
  readonly launcher: Pick<Launcher, "start" | "stopUnregistered">;
  readonly holder: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * How long statistics may count more assigned jobs than are stored before spare runners start for them: longer
   * than a message takes to follow the statistics that announced it. Default: two statistics rounds.
   */
  readonly graceMs?: number;
}

/** More than the active launch rows there can be. */
const ROW_LIMIT = 10_000;

export class ScaleSets {
  readonly listeners: readonly ScaleSetListener[];
  private readonly latest = new Map<string, ScaleSetStatistics>();
  private readonly shortSince = new Map<string, number | null>();
  private lastN = 0;
  /** Spare rows (id → scale set) whose task was told to stop, until their rows close: already retired. */
  private readonly retiring = new Map<string, string>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: ScaleSetsDeps) {
    const { setup } = deps;
    this.listeners = setup.targets.map(
      (target) =>
        new ScaleSetListener({
          client: deps.client,
          target,
          runnerGroup: setup.runnerGroup,
          installationId: setup.scope.installationId,
          takeIn: deps.takeIn,
          leases: deps.store,
          holder: deps.holder,
          leaseMs: setup.leaseMs,
          clock: deps.clock,
          logger: deps.logger.child({ component: "scale-set" }),
          found: (name, id) => deps.runners.known(name, id),
          statistics: (name, stats) => {
            this.latest.set(name, stats);
            void this.plan(target).catch((e: unknown) => deps.logger.warn({ scaleSet: name, err: String(e) }, "scale set plan failed"));
          },
        }),
    );
  }

  start(): void {
    for (const l of this.listeners) l.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.stop()));
    await this.chain;
  }

  /** One statistics round: each scale set this replica listens to, its statistics read, its spares planned. */
  async tick(): Promise<void> {
    for (const listener of this.listeners) {
      const id = listener.scaleSetId;
      const target = this.deps.setup.targets.find((t) => t.name === listener.name);
      if (!listener.holding || id === undefined || !target) continue;
      const stats = (await this.deps.client.scaleSet(id)).statistics;
      if (stats) this.latest.set(target.name, stats);
      await this.plan(target);
    }
  }

  /** Spare runners for one scale set, from its latest statistics and what is stored; plans never overlap. */
  private plan(target: ScaleSetTarget): Promise<unknown> {
    const next = this.chain.then(() => this.planNow(target));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async planNow(target: ScaleSetTarget): Promise<void> {
    const stats = this.latest.get(target.name);
    if (!stats) return;
    const now = this.deps.clock.now();
    const graceMs = this.deps.graceMs ?? 2 * this.deps.setup.intervalMs;
    const listener = this.listeners.find((l) => l.name === target.name);
    const counts = await this.counts(target, stats.totalAssignedJobs, listener?.awaitingSince(now - graceMs) ?? 0);
    const plan = planScaleSet(counts, target, this.shortSince.get(target.name) ?? null, now, graceMs, listener?.caughtUp ?? false);
    this.shortSince.set(target.name, plan.shortSince);
    if (plan.start === 0) {
      const excess = counts.runners + counts.starting - plan.target;
      if (excess > 0) await this.retireIdleSpares(target, excess);
      return;
    }
    this.deps.logger.info({ scaleSet: target.name, ...counts, target: plan.target, start: plan.start }, plan.reason);
    for (let i = 0; i < plan.start; i++) {
      const outcome = await this.deps.launcher.start(this.spareStart(target));
      if (outcome.kind !== "launched") {
        this.deps.logger.warn({ scaleSet: target.name, outcome: outcome.kind, ...("reason" in outcome ? { reason: outcome.reason } : {}) }, "spare runner not started");
        return;
      }
    }
  }

  /**
   * Spare runners beyond what the statistics ask for would idle for ever: started for jobs whose messages were only
   * late (a session lost for a while, a restart) and that their own runners then served, or for jobs cancelled since.
   * Until `excess` of this scale set's runners are retired (those told to stop before, still stopping, included),
   * spares that are up are removed from the scale set and their tasks stopped; one
   * the service says is busy runs a job and is left alone. Found by the chaos run with --intake scale-set: after a
   * SIGKILL, spares started for the jobs whose messages waited out the dead session were left running.
   */
  private async retireIdleSpares(target: ScaleSetTarget, excess: number): Promise<void> {
    const active = await this.deps.store.listLaunchesByState(ACTIVE_LAUNCH_PHASES, ROW_LIMIT);
    const ids = new Set(active.map((l) => l.id));
    for (const id of [...this.retiring.keys()]) if (!ids.has(id)) this.retiring.delete(id);
    const spares = active.filter((l) => l.state === "running" && l.jobId === NO_JOB && !this.retiring.has(l.id) && parseSpareRunnerName(l.runnerName)?.scaleSet === target.name);
    let retired = [...this.retiring.values()].filter((name) => name === target.name).length;
    for (const row of spares) {
      if (retired >= excess) break;
      if ((await this.deps.runners.removeByName(row.runnerName)) === "busy") continue;
      await this.deps.launcher.stopUnregistered(row, "spare runner no longer needed");
      this.retiring.set(row.id, target.name);
      retired++;
      this.deps.logger.info({ scaleSet: target.name, runner: row.runnerName }, "idle spare runner retired");
    }
  }

  /** The scale set's runners as stored: active launch rows of its jobs and its spares, and its queued jobs without one. */
  private async counts(target: ScaleSetTarget, assigned: number, awaiting: number): Promise<ScaleSetCounts> {
    const { store } = this.deps;
    const ofSet = async (jobId: number) => {
      const job = await store.getJob(jobId);
      return job?.decision?.kind === "launch" && job.decision.scaleSet === target.name;
    };
    let runners = 0;
    const served = new Set<number>();
    for (const l of await store.listLaunchesByState(ACTIVE_LAUNCH_PHASES, ROW_LIMIT)) {
      if (l.jobId === NO_JOB) {
        if (parseSpareRunnerName(l.runnerName)?.scaleSet === target.name) runners++;
      } else if (isScaleSetJob(l.jobId) && (served.has(l.jobId) || (await ofSet(l.jobId)))) {
        runners++;
        served.add(l.jobId);
      }
    }
    const queued = await store.listJobs({ status: "queued", limit: 1000 });
    const starting = queued.jobs.filter((j) => isScaleSetJob(j.id) && !served.has(j.id) && j.decision?.kind === "launch" && j.decision.scaleSet === target.name).length;
    return { assigned, runners, starting, awaiting };
  }

  /** A spare runner as the launcher starts it: for no job, registered through its scale set. */
  private spareStart(target: ScaleSetTarget): RunnerStart {
    // Unique and growing with the clock, so a restarted controller does not reuse one. The name carries the row's
    // number, so the reconciler finds a spare's row from the runner name a job reports (reconciler.ts ranOn).
    this.lastN = Math.max(this.lastN + 1, this.deps.clock.now());
    const name = spareRunnerName(target.name, this.lastN);
    const scope = this.deps.setup.scope;
    return {
      waiter: `scale-set:${target.name}`,
      row: { jobId: NO_JOB, attempt: this.lastN },
      runnerName: name,
      spec: target.spec,
      registration: { scaleSet: target.name },
      idempotencyKey: name,
      serves: { jobId: 0, runId: 0, repository: scope.repo ? `${scope.owner}/${scope.repo}` : scope.owner },
    };
  }
}
