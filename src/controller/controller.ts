/**
 * The controller: one intake (`takeIn`, for the HTTP app, the sweeper, the reconciler and EventBridge), workers that
 * reconcile queued jobs, a tracker that follows launched runners, and a sweeper that finds what webhooks failed to bring. Built from ports only, so the embedded, replicated and serverless modes share it.
 */
import type { Clock } from "../clock/clock.js";
import type { DeliveryPolicy } from "../core/decision.js";
import type { ReconcilePolicy } from "../core/reconcile.js";
import type { Backend } from "../core/types.js";
import type { GitHubPort } from "../github/github-port.js";
import type { Logger } from "../log/logger.js";
import type { Provider } from "../providers/provider.js";
import type { Queue } from "../queue/queue.js";
import type { Intake } from "../store/intake.js";
import type { Store } from "../store/store.js";
import { Launcher, type RunnerPlacement } from "./launcher.js";
import { Reconciler, type ReconcilerDeps } from "./reconciler.js";
import type { TakeIn } from "./observations.js";
import { createTakeIn } from "./take-in.js";
import { Tracker } from "./tracker.js";
import { WorkerPool } from "./worker.js";
import { noopObserver, type ControllerObserver } from "./observer.js";
import { Periodic } from "./periodic.js";
import { roundPacing } from "../core/rounds.js";
import { Sweeper, defaultSweeperPolicy, type SweeperPolicy } from "./sweeper.js";
import { Reaper, defaultReaperPolicy, type ReaperPolicy } from "./reaper.js";
import { CAPACITY_RETRY_MS, LaunchGate, type LaunchLimits } from "./launch-gate.js";
import { PoolManager, type PoolSetup } from "./pool.js";
import { StandbyManager, type StandbySetup } from "./standby.js";
import type { JitHandoff } from "../providers/jit-handoff.js";
import type { ScaleSetClient } from "../github/scaleset/index.js";
import { ScaleSetRunnerSource } from "./scale-set-runners.js";
import type { ScaleSetSetup } from "./scale-set-setup.js";
import { ScaleSets } from "./scale-sets.js";

export interface ControllerDeps {
  readonly store: Store;
  readonly queue: Queue;
  readonly intake: Intake;
  readonly github: GitHubPort;
  readonly providers: ReadonlyMap<Backend, Provider>;
  readonly deliveryPolicy: DeliveryPolicy;
  readonly reconcilePolicy: ReconcilePolicy;
  readonly placement: RunnerPlacement;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly concurrency: number;
  /** Clock ms between tracker rounds (batched describe calls). */
  readonly trackIntervalMs: number;
  /**
   * Clock ms between sweeper rounds (failed deliveries, queued jobs without a webhook) and reaper rounds while they find
   * work; quiet rounds back off (core/rounds.ts).
   */
  readonly sweepIntervalMs?: number;
  readonly sweeperPolicy?: SweeperPolicy;
  readonly reaperPolicy?: ReaperPolicy;
  /** The always-on pool for `type=static` jobs, when configured (poolSetupOf), and how often it is topped up (clock ms). */
  readonly pool?: PoolSetup & { readonly intervalMs: number };
  /**
   * The JIT handoff the providers write launches' configs with (build.ts buildProviders): it names standbys'
   * parameters and writes a job's config to one, and deletes the parameter of a launch a crash cut short.
   */
  readonly handoff: Pick<JitHandoff, "nameFor" | "handTo" | "discard">;
  /** Standby runners (docs/standby.md), when configured (standbySetupOf). */
  readonly standby?: StandbySetup;
  /** Concurrent runners allowed; default: no limit beyond the quotas' pacing. */
  readonly limits?: LaunchLimits;
  /** Real ms between queue polls when idle. */
  readonly idlePollMs?: number;
  readonly observer?: ControllerObserver;
  /**
   * Runner scale sets (docs/scale-sets.md), when the scale-set intake is on (scaleSetSetupOf): their client, and this
   * replica's name as their leases and sessions know it.
   */
  readonly scaleSets?: { readonly setup: ScaleSetSetup; readonly client: ScaleSetClient; readonly holder: string };
  /** False when webhooks are not taken (intake scale-sets): the sweeper, which re-reads the App's deliveries, does not run. */
  readonly webhooks?: boolean;
}

export class Controller {
  /** Everything tornade observes comes in here: webhooks, jobs found on GitHub, runner state events. */
  readonly takeIn: TakeIn;
  readonly reconciler: Reconciler;
  readonly launcher: Launcher;
  readonly tracker: Tracker;
  readonly sweeper: Sweeper;
  readonly reaper: Reaper;
  readonly observer: ControllerObserver;
  /** The static pool's manager, when a pool is configured; its runners start through `launcher` like every runner. */
  readonly staticPool: PoolManager | undefined;
  /** The standbys' manager, when standbys are configured; they too start through `launcher`. */
  readonly standbys: StandbyManager | undefined;
  /** The scale sets' listeners and spares, when the scale-set intake is on. */
  readonly scaleSets: ScaleSets | undefined;
  private readonly pool: WorkerPool;
  /** The static pool's round, nudged when a static job is queued or taken so the pool tops up at once. */
  private staticPoolRound: Periodic | undefined;
  private readonly rounds: Periodic[];
  private stopped = true;

  constructor(private readonly deps: ControllerDeps) {
    const { store, queue, clock, logger } = deps;
    const observer = (this.observer = deps.observer ?? noopObserver);
    const gate = new LaunchGate(store, clock, deps.limits ?? { maxRunners: Number.MAX_SAFE_INTEGER, perBackend: {} });
    const scaleSetRunners = deps.scaleSets ? new ScaleSetRunnerSource(deps.scaleSets.client, deps.scaleSets.setup.runnerGroup) : undefined;
    const launcher = (this.launcher = new Launcher({ store, github: deps.github, providers: deps.providers, handoff: deps.handoff, gate, placement: deps.placement, clock, logger, observer, scaleSets: scaleSetRunners }));
    // Intake wakes the worker pool (built below) only when something arrives, long after construction.
    this.takeIn = createTakeIn({
      intake: deps.intake,
      store,
      policy: deps.deliveryPolicy,
      clock,
      logger,
      observer,
      wake: () => this.pool.wake(),
      staticJobMoved: () => this.staticPoolRound?.nudge(),
      reconcilePolicy: deps.reconcilePolicy,
    });
    const wakeAfter = (ms: number) => this.pool.wakeAfter(ms);
    let standbyRound: Periodic | undefined;
    let handoffs: ReconcilerDeps["standbys"] = undefined;
    if (deps.standby) {
      const manager = new StandbyManager({ ...deps.standby, handoff: deps.handoff, launcher, store, github: deps.github, scaleSets: scaleSetRunners, clock, logger: logger.child({ component: "standby" }) });
      // At start the standbys boot at once; after that, on their interval, and right after a handoff (its replacement).
      const round = (standbyRound = new Periodic("standby", clock, deps.standby.intervalMs, () => manager.tick(), logger, true));
      handoffs = { handOff: (start) => manager.handOff(start), handedOff: () => round.nudge() };
      this.standbys = manager;
    } else {
      this.standbys = undefined;
    }
    this.reconciler = new Reconciler({
      store,
      queue,
      launcher,
      github: deps.github,
      takeIn: this.takeIn,
      policy: deps.reconcilePolicy,
      clock,
      logger,
      observer,
      wakeAfter,
      ...(handoffs ? { standbys: handoffs } : {}),
    });
    this.tracker = new Tracker({ store, intake: deps.intake, providers: deps.providers, clock, logger, observer, reconcilePolicy: deps.reconcilePolicy });
    this.pool = new WorkerPool(queue, this.reconciler, logger, {
      concurrency: deps.concurrency,
      // Longer than any one reconcile (a JIT config and a RunTask, each retried by its client) takes.
      visibilityTimeoutMs: 5 * 60_000,
      idlePollMs: deps.idlePollMs ?? 250,
      clock,
    });
    // The sweeper's and reaper's rounds come every sweep interval while they find work, and back off while they do not.
    const pacing = roundPacing(deps.sweepIntervalMs ?? 60_000);
    this.sweeper = new Sweeper({ store, github: deps.github, takeIn: this.takeIn, clock, logger, policy: deps.sweeperPolicy ?? defaultSweeperPolicy, pacing });
    this.reaper = new Reaper({ store, queue, github: deps.github, providers: deps.providers, placement: deps.placement, clock, logger, policy: deps.reaperPolicy ?? defaultReaperPolicy, pacing });
    this.rounds = [
      new Periodic("tracker", clock, deps.trackIntervalMs, () => this.tracker.track(), logger),
      // At start the sweeper looks at once: deliveries that failed while tornade was down are redelivered now.
      ...(deps.webhooks === false ? [] : [new Periodic("sweeper", clock, () => this.sweeper.pace.nextRoundInMs(), () => this.sweeper.sweep(), logger, true)]),
      new Periodic("reaper", clock, () => this.reaper.pace.nextRoundInMs(), () => this.reaper.reap(), logger),
    ];
    if (deps.scaleSets && scaleSetRunners) {
      const { setup, client, holder } = deps.scaleSets;
      const scaleSets = new ScaleSets({ setup, client, runners: scaleSetRunners, takeIn: this.takeIn, store, launcher, holder, clock, logger });
      this.scaleSets = scaleSets;
      this.rounds.push(new Periodic("scale-sets", clock, setup.intervalMs, () => scaleSets.tick(), logger));
    } else {
      this.scaleSets = undefined;
    }
    if (deps.pool) {
      const manager = new PoolManager({ ...deps.pool, labelPolicy: deps.deliveryPolicy, github: deps.github, launcher, store, clock, logger: logger.child({ component: "pool" }) });
      this.staticPool = manager;
      // At start the pool fills at once; after that, on its interval or when a static job nudges it.
      this.staticPoolRound = new Periodic("pool", clock, deps.pool.intervalMs, () => manager.tick(), logger, true);
      // Runners the launch gate held back ask again as often as a held job does, so the pool keeps its place in line.
      this.rounds.push(this.staticPoolRound, new Periodic("pool-retry", clock, CAPACITY_RETRY_MS, () => manager.retryHeld(), logger));
    }
    if (standbyRound) this.rounds.push(standbyRound);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.pool.start();
    for (const r of this.rounds) r.start();
    this.scaleSets?.start();
  }

  /** Finishes the work in hand and stops; queued work stays queued for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    // Listeners first: a poll is aborted and its session closed, so another replica can open it at once.
    await this.scaleSets?.stop();
    await Promise.all([this.pool.stop(), ...this.rounds.map((r) => r.stop())]);
  }

  /** Items being reconciled right now (for health and tests). */
  busy(): number {
    return this.pool.busy();
  }
}
