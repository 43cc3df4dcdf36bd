/**
 * The always-on pool for `type=static` jobs: keeps `size` idle ephemeral JIT runners per backend and arch, registered
 * with the static labels (core/pool.ts poolRunnerLabels), tops them up when one takes a job, and drains idle ones when
 * the pool shrinks (size lowered, schedule closed, pool removed).
 *
 * Pool runners start like every runner, through Launcher.start and so the launch gate: they count against
 * `limits.maxRunners` and wait in the same first-come-first-served line as jobs (docs/static-pool.md, "Limits").
 * Their launch rows (job id NO_JOB) say which ECS task or CodeBuild build runs which runner, for every replica and
 * across restarts: the one thing GitHub's runner list cannot tell. Everything else is re-read from GitHub each round:
 * a pool runner's name says which pool it is in and when it was created.
 */
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/index.js";
import { describeLabelErrors, interpretLabels, type LabelPolicy } from "../core/labels.js";
import {
  parsePoolRunnerName,
  parseWindow,
  planPool,
  poolRunnerLabels,
  poolRunnerName,
  type DeregisterWhy,
  type PoolPolicy,
  type PoolRunner,
  type PoolSpec,
  type PoolStatus,
} from "../core/pool.js";
import type { Arch, Backend, LaunchSpec } from "../core/types.js";
import { GitHubError } from "../github/errors.js";
import type { GitHubPort, Runner, RunnerScope } from "../github/github-port.js";
import type { Logger } from "../log/logger.js";
import { NO_JOB, VersionConflict, type LaunchRecord, type Store } from "../store/store.js";
import type { Launcher, RunnerStart } from "./launcher.js";

export interface PoolManagerDeps {
  readonly github: GitHubPort;
  /** Starts each pool runner (through the launch gate) and stops drained ones; it writes their launch rows. */
  readonly launcher: Pick<Launcher, "start" | "stopUnregistered" | "closeIfStopped" | "abandon" | "leave">;
  /** Where the pool's launch rows are read back. */
  readonly store: Pick<Store, "listLaunchesByState">;
  /** Where the pool's runners register: a repository, or an organization (scope "org"). */
  readonly target: RunnerScope;
  /** 1 ("Default") for repository runners. */
  readonly runnerGroupId: number;
  readonly pools: readonly PoolSpec[];
  /** The label grammar's policy (config policyOf): launch label, defaults, sizes, images. */
  readonly labelPolicy: LabelPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Defaults: boot timeout 10 minutes, 20 launches per round. */
  readonly policy?: Partial<PoolPolicy>;
}

type Shape = { readonly backend: Backend; readonly arch: Arch };
type Failure = Shape & { readonly kind: string; readonly message: string };

export interface PoolTickResult {
  readonly pools: readonly PoolStatus[];
  /** Names of the runners launched this round. */
  readonly launched: readonly string[];
  readonly deregistered: readonly { readonly name: string; readonly why: DeregisterWhy }[];
  /** Picked for draining but GitHub refused: they took a job in the meantime, and are left to finish it. */
  readonly keptBusy: readonly string[];
  /** Tasks or builds stopped: of deregistered runners, and of runners GitHub no longer lists. */
  readonly stopped: readonly string[];
  readonly failures: readonly Failure[];
  /** Runners the launch gate holds back (a runner limit, older jobs, the quotas): retryHeld() asks again. */
  readonly held: readonly (Shape & { readonly count: number; readonly reason: string })[];
}

export const DEFAULT_POOL_POLICY: PoolPolicy = { bootTimeoutMs: 10 * 60_000, maxLaunchesPerRound: 20 };

/** More than the active launch rows there can be (maxRunners at most, plus starts interrupted by a crash). */
const ROW_LIMIT = 10_000;

/** The launch gate's name for a pool waiting to start a runner: one place in the line per backend and arch. */
export function poolWaiter(backend: Backend, arch: Arch): string {
  return `pool:${backend}/${arch}`;
}

export class PoolManager {
  private readonly policy: PoolPolicy;
  private lastN = 0;
  private chain: Promise<unknown> = Promise.resolve();
  /** What the last round could not start because the gate held it back, and that round's view of the pools. */
  private held: PoolTickResult["held"] = [];
  private lastPools: readonly PoolStatus[] = [];
  /** Launch rows whose task this manager has asked to stop, still stopping: not asked again, closed once stopped. */
  private readonly stopSent = new Set<string>();

  constructor(private readonly deps: PoolManagerDeps) {
    this.policy = { ...DEFAULT_POOL_POLICY, ...deps.policy };
  }

  /** One round: read GitHub's runners, launch what is missing, drain what is extra. Rounds never overlap. */
  tick(): Promise<PoolTickResult> {
    return this.serialised(() => this.round(this.deps.pools));
  }

  /**
   * Asks the launch gate again for the runners the last round could not start, without re-reading GitHub: a waiter
   * keeps its place in the gate's line only while it keeps asking (launch-gate.ts WAITER_TTL_MS), and pool rounds
   * are further apart than that. Nothing to do (no I/O) when nothing is held; the next round replaces what is held.
   */
  retryHeld(): Promise<PoolTickResult> {
    return this.serialised(async () => {
      const { launched, failures, held } = await this.launch(this.held);
      return { pools: this.lastPools, launched, deregistered: [], keptBusy: [], stopped: [], failures, held };
    });
  }

  /** Deregisters every idle pool runner and stops its task (busy ones finish their job). For turning the pool off:
   * a restart need not drain, since the next controller finds the pool on GitHub. */
  drain(): Promise<PoolTickResult> {
    return this.serialised(() => this.round([]));
  }

  private serialised(fn: () => Promise<PoolTickResult>): Promise<PoolTickResult> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async round(pools: readonly PoolSpec[]): Promise<PoolTickResult> {
    const { github, target, clock } = this.deps;
    const listed = await github.listRunners(target);
    const runners = listed.flatMap((r) => poolRunnerOf(r));
    const plan = planPool(pools, runners, clock.now(), this.policy);
    const live = await this.liveRows();

    const deregistered: { name: string; why: DeregisterWhy }[] = [];
    const keptBusy: string[] = [];
    const stopped: string[] = [];
    const failures: Failure[] = [];

    for (const { runner, why } of plan.deregister) {
      try {
        await github.deleteRunner(target, runner.id);
      } catch (e) {
        // GitHub refuses (422) to delete a runner that is running a job: it took one since we listed it.
        if (e instanceof GitHubError && e.kind === "invalid") {
          keptBusy.push(runner.name);
          continue;
        }
        failures.push(failureOf(runner, e));
        continue;
      }
      deregistered.push({ name: runner.name, why });
      this.deps.logger.info({ runner: runner.name, why }, "pool runner deregistered");
      if (await this.stopTask(live.get(runner.name), why === "stale" ? "pool runner never came online" : "pool shrank")) stopped.push(runner.name);
    }

    // Runners GitHub no longer has finished their one job (or were removed): their tasks end, or are ended here.
    // "Not listed" is confirmed by name first: GitHub pages by offset, so a listing taken while other runners come
    // and go can skip one — and stopping a pool runner that is running a static job would fail that job.
    const listedNames = new Set(runners.map((r) => r.name));
    for (const [name, row] of live) {
      if (listedNames.has(name) || deregistered.some((d) => d.name === name)) continue;
      if (!this.stopSent.has(row.id) && (await github.findRunner(target, name).catch(() => "unknown" as const))) continue;
      if (await this.stopTask(row, "pool runner is no longer registered")) stopped.push(name);
    }
    // A row closed since (by this round or the tracker) is not looked at again.
    const liveIds = new Set([...live.values()].map((row) => row.id));
    for (const id of this.stopSent) if (!liveIds.has(id)) this.stopSent.delete(id);

    this.lastPools = plan.pools;
    const started = await this.launch(plan.launch);
    return { pools: plan.pools, deregistered, keptBusy, stopped, ...started, failures: [...failures, ...started.failures] };
  }

  /** Starts the runners `wants` asks for, each through the launch gate; remembers what the gate held back. */
  private async launch(wants: readonly (Shape & { readonly count: number })[]): Promise<Pick<PoolTickResult, "launched" | "failures" | "held">> {
    const launched: string[] = [];
    const failures: Failure[] = [];
    const held: (Shape & { count: number; reason: string })[] = [];
    for (const want of wants) {
      for (let i = 0; i < want.count; i++) {
        const outcome = await this.launchOne(want);
        if (typeof outcome === "string") {
          launched.push(outcome);
          continue;
        }
        if ("reason" in outcome) held.push({ ...outcome, count: want.count - i });
        else failures.push(outcome);
        // The next round tries again; more of the same now would fail (or be held) the same way.
        break;
      }
    }
    // A pool that wants nothing more gives up its place in the line at once, rather than hold up jobs behind it.
    for (const { backend, arch } of this.deps.pools) {
      if (!held.some((h) => h.backend === backend && h.arch === arch)) this.deps.launcher.leave(poolWaiter(backend, arch), backend);
    }
    this.held = held;
    return { launched, failures, held };
  }

  /** The name of the runner started, or why none was. */
  private async launchOne({ backend, arch }: Shape): Promise<string | Failure | (Shape & { reason: string })> {
    const spec = this.specFor(backend, arch);
    if (typeof spec === "string") return { backend, arch, kind: "permanent", message: spec };
    // Names are unique per manager and grow with the clock, so a restarted controller does not reuse one.
    this.lastN = Math.max(this.lastN + 1, this.deps.clock.now());
    const start = this.startOf(spec, this.lastN);
    const outcome = await this.deps.launcher.start(start);
    switch (outcome.kind) {
      case "launched":
        return start.runnerName;
      case "held":
        return { backend, arch, reason: outcome.reason };
      case "failed":
        return { backend, arch, kind: outcome.errorKind, message: outcome.failure.message };
      case "skipped":
      case "not-ready":
        return { backend, arch, kind: "transient", message: `pool runner ${start.runnerName} was already being started` };
    }
  }

  /** A pool runner as the launcher starts it: for no job, registered with the pool's labels where the pool lives. */
  private startOf(spec: LaunchSpec, n: number): RunnerStart {
    const { target, runnerGroupId } = this.deps;
    const name = poolRunnerName(spec.backend, spec.arch, n);
    return {
      waiter: poolWaiter(spec.backend, spec.arch),
      row: { jobId: NO_JOB, attempt: n },
      runnerName: name,
      spec,
      registration: { ...target, runnerGroupId },
      // One key per pool runner: a retried RunTask / StartBuild for the same runner starts nothing new.
      idempotencyKey: `pool:${scopeName(target)}:${name}`,
      // Pool runners serve no particular job or run; 0 marks them in the task's tags and environment.
      serves: { jobId: 0, runId: 0, repository: scopeName(target) },
    };
  }

  /** The launch spec the label grammar gives `runs-on=<backend>` + `arch=<arch>`, registered with the pool's labels. */
  private specFor(backend: Backend, arch: Arch): LaunchSpec | string {
    const p = this.deps.labelPolicy;
    const verdict = interpretLabels(["self-hosted", p.launchLabel, `runs-on=${backend}`, `arch=${arch}`], p);
    if (verdict.kind !== "launch") {
      return verdict.kind === "error" ? describeLabelErrors(verdict.errors) : `pool ${backend}/${arch} cannot be launched: ${verdict.reason}`;
    }
    return { ...verdict.spec, runnerLabels: poolRunnerLabels(p.launchLabel, backend, arch) };
  }

  /**
   * The pool's launched (or running) runners by name, from their launch rows. Rows a crash left "requested" — the
   * start never finished, or finished unrecorded — are closed first once older than the boot timeout, so they stop
   * counting against the limits: a runner such a start did register is found stale on GitHub and replaced.
   */
  private async liveRows(): Promise<Map<string, LaunchRecord>> {
    const rows = await this.deps.store.listLaunchesByState(["requested", "launched", "running"], ROW_LIMIT);
    const live = new Map<string, LaunchRecord>();
    const now = this.deps.clock.now();
    for (const row of rows) {
      if (row.jobId !== NO_JOB || !parsePoolRunnerName(row.runnerName)) continue;
      if (row.state !== "requested") live.set(row.runnerName, row);
      else if (now - row.requestedAt > this.policy.bootTimeoutMs) await this.abandon(row);
    }
    return live;
  }

  /** Closes the row of an interrupted start; one that did finish meanwhile wins, and the next round sees it. */
  private async abandon(row: LaunchRecord): Promise<void> {
    try {
      await this.deps.launcher.abandon(row, "the pool runner's start was interrupted (the controller stopped mid-way)");
    } catch (e) {
      if (!(e instanceof VersionConflict)) throw e;
    }
  }

  /**
   * Stops the task of a pool runner whose registration is gone, if its row says which; true when a stop was sent. The
   * row goes on counting against the limits until the task has stopped: a later round (or the tracker) closes it.
   */
  private async stopTask(row: LaunchRecord | undefined, why: string): Promise<boolean> {
    if (!row) return false;
    try {
      if (this.stopSent.has(row.id)) {
        await this.deps.launcher.closeIfStopped(row);
        return false;
      }
      const sent = await this.deps.launcher.stopUnregistered(row, why);
      if (sent) {
        this.stopSent.add(row.id);
        this.deps.logger.info({ runner: row.runnerName, task: row.providerId, why }, "pool runner's task stopped");
      }
      return sent;
    } catch (e) {
      // Left as it is: the next round tries again.
      this.deps.logger.warn({ runner: row.runnerName, task: row.providerId, err: String(e) }, "could not stop a pool runner's task");
      return false;
    }
  }
}

/** What configuration decides of a PoolManager; the controller adds the rest. */
export type PoolSetup = Pick<PoolManagerDeps, "target" | "runnerGroupId" | "pools" | "policy">;

/** What the configuration's `pool` section asks for, as PoolManager deps; undefined when no pool is configured. */
export function poolSetupOf(config: Config): PoolSetup & { intervalMs: number } | undefined {
  const p = config.pool;
  if (p.runners.length === 0 || p.owner === undefined) return undefined;
  const schedule = (windows: readonly string[]) => ({ timeZone: p.timeZone, windows: windows.map(parseWindow) });
  return {
    target: { installationId: p.installationId, owner: p.owner, repo: p.repo ?? "", scope: config.github.runnerScope },
    runnerGroupId: config.github.runnerScope === "org" ? config.github.runnerGroupId : 1,
    pools: p.runners.map((r) => {
      const windows = r.schedule ?? p.schedule;
      return { backend: r.backend, arch: r.arch ?? config.defaultArch, size: r.size, ...(windows.length ? { schedule: schedule(windows) } : {}) };
    }),
    policy: { bootTimeoutMs: p.bootTimeoutSeconds * 1000 },
    intervalMs: p.intervalSeconds * 1000,
  };
}

function poolRunnerOf(r: Runner): PoolRunner[] {
  const parsed = parsePoolRunnerName(r.name);
  if (!parsed) return [];
  return [{ id: r.id, name: r.name, backend: parsed.backend, arch: parsed.arch, createdAt: parsed.n, status: r.status, busy: r.busy }];
}

function scopeName(t: RunnerScope): string {
  return t.scope === "org" ? t.owner : `${t.owner}/${t.repo}`;
}

function failureOf({ backend, arch }: Shape, e: unknown): Failure {
  if (e instanceof GitHubError) return { backend, arch, kind: `github-${e.kind}`, message: e.message };
  throw e;
}
