/**
 * Standby runners (docs/standby.md): keeps per shape the configured number of runner tasks booted and waiting for a
 * job's JIT config, recycles them (idle age, surplus, never came up), and settles claims nothing followed up. The
 * decisions are core/standby.ts's; the handoff itself is controller/standby-handoff.ts.
 *
 * Standbys start like every runner, through Launcher.start and so the launch gate: they count against
 * `limits.maxRunners` and wait in the same line as jobs. Their launch rows (job id NO_JOB, a `standby` field) are the
 * whole of their state, shared by every replica and kept across restarts: a round re-reads them.
 */
import type { Clock } from "../clock/clock.js";
import { ConfigError, type Config } from "../config/index.js";
import type { LabelPolicy } from "../core/labels.js";
import { parseWindow } from "../core/pool.js";
import {
  judgeClaim,
  planStandbys,
  shapeSpec,
  standbyCandidates,
  standbyName,
  standbyShapeKey,
  stopOverdue,
  type StandbyPolicy,
  type StandbyRetirement,
  type StandbyRole,
  type StandbyShapeStatus,
  type StandbyTarget,
  type StandbyView,
} from "../core/standby.js";
import { standbyPollMs } from "../core/runner-env.js";
import { ACTIVE_LAUNCH_PHASES } from "../core/types.js";
import type { Logger } from "../log/logger.js";
import type { GitHubPort } from "../github/github-port.js";
import type { JitHandoff } from "../providers/jit-handoff.js";
import { NO_JOB, VersionConflict, launchId, type LaunchRecord, type Store } from "../store/store.js";
import type { Launcher, RunnerStart } from "./launcher.js";
import { runnerCost } from "../core/cost.js";
import { pricesOf } from "../cost/prices.js";
import { StandbyDemand, type StandbyTargetSpec } from "./standby-demand.js";
import { handOff, type HandoffOutcome } from "./standby-handoff.js";
import type { ScaleSetRunners } from "./scale-set-runners.js";

export interface StandbyManagerPolicy extends StandbyPolicy {
  /**
   * A claim older than this is settled by the round (core/standby.ts judgeClaim). Longer than the reconcile policy's
   * requestLeaseMs, after which a handoff still "requested" is abandoned.
   */
  readonly claimLeaseMs: number;
}

export const DEFAULT_ADAPTIVE_WINDOW_MS = 15 * 60_000;
/** Half of Parameter Store's standard 40 TPS per account for the standbys' polls. */
export const DEFAULT_SSM_POLLS_PER_SECOND = 20;

export const DEFAULT_STANDBY_POLICY: StandbyManagerPolicy = {
  maxIdleMs: 30 * 60_000,
  bootTimeoutMs: 10 * 60_000,
  maxLaunchesPerRound: 20,
  claimLeaseMs: 150_000,
};

/**
 * How long after its deadline for recycling a standby's runner gives up by itself (STANDBY_UNTIL_ENV): the backstop
 * for a standby the rounds never stopped (every controller down).
 */
const SELF_STOP_MARGIN_MS = 5 * 60_000;

/** More than the active launch rows there can be. */
const ROW_LIMIT = 10_000;

export interface StandbyManagerDeps {
  readonly launcher: Pick<Launcher, "start" | "stopUnregistered" | "closeIfStopped" | "findLaunch" | "leave" | "paceHandoff" | "releaseRegistration">;
  readonly store: Pick<Store, "listLaunchesByState" | "getLaunch" | "putLaunch" | "updateLaunch" | "getJob">;
  /** Generates a job's JIT config at handoff. */
  readonly github: Pick<GitHubPort, "generateJitConfig" | "deleteRunner">;
  /** Generates a scale set's job's JIT config at handoff (controller/scale-set-runners.ts). */
  readonly scaleSets?: ScaleSetRunners | undefined;
  /** Names each standby's parameter, as it names every launch's, and writes a job's config to it at handoff. */
  readonly handoff: Pick<JitHandoff, "nameFor" | "handTo">;
  /** Per shape: a fixed count, or adaptive sizing (its count decided each round from the shape's demand). */
  readonly targets: readonly StandbyTargetSpec[];
  /** How far back an adaptive shape's arrivals are counted; default 15 minutes. */
  readonly adaptiveWindowMs?: number;
  /** Parameter Store polls a second all standbys together may make (core/runner-env.ts standbyPollMs); default 20. */
  readonly ssmPollsPerSecond?: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy?: Partial<StandbyManagerPolicy>;
}

export interface StandbyTickResult {
  readonly shapes: readonly StandbyShapeStatus[];
  /** Launch ids of the standbys started this round. */
  readonly launched: readonly string[];
  readonly retired: readonly { readonly id: string; readonly why: StandbyRetirement }[];
  /** Claims settled: released back to free, or closed (handed off). */
  readonly released: readonly string[];
  readonly closed: readonly string[];
  /**
   * Abandoned handoffs whose config the standby had read and registered with before anyone heard of it: GitHub says
   * its runner is busy, so the task is the job's runner, adopted by the job's launch row rather than stopped.
   */
  readonly adopted: readonly string[];
  /** Shapes the launch gate held back (a runner limit, older jobs, the quotas), with why. */
  readonly held: readonly { readonly shape: string; readonly reason: string }[];
  readonly failures: readonly { readonly shape: string; readonly kind: string; readonly message: string }[];
}

/** The launch gate's name for a shape waiting to start a standby: one place in the line per shape. */
export function standbyWaiter(shape: string): string {
  return `standby:${shape}`;
}

export class StandbyManager {
  readonly policy: StandbyManagerPolicy;
  private lastN = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly demand: StandbyDemand;
  /** The standbys the last plan wanted, all shapes: what the next ones' poll interval is set for. */
  private wanted = 0;

  constructor(private readonly deps: StandbyManagerDeps) {
    this.policy = { ...DEFAULT_STANDBY_POLICY, ...deps.policy };
    this.demand = new StandbyDemand(deps.adaptiveWindowMs ?? DEFAULT_ADAPTIVE_WINDOW_MS, deps.clock.now());
  }

  /** The standbys' rows still active (requested, launched, running), as read now with their versions. */
  async rows(): Promise<LaunchRecord[]> {
    const rows = await this.deps.store.listLaunchesByState(ACTIVE_LAUNCH_PHASES, ROW_LIMIT);
    return rows.filter((r) => r.jobId === NO_JOB && r.standby !== null);
  }

  /**
   * Hands a job's runner start (Launcher.forJob) to a free standby of its shape, best first (core/standby.ts
   * standbyCandidates); "none" when no standby could be claimed: the job then launches cold. One listing of the active
   * launch rows per call.
   */
  async handOff(start: RunnerStart): Promise<HandoffOutcome> {
    const shape = standbyShapeKey(start.spec);
    // Every job of a standby shape that needs a runner is demand, whether a standby serves it or not.
    if (this.deps.targets.some((t) => t.shape === shape)) this.demand.arrived(shape, start.row.jobId, this.deps.clock.now());
    const rows = await this.rows();
    const views = standbyCandidates(shape, rows.map(viewOf), this.deps.clock.now(), this.policy);
    const deps = { ...this.deps, pace: () => this.deps.launcher.paceHandoff() };
    return handOff(deps, start, views.flatMap((v) => rows.filter((r) => r.id === v.id)));
  }

  /** One round; rounds never overlap. */
  tick(): Promise<StandbyTickResult> {
    const next = this.chain.then(() => this.round());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async round(): Promise<StandbyTickResult> {
    const { clock } = this.deps;
    const released: string[] = [];
    const closed: string[] = [];
    const adopted: string[] = [];
    const retired: { id: string; why: StandbyRetirement }[] = [];
    let rows = await this.rows();

    for (const row of rows) {
      const role = row.standby;
      const status = role?.status;
      if (!role || status?.kind !== "claimed") continue;
      const { jobId, attempt, at } = status;
      const launch = await this.deps.store.getLaunch(launchId(jobId, attempt));
      const verdict = judgeClaim(row.id, at, launch && { handoffFrom: launch.handoffFrom, state: launch.state }, clock.now(), this.policy.claimLeaseMs);
      if (verdict.kind === "release" && (await this.write(row, { standby: { ...role, status: { kind: "free" } } }))) released.push(row.id);
      if (verdict.kind === "close" && (await this.write(row, { state: "stopped", stoppedAt: clock.now() }))) closed.push(row.id);
      if (verdict.kind === "retire" && launch) {
        if (await this.adoptIfBusy(row, launch)) adopted.push(row.id);
        else if (await this.retire(row, role, "handoff-abandoned")) retired.push({ id: row.id, why: "handoff-abandoned" });
      }
    }
    if (released.length || closed.length || adopted.length || retired.length) rows = await this.rows();

    // Retired standbys whose task has stopped no longer count.
    for (const row of rows) if (row.standby?.status.kind === "retired") await this.closeIfStopped(row);

    const views = rows.map(viewOf);
    this.demand.observe(views);
    const plan = planStandbys(this.demand.sized(this.deps.targets, clock.now()), views, clock.now(), this.policy);
    this.wanted = plan.shapes.reduce((n, s) => n + Math.max(s.desired, s.booting + s.waiting), 0);
    for (const { id, why } of plan.retire) {
      const row = rows.find((r) => r.id === id);
      if (row?.standby && (await this.retire(row, row.standby, why))) retired.push({ id, why });
    }
    const started = await this.launch(plan.launch);
    return { shapes: plan.shapes, released, closed, adopted, retired, ...started };
  }

  /** Starts the standbys the plan asks for, each through the launch gate. */
  private async launch(wants: readonly { readonly shape: string; readonly count: number }[]): Promise<Pick<StandbyTickResult, "launched" | "held" | "failures">> {
    const launched: string[] = [];
    const held: { shape: string; reason: string }[] = [];
    const failures: { shape: string; kind: string; message: string }[] = [];
    for (const want of wants) {
      const target = this.deps.targets.find((t) => t.shape === want.shape);
      if (!target) continue;
      for (let i = 0; i < want.count; i++) {
        const start = this.startOf(target);
        const outcome = await this.deps.launcher.start(start);
        if (outcome.kind === "launched") {
          launched.push(launchId(start.row.jobId, start.row.attempt));
          continue;
        }
        if (outcome.kind === "held") held.push({ shape: want.shape, reason: outcome.reason });
        else if (outcome.kind === "failed") failures.push({ shape: want.shape, kind: outcome.errorKind, message: outcome.failure.message });
        // The next round tries again; more of the same now would fail (or be held) the same way.
        break;
      }
    }
    // A shape that wants nothing more gives up its place in the line at once, rather than hold up jobs behind it.
    for (const t of this.deps.targets) if (!held.some((h) => h.shape === t.shape)) this.deps.launcher.leave(standbyWaiter(t.shape), t.spec.backend);
    return { launched, held, failures };
  }

  /** A standby as the launcher starts it: for no job, registered nowhere, told where its config will be. */
  private startOf(target: StandbyTarget): RunnerStart {
    const now = this.deps.clock.now();
    // Numbers grow with the clock and are unique per manager, so a restarted controller does not reuse one.
    this.lastN = Math.max(this.lastN + 1, now);
    const name = standbyName(this.lastN);
    const idempotencyKey = `standby:${name}`;
    const standby: StandbyRole = { shape: target.shape, parameter: this.deps.handoff.nameFor(name), status: { kind: "free" } };
    return {
      waiter: standbyWaiter(target.shape),
      row: { jobId: NO_JOB, attempt: this.lastN },
      runnerName: name,
      spec: target.spec,
      registration: {
        standby,
        until: now + this.policy.maxIdleMs + this.policy.bootTimeoutMs + SELF_STOP_MARGIN_MS,
        pollMs: standbyPollMs(this.wanted, this.deps.ssmPollsPerSecond ?? DEFAULT_SSM_POLLS_PER_SECOND),
      },
      idempotencyKey,
      // A standby serves no job, run or repository until one is handed to it; 0 and "" mark that in its tags.
      serves: { jobId: 0, runId: 0, repository: "" },
    };
  }

  /**
   * A handoff was abandoned (its claimant died, or the write's answer was lost) after the config may have reached the
   * standby: it may have registered and taken the job meanwhile, and stopping it would fail that job. So the runner
   * the config names is deregistered first, unless GitHub says it is busy — then the task is the job's runner: the
   * job's launch row takes it (launched, the standby's task) for the tracker to follow, and the standby's row is
   * closed. Anything else (no such runner, or deregistered: the config is dead) leaves the standby to be retired.
   */
  private async adoptIfBusy(row: LaunchRecord, launch: LaunchRecord): Promise<boolean> {
    const job = await this.deps.store.getJob(launch.jobId);
    if (!job || row.providerId === null) return false;
    if ((await this.deps.launcher.releaseRegistration(job, launch.runnerName)) !== "busy") return false;
    const now = this.deps.clock.now();
    const current = (await this.deps.store.getLaunch(launch.id)) ?? launch;
    if (!(await this.write(current, { state: "launched", providerId: row.providerId, launchedAt: now, stoppedAt: null, error: null }))) return false;
    await this.write(row, { state: "stopped", stoppedAt: now });
    this.deps.logger.warn({ standby: row.id, jobId: launch.jobId, attempt: launch.attempt }, "abandoned handoff found running its job: adopted");
    return true;
  }

  /** Marks a standby retired (no claim can take it from here), then stops its task; false when it moved meanwhile. */
  private async retire(row: LaunchRecord, role: StandbyRole, why: StandbyRetirement): Promise<boolean> {
    const now = this.deps.clock.now();
    let marked: LaunchRecord;
    try {
      marked = await this.deps.store.updateLaunch(row.id, row.version, { standby: { ...role, status: { kind: "retired", why, at: now } } });
    } catch (e) {
      if (e instanceof VersionConflict) return false;
      throw e;
    }
    try {
      await this.deps.launcher.stopUnregistered(await this.withTask(marked), `standby recycled (${why})`);
    } catch (e) {
      // Retired already: the next round's closeIfStopped, or the runner's own deadline, ends it.
      this.deps.logger.warn({ standby: row.id, task: row.providerId, err: String(e) }, "could not stop a standby's task");
    }
    this.deps.logger.info({ standby: row.id, why }, "standby retired");
    return true;
  }

  /** A retired standby's row closed once its task has stopped (found first, if its start was cut short: withTask). */
  private async closeIfStopped(row: LaunchRecord): Promise<void> {
    try {
      const followed = await this.withTask(row);
      // Still running long after its retirement (core stopOverdue: a stop lost to a crash, or failed): stopped again.
      if (followed !== row || stopOverdue(row.standby, this.deps.clock.now())) await this.deps.launcher.stopUnregistered(followed, "standby recycled");
      else await this.deps.launcher.closeIfStopped(row);
    } catch (e) {
      // The next round looks again.
      this.deps.logger.warn({ standby: row.id, err: String(e) }, "could not close a retired standby");
    }
  }

  /**
   * A standby whose start was cut short — the controller killed after RunTask landed, before its answer was recorded —
   * has no provider id, yet its task may run: found by its name (Launcher.findLaunch, as reconcile adopts a job's),
   * recorded on its row, so that it is stopped now rather than left waiting until its own deadline, and followed until
   * it has stopped. ECS only (a CodeBuild build cannot be found by name).
   */
  private async withTask(row: LaunchRecord): Promise<LaunchRecord> {
    if (row.providerId !== null) return row;
    const found = await this.deps.launcher.findLaunch(row);
    if (!found) return row;
    this.deps.logger.warn({ standby: row.id, providerId: found.id }, "standby whose start was cut short found running: adopted to be stopped");
    return this.deps.store.updateLaunch(row.id, row.version, { state: "launched", providerId: found.id, launchedAt: this.deps.clock.now() });
  }

  /** A versioned write of a standby's row; false when it moved since it was read (the next round looks again). */
  private async write(row: LaunchRecord, patch: Parameters<Store["updateLaunch"]>[2]): Promise<boolean> {
    try {
      await this.deps.store.updateLaunch(row.id, row.version, patch);
      return true;
    } catch (e) {
      if (e instanceof VersionConflict) return false;
      throw e;
    }
  }
}

/**
 * Standbys count against limits.maxRunners like every runner (and so do the static pool's): counts that fill it would
 * leave no room for a job that finds no standby of its shape, nor for the replacement of one that took a job. Every
 * shape is counted at its full count (an adaptive one at its maximum), as if all schedules were open at once.
 */
function fitsLimits(config: Config): string[] {
  const standbys = config.standby.shapes.reduce((n, s) => n + (s.count === "adaptive" ? adaptiveMax(config, s) : s.count), 0);
  const pool = config.pool.runners.reduce((n, r) => n + r.size, 0);
  const { maxRunners } = config.limits;
  if (standbys + pool < maxRunners) return [];
  const also = pool > 0 ? ` and the static pool's ${pool}` : "";
  return [
    `standby.shapes: ${standbys} standbys${also} fill limits.maxRunners (${maxRunners}), which counts them: no job without a standby could start. Fix: lower the counts, or raise TORNADE_MAX_RUNNERS (limits.maxRunners) above ${standbys + pool}`,
  ];
}

/** A standby's row as the plan reads it. */
export function viewOf(row: LaunchRecord): StandbyView {
  return {
    id: row.id,
    shape: row.standby?.shape ?? "",
    state: row.state,
    status: row.standby?.status.kind ?? "retired",
    requestedAt: row.requestedAt,
    startedAt: row.startedAt,
  };
}

type StandbyEntry = Config["standby"]["shapes"][number];

function adaptiveMax(config: Config, entry: StandbyEntry): number {
  return entry.adaptive?.max ?? config.standby.adaptive.max;
}

/** An adaptive shape's bounds (its own over the section's) and the hourly price of one of its standbys. */
function adaptiveOf(config: Config, entry: StandbyEntry, spec: StandbyTarget["spec"]): StandbyTargetSpec["adaptive"] {
  if (entry.count !== "adaptive") return undefined;
  const maxCostPerHour = entry.adaptive?.maxCostPerHour ?? config.standby.adaptive.maxCostPerHour;
  return {
    max: adaptiveMax(config, entry),
    ...(maxCostPerHour === undefined ? {} : { maxCostPerHour }),
    costPerHour: runnerCost({ backend: spec.backend, arch: spec.arch, cpu: spec.cpu, memory: spec.memory, disk: spec.disk, size: spec.size, seconds: 3600 }, pricesOf(config)).awsCost,
  };
}

/** What configuration decides of a StandbyManager; the controller adds the rest. */
export type StandbySetup = Pick<StandbyManagerDeps, "targets" | "policy" | "adaptiveWindowMs" | "ssmPollsPerSecond"> & { readonly intervalMs: number };

/**
 * What the configuration's `standby` section asks for; undefined when no shape is configured. Each shape is read by
 * the label grammar (`labelPolicy`, config policyOf) as a job's labels would be: one it refuses (an unknown image, a
 * size over a ceiling, a backend not configured) is a ConfigError naming the entry. A claim is settled only after
 * the reconcile policy's `requestLeaseMs`, so that a handoff is abandoned by its job's reconcile first.
 */
export function standbySetupOf(config: Config, labelPolicy: LabelPolicy, requestLeaseMs: number): StandbySetup | undefined {
  const s = config.standby;
  if (s.shapes.length === 0) return undefined;
  const problems: string[] = [];
  const targets = s.shapes.flatMap((entry, i): StandbyTargetSpec[] => {
    const resolved = shapeSpec(entry, config.defaultArch, labelPolicy);
    if ("problem" in resolved) {
      problems.push(`standby.shapes.${i} (${resolved.shape}): ${resolved.problem}. Fix: name a backend, arch, size and image this tornade launches, or remove the entry`);
      return [];
    }
    const windows = entry.schedule ?? s.schedule;
    const schedule = windows.length ? { schedule: { timeZone: s.timeZone, windows: windows.map(parseWindow) } } : {};
    const adaptive = adaptiveOf(config, entry, resolved.spec);
    const count = entry.count === "adaptive" ? 0 : entry.count;
    return [{ shape: standbyShapeKey(resolved.spec), spec: resolved.spec, count, ...(adaptive ? { adaptive } : {}), ...schedule }];
  });
  problems.push(...fitsLimits(config));
  if (problems.length) throw new ConfigError(problems);
  return {
    targets,
    policy: { maxIdleMs: s.maxIdleMinutes * 60_000, bootTimeoutMs: s.bootTimeoutSeconds * 1000, claimLeaseMs: requestLeaseMs + 30_000 },
    adaptiveWindowMs: s.adaptive.windowMinutes * 60_000,
    ssmPollsPerSecond: s.ssmPollsPerSecond,
    intervalMs: s.intervalSeconds * 1000,
  };
}
