/**
 * The always-on pool for `type=static` jobs: keeps `size` idle ephemeral JIT runners per backend and arch, registered
 * with the static labels (core/pool.ts poolRunnerLabels), tops them up when one takes a job, and drains idle ones when
 * the pool shrinks (size lowered, schedule closed, pool removed).
 *
 * Stateless by design: every round re-reads GitHub's runner list, and a pool runner's name says which pool it is in
 * and when it was created. The only thing GitHub cannot tell us is which ECS task or CodeBuild build runs a runner (the
 * Provider port has no "list by tag"), so those handles are kept in memory and, when a ledger is given, in the store's
 * meta — only to stop a drained runner's task; a task whose runner was deregistered exits on its own anyway, since a
 * runner whose registration is deleted stops listening.
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
import { LaunchError, type LaunchHandle, type Provider } from "../providers/provider.js";
import type { Store } from "../store/store.js";

export interface PoolManagerDeps {
  readonly github: GitHubPort;
  readonly providers: ReadonlyMap<Backend, Provider>;
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
  /** Remembers which task or build runs each pool runner across restarts (store meta). */
  readonly ledger?: Pick<Store, "getMeta" | "putMeta">;
}

export interface PoolTickResult {
  readonly pools: readonly PoolStatus[];
  /** Names of the runners launched this round. */
  readonly launched: readonly string[];
  readonly deregistered: readonly { readonly name: string; readonly why: DeregisterWhy }[];
  /** Picked for draining but GitHub refused: they took a job in the meantime, and are left to finish it. */
  readonly keptBusy: readonly string[];
  /** Tasks or builds stopped: of deregistered runners, and of runners GitHub no longer lists. */
  readonly stopped: readonly string[];
  readonly failures: readonly { readonly backend: Backend; readonly arch: Arch; readonly kind: string; readonly message: string }[];
}

export const DEFAULT_POOL_POLICY: PoolPolicy = { bootTimeoutMs: 10 * 60_000, maxLaunchesPerRound: 20 };

const LEDGER_PREFIX = "pool-handles:";

export class PoolManager {
  private readonly policy: PoolPolicy;
  private readonly handles = new Map<string, LaunchHandle>();
  private ledgerLoaded = false;
  private lastN = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: PoolManagerDeps) {
    this.policy = { ...DEFAULT_POOL_POLICY, ...deps.policy };
  }

  /** One round: read GitHub's runners, launch what is missing, drain what is extra. Rounds never overlap. */
  tick(): Promise<PoolTickResult> {
    return this.serialised(() => this.round(this.deps.pools));
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
    await this.loadLedger();
    const before = JSON.stringify([...this.handles]);
    const listed = await github.listRunners(target);
    const runners = listed.flatMap((r) => poolRunnerOf(r));
    const plan = planPool(pools, runners, clock.now(), this.policy);

    const deregistered: { name: string; why: DeregisterWhy }[] = [];
    const keptBusy: string[] = [];
    const stopped: string[] = [];
    const failures: { backend: Backend; arch: Arch; kind: string; message: string }[] = [];

    for (const { runner, why } of plan.deregister) {
      try {
        await github.deleteRunner(target, runner.id);
      } catch (e) {
        // GitHub refuses (422) to delete a runner that is running a job: it took one since we listed it.
        if (e instanceof GitHubError && e.kind === "invalid") {
          keptBusy.push(runner.name);
          continue;
        }
        failures.push(failureOf(runner.backend, runner.arch, e));
        continue;
      }
      deregistered.push({ name: runner.name, why });
      this.deps.logger.info({ runner: runner.name, why }, "pool runner deregistered");
      if (await this.stopTask(runner.name, why === "stale" ? "pool runner never came online" : "pool shrank")) stopped.push(runner.name);
    }

    // Runners GitHub no longer has finished their one job (or were removed): their tasks end, or are ended here.
    // "Not listed" is confirmed by name first: GitHub pages by offset, so a listing taken while other runners come
    // and go can skip one — and stopping a pool runner that is running a static job would fail that job.
    const listedNames = new Set(runners.map((r) => r.name));
    for (const name of [...this.handles.keys()]) {
      if (listedNames.has(name) || deregistered.some((d) => d.name === name)) continue;
      if (await github.findRunner(target, name).catch(() => "unknown" as const)) continue;
      if (await this.stopTask(name, "pool runner is no longer registered")) stopped.push(name);
    }

    const launched: string[] = [];
    for (const want of plan.launch) {
      for (let i = 0; i < want.count; i++) {
        const outcome = await this.launchOne(want.backend, want.arch);
        if (typeof outcome === "string") {
          launched.push(outcome);
          continue;
        }
        failures.push(outcome);
        // The next round tries again; more of the same now would fail the same way.
        break;
      }
    }
    if (JSON.stringify([...this.handles]) !== before) await this.saveLedger();
    return { pools: plan.pools, launched, deregistered, keptBusy, stopped, failures };
  }

  private async launchOne(backend: Backend, arch: Arch): Promise<string | PoolTickResult["failures"][number]> {
    const { github, target, logger } = this.deps;
    const provider = this.deps.providers.get(backend);
    if (!provider) return { backend, arch, kind: "permanent", message: `no provider is configured for ${backend}` };
    const spec = this.specFor(backend, arch);
    if (typeof spec === "string") return { backend, arch, kind: "permanent", message: spec };
    // Names are unique per manager and grow with the clock, so a restarted controller does not reuse one.
    this.lastN = Math.max(this.lastN + 1, this.deps.clock.now());
    const name = poolRunnerName(backend, arch, this.lastN);
    let jit;
    try {
      jit = await github.generateJitConfig({ ...target, runnerGroupId: this.deps.runnerGroupId, name, labels: spec.runnerLabels });
    } catch (e) {
      return failureOf(backend, arch, e);
    }
    try {
      const handle = await provider.launch({
        // One key per pool runner: a retried RunTask / StartBuild for the same runner starts nothing new.
        idempotencyKey: `pool:${scopeName(target)}:${name}`,
        spec,
        jitConfig: jit.encodedJitConfig,
        runnerName: name,
        // Pool runners serve no particular job or run; 0 marks them in the task's tags and environment.
        jobId: 0,
        runId: 0,
        repository: scopeName(target),
      });
      this.handles.set(name, handle);
      logger.info({ runner: name, backend, arch, task: handle.id }, "pool runner launched");
      return name;
    } catch (e) {
      // Nothing runs this registration: remove it now rather than let it count as starting until the boot timeout.
      await github.deleteRunner(target, jit.runnerId).catch((err: unknown) => {
        logger.warn({ runner: name, err: String(err) }, "could not deregister a pool runner whose launch failed");
      });
      return failureOf(backend, arch, e);
    }
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

  /** Stops the task of `name` if we know it; true when a stop was sent. Forgets the handle once it is handled. */
  private async stopTask(name: string, why: string): Promise<boolean> {
    const handle = this.handles.get(name);
    if (!handle) return false;
    const provider = this.deps.providers.get(handle.backend);
    if (!provider) {
      this.handles.delete(name);
      return false;
    }
    try {
      const [state] = await provider.describe([handle]);
      if (state?.status === "stopped") {
        this.handles.delete(name);
        return false;
      }
      await provider.stop(handle, why);
      this.handles.delete(name);
      this.deps.logger.info({ runner: name, task: handle.id, why }, "pool runner's task stopped");
      return true;
    } catch (e) {
      // Kept: the next round tries again.
      this.deps.logger.warn({ runner: name, task: handle.id, err: String(e) }, "could not stop a pool runner's task");
      return false;
    }
  }

  private ledgerKey(): string {
    return `${LEDGER_PREFIX}${this.deps.target.scope}:${scopeName(this.deps.target)}`;
  }

  private async loadLedger(): Promise<void> {
    if (this.ledgerLoaded || !this.deps.ledger) return;
    const text = await this.deps.ledger.getMeta(this.ledgerKey());
    this.ledgerLoaded = true;
    for (const [name, handle] of parseLedger(text)) if (!this.handles.has(name)) this.handles.set(name, handle);
  }

  private async saveLedger(): Promise<void> {
    if (!this.deps.ledger) return;
    await this.deps.ledger.putMeta(this.ledgerKey(), JSON.stringify(Object.fromEntries(this.handles)));
  }
}

/** What the configuration's `pool` section asks for, as PoolManager deps; undefined when no pool is configured. */
export function poolSetupOf(config: Config): Pick<PoolManagerDeps, "target" | "runnerGroupId" | "pools" | "policy"> & { intervalMs: number } | undefined {
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

function failureOf(backend: Backend, arch: Arch, e: unknown): PoolTickResult["failures"][number] {
  if (e instanceof LaunchError) return { backend, arch, kind: e.kind, message: e.message };
  if (e instanceof GitHubError) return { backend, arch, kind: `github-${e.kind}`, message: e.message };
  throw e;
}

/** The ledger is our own JSON, but a store can hold anything: entries that do not look right are skipped. */
function parseLedger(text: string | undefined): [string, LaunchHandle][] {
  if (text === undefined) return [];
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof data !== "object" || data === null) return [];
  return Object.entries(data).flatMap(([name, v]): [string, LaunchHandle][] => {
    if (typeof v !== "object" || v === null) return [];
    const { backend, id } = v as Record<string, unknown>;
    const b = typeof backend === "string" ? parsePoolRunnerName(name)?.backend : undefined;
    return b !== undefined && backend === b && typeof id === "string" ? [[name, { backend: b, id }]] : [];
  });
}
