/**
 * The one way tornade starts a runner — for a job, for the static pool, for a standby: `start()` asks the launch gate
 * (limits, first come first served, pacing), records the attempt, gets a JIT runner config from GitHub (not for a
 * standby: it gets its job's later, docs/standby.md), starts the runner on its backend, and records the outcome. What differs between them is passed in as a
 * RunnerStart: where the runner registers and with which labels, its launch row, its idempotency key.
 * The JIT config passes from GitHub to AWS in memory only: never logged or stored.
 *
 * Order matters for crash safety: the launch row ("requested") is written before anything is asked of GitHub or AWS,
 * so a crash at any point leaves a row that can be seen and resolved (a job's by reconcile, see core/reconcile.ts
 * requestLeaseMs; the pool's by its next round). Every launch row is written here, so a runner started for no job
 * counts against the limits exactly like a job's.
 */
import type { Clock } from "../clock/clock.js";
import type { StandbyRole } from "../core/standby.js";
import { idempotencyKey, runnerName } from "../core/reconcile.js";
import type { TornadeStop } from "../core/launch-outcome.js";
import type { Backend, LaunchFailure, LaunchSpec } from "../core/types.js";
import { GitHubError } from "../github/errors.js";
import type { GitHubPort } from "../github/github-port.js";
import type { Logger } from "../log/logger.js";
import { LaunchError, type LaunchHandle, type LostLaunch, type Provider, type StandbyLaunch } from "../providers/provider.js";
import type { JitHandoff } from "../providers/jit-handoff.js";
import { launchId, type JobRecord, type LaunchPatch, type LaunchRecord, type Store } from "../store/store.js";
import type { LaunchGate } from "./launch-gate.js";
import { deregisterByName } from "./runners.js";
import type { ControllerObserver } from "./observer.js";
import { repoRefOf } from "./repo-ref.js";
import { patchFor } from "./tracker.js";
import { issueJit, removeIssued, type JitRegistration, type ScaleSetRunners } from "./scale-set-runners.js";

export interface RunnerPlacement {
  /** Repository runners by default; organization runners (in a runner group) by configuration. */
  readonly scope: "repo" | "org";
  readonly runnerGroupId: number;
}

export interface LauncherDeps {
  readonly store: Store;
  readonly github: GitHubPort;
  readonly providers: ReadonlyMap<Backend, Provider>;
  /** Names and deletes the JIT parameter of a start a crash cut short (abandon); absent: left to its expiry. */
  readonly handoff?: Pick<JitHandoff, "nameFor" | "discard">;
  readonly gate: LaunchGate;
  readonly placement: RunnerPlacement;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly observer: ControllerObserver;
  /** Runner scale sets, when configured: a scale set's job's runner registers through its scale set. */
  readonly scaleSets?: ScaleSetRunners | undefined;
}

/** One runner to start: everything in which a job's runner and a pool runner differ. */
export interface RunnerStart {
  /** Its place in the launch gate's line, kept while it keeps asking: `job:<id>` (jobWaiter), `pool:<backend>/<arch>`. */
  readonly waiter: string;
  /** Its launch row: a job and attempt, or NO_JOB and a number unique among such runners. */
  readonly row: { readonly jobId: number; readonly attempt: number; readonly fallbackFrom?: Backend | undefined };
  readonly runnerName: string;
  /** What to start; `runnerLabels` are the labels the runner registers with, and all a job is matched against. */
  readonly spec: LaunchSpec;
  /**
   * Where the runner registers on GitHub (its `name` and `labels` come from above) — or, for a standby, nowhere yet:
   * it waits for the JIT config a job's handoff writes to its parameter (controller/standby-handoff.ts).
   */
  readonly registration: JitRegistration | StandbyRegistration;
  /** ECS clientToken / CodeBuild idempotencyToken: a repeated start of this runner starts nothing new. */
  readonly idempotencyKey: string;
  /** What the task's tags and environment name as its job, run and repository (0 for none). */
  readonly serves: { readonly jobId: number; readonly runId: number; readonly repository: string };
  /** When its job arrived: the launch latency metric counts from here. Absent for a runner started for no job. */
  readonly since?: number;
  /**
   * Asked once admitted, before anything is recorded: false leaves the runner unstarted (a job GitHub says is no
   * longer queued). Admission first, so a job held back by a limit is asked about once, when it is its turn.
   */
  readonly ready?: () => Promise<boolean>;
}

/** A standby's part of its start: its row's StandbyRole (free), and when it stops waiting (its runner exits). */
export interface StandbyRegistration {
  readonly standby: StandbyRole;
  readonly until: number;
  /** How often it polls for its config (core/runner-env.ts standbyPollMs). */
  readonly pollMs?: number | undefined;
}

export type StartOutcome =
  /** The gate holds it back (a limit, older requests, the quotas): ask again after `retryInMs`, keeping its place. */
  | { readonly kind: "held"; readonly retryInMs: number; readonly reason: string }
  /** Admitted, but `ready` said no: nothing recorded, nothing started. */
  | { readonly kind: "not-ready" }
  /** Its launch row exists: another worker (or an earlier life of this one) owns this start. */
  | { readonly kind: "skipped" }
  | { readonly kind: "launched"; readonly handle: LaunchHandle }
  /** Recorded as failed; `errorKind` is the detailed kind ("capacity", "github-forbidden", ...) for reports. */
  | { readonly kind: "failed"; readonly failure: LaunchFailure; readonly errorKind: string };

/** The launch gate's name for a job waiting for its runner. */
export function jobWaiter(jobId: number): string {
  return `job:${jobId}`;
}

export class Launcher {
  constructor(private readonly deps: LauncherDeps) {}

  /** A job's runner, attempt `attempt`: registered with exactly the job's labels, in its repository (or organization). */
  forJob(job: JobRecord, attempt: number, spec: LaunchSpec, opts: { fallbackFrom?: Backend | undefined; ready?: () => Promise<boolean> } = {}): RunnerStart {
    return {
      waiter: jobWaiter(job.id),
      row: { jobId: job.id, attempt, fallbackFrom: opts.fallbackFrom },
      runnerName: runnerName(job.id, attempt),
      spec,
      registration: job.decision?.kind === "launch" && job.decision.scaleSet ? { scaleSet: job.decision.scaleSet } : this.target(job),
      idempotencyKey: idempotencyKey(job.id, attempt),
      serves: { jobId: job.id, runId: job.runId, repository: job.repository },
      since: job.receivedAt,
      ...(opts.ready ? { ready: opts.ready } : {}),
    };
  }

  /** Starts one runner, through the launch gate. Every runner tornade starts comes through here. */
  async start(r: RunnerStart): Promise<StartOutcome> {
    const admission = await this.deps.gate.admit(r.waiter, r.spec.backend);
    if (!admission.ok) return { kind: "held", retryInMs: admission.retryInMs, reason: admission.reason };
    try {
      if (r.ready && !(await r.ready())) return { kind: "not-ready" };
      const created = await this.deps.store.putLaunch({
        jobId: r.row.jobId,
        attempt: r.row.attempt,
        backend: r.spec.backend,
        arch: r.spec.arch,
        runnerName: r.runnerName,
        requestedAt: this.deps.clock.now(),
        state: "requested",
        fallbackFrom: r.row.fallbackFrom ?? null,
        standby: "standby" in r.registration ? r.registration.standby : null,
      });
      // From here the row counts against the limits, through the store.
      admission.recorded();
      if (!created) return { kind: "skipped" };
      return await this.launchRecorded(r);
    } finally {
      admission.recorded();
    }
  }

  /** How long a handoff to a standby must wait for GitHub's and Parameter Store's pacing; 0: go (tokens taken). */
  paceHandoff(): number {
    return this.deps.gate.paceHandoff();
  }

  /** `waiter` wants no runner any more: the waiters behind it in the gate's line need not wait for it. */
  leave(waiter: string, backend?: Backend): void {
    this.deps.gate.leave(waiter, backend);
  }

  /** Runner starts the launch gate holds back now, per backend (for /metrics). */
  waiting(): Record<Backend, number> {
    return this.deps.gate.waiting();
  }

  /**
   * The task or build a launch started, when its provider can find it by the runner's name (see Provider.findLaunch).
   * A look AWS refuses for good (a missing permission such as codebuild:ListBuildsForProject) counts as not found, and
   * says so: refused at every look, it would otherwise leave the launch unresolved for ever. Other failures throw (the
   * caller looks again later).
   */
  async findLaunch(launch: LostLaunch): Promise<LaunchHandle | undefined> {
    const provider = this.deps.providers.get(launch.backend);
    try {
      return await provider?.findLaunch(launch);
    } catch (e) {
      if (!(e instanceof LaunchError) || e.kind !== "permanent") throw e;
      this.deps.logger.warn({ runnerName: launch.runnerName, err: e.message }, "could not look for a launch whose answer was lost: taken as not found. Fix: grant tornade's role the action named");
      return undefined;
    }
  }

  /** Stops a launched runner and removes its registration, recording why. Safe to repeat. */
  async stop(job: JobRecord, launch: LaunchRecord, why: TornadeStop, reason: string): Promise<void> {
    const provider = this.deps.providers.get(launch.backend);
    if (provider && launch.providerId) {
      await provider.stop({ backend: launch.backend, id: launch.providerId }, reason);
    }
    const scaleSet = job.decision?.kind === "launch" ? job.decision.scaleSet : undefined;
    if (scaleSet && this.deps.scaleSets) await this.deps.scaleSets.removeByName(launch.runnerName);
    else await deregisterByName(this.deps.github, this.target(job), launch.runnerName);
    await this.update(launch.id, { state: "stopped", stoppedAt: this.deps.clock.now(), outcome: { kind: why, reason } });
  }

  /**
   * Removes the registration of job's runner `name` unless GitHub says it is busy (then it runs a job: left alone). A
   * JIT config whose registration is removed is dead: a runner that reads it later is refused (401).
   */
  releaseRegistration(job: JobRecord, name: string): Promise<"removed" | "absent" | "busy"> {
    return deregisterByName(this.deps.github, this.target(job), name);
  }

  /**
   * Stops the task or build of a runner whose registration is already gone (a drained pool runner), unless it has
   * stopped by itself. Its row is closed once the provider says it has stopped — here when it already has, later by
   * the tracker or closeIfStopped — since a stopping task still holds its place under the runner limits. True when a
   * stop was sent.
   */
  async stopUnregistered(launch: LaunchRecord, why: string): Promise<boolean> {
    if (await this.closeIfStopped(launch)) return false;
    const provider = this.deps.providers.get(launch.backend);
    // Without either, closeIfStopped has closed the row.
    if (!provider || !launch.providerId) return false;
    await provider.stop({ backend: launch.backend, id: launch.providerId }, why);
    return true;
  }

  /** Closes the row of a runner whose task or build has stopped, or that has none to wait for; true when it did. */
  async closeIfStopped(launch: LaunchRecord): Promise<boolean> {
    const provider = this.deps.providers.get(launch.backend);
    if (!provider || !launch.providerId) {
      await this.update(launch.id, { state: "stopped", stoppedAt: this.deps.clock.now() });
      return true;
    }
    const [state] = await provider.describe([{ backend: launch.backend, id: launch.providerId }]);
    if (state?.status !== "stopped") return false;
    await this.update(launch.id, patchFor(launch, state) ?? { state: "stopped" });
    return true;
  }

  /**
   * A start whose process died before it finished, found nowhere: its row is closed so it no longer counts. Written
   * against the version it was judged on: a start that did finish meanwhile wins (VersionConflict: look again).
   */
  async abandon(launch: LaunchRecord, reason: string): Promise<void> {
    await this.deps.store.updateLaunch(launch.id, launch.version, { state: "failed", error: { kind: "transient", message: reason }, stoppedAt: this.deps.clock.now() });
    // The process may have died after writing the runner's JIT config, before RunTask / StartBuild. A standby's own
    // start writes none, and a handed-off attempt's config is in its standby's parameter, which the standby round settles.
    if (launch.standby === null && launch.handoffFrom === null) await this.discardConfig(launch.runnerName);
  }

  /**
   * Deletes the JIT parameter of a runner that will never read it (its start abandoned, or failed and found nowhere),
   * now rather than at its expiry. A runner found later anyway has had its registration removed: it could not run.
   */
  private async discardConfig(runnerName: string): Promise<void> {
    await this.deps.handoff?.discard([this.deps.handoff.nameFor(runnerName)]);
  }

  /** Admitted and recorded as "requested": JIT config, provider launch, outcome recorded. */
  private async launchRecorded(r: RunnerStart): Promise<StartOutcome> {
    const { clock } = this.deps;
    const { spec, row } = r;
    const id = launchId(row.jobId, row.attempt);
    const log = this.deps.logger.child({ jobId: row.jobId, attempt: row.attempt, backend: spec.backend, arch: spec.arch });
    if (row.fallbackFrom) this.deps.observer.fallback({ from: row.fallbackFrom, to: spec.backend });
    const report = (outcome: "launched" | "failed", errorKind?: string) => {
      if (r.since === undefined) return;
      this.deps.observer.launch({ backend: spec.backend, arch: spec.arch, outcome, latencyMs: Math.max(0, clock.now() - r.since), ...(errorKind ? { errorKind } : {}) });
    };
    const fail = async (failure: LaunchFailure, errorKind: string): Promise<StartOutcome> => {
      report("failed", errorKind);
      await this.update(id, { state: "failed", error: failure, stoppedAt: clock.now() });
      log.warn({ error: failure }, "launch failed");
      return { kind: "failed", failure, errorKind };
    };

    const provider = this.deps.providers.get(spec.backend);
    if (!provider) return fail({ kind: "permanent", message: `no provider is configured for ${spec.backend}` }, "permanent");

    const registration = r.registration;
    // A standby is told where its config will be; any other runner gets its own now.
    let jit: { readonly runnerId: number; readonly target: JitRegistration } | undefined;
    let credentials: { readonly jitConfig: string } | { readonly standby: StandbyLaunch };
    if ("standby" in registration) {
      credentials = { standby: { parameter: registration.standby.parameter, until: registration.until, pollMs: registration.pollMs } };
    } else {
      try {
        const got = await issueJit(this.deps, registration, r.runnerName, spec.runnerLabels);
        jit = { runnerId: got.runnerId, target: registration };
        credentials = { jitConfig: got.encodedJitConfig };
      } catch (e) {
        if (!(e instanceof GitHubError)) throw e;
        return fail({ kind: e.retryable || e.kind === "conflict" ? "transient" : "permanent", message: `GitHub: ${e.message}` }, `github-${e.kind}`);
      }
    }

    const launched = async (handle: LaunchHandle): Promise<StartOutcome> => {
      await this.update(id, { state: "launched", providerId: handle.id, launchedAt: clock.now() });
      log.info({ providerId: handle.id, runnerName: r.runnerName, fallbackFrom: row.fallbackFrom }, "runner launched");
      report("launched");
      return { kind: "launched", handle };
    };
    const requestedAt = clock.now();
    try {
      return await launched(await provider.launch({ idempotencyKey: r.idempotencyKey, spec, runnerName: r.runnerName, ...r.serves, ...credentials }));
    } catch (e) {
      if (!(e instanceof LaunchError)) throw e;
      // A server fault or a cut connection may hide a start that landed (every answer lost): found, it is this launch.
      const found = e.kind === "transient" ? await this.findLost({ backend: spec.backend, arch: spec.arch, runnerName: r.runnerName, requestedAt }, log) : undefined;
      if (found) {
        log.warn({ providerId: found.id, err: e.message }, "launch answered with an error but found started: recorded");
        return launched(found);
      }
      // The registered runner will never come online: remove it so it does not linger as offline, and its config.
      if (jit) {
        const { runnerId, target } = jit;
        await removeIssued(this.deps, target, runnerId).catch((err: unknown) =>
          log.warn({ runnerId, err: String(err) }, "could not remove an unused runner registration"),
        );
        if (e.kind === "transient") await this.discardConfig(r.runnerName);
      }
      return fail({ kind: e.kind, message: e.message }, e.kind);
    }
  }

  /** A start whose answer was lost, looked for once; a look that fails even for a while counts as not found here. */
  private async findLost(lost: LostLaunch, log: Logger): Promise<LaunchHandle | undefined> {
    try {
      return await this.findLaunch(lost);
    } catch (e) {
      log.warn({ err: String(e) }, "could not look for a launch whose answer was lost: recorded as failed");
      return undefined;
    }
  }

  private target(job: JobRecord) {
    const { scope, runnerGroupId } = this.deps.placement;
    return { ...repoRefOf(job), scope, runnerGroupId };
  }

  private update(id: string, patch: LaunchPatch): Promise<void> {
    return updateLatest(this.deps.store, id, patch);
  }
}

/**
 * A launch row is written by whoever holds its start (a job's lease, the pool's or the standbys' round), but the
 * tracker may have moved it on since it was read: re-read right before writing.
 */
export async function updateLatest(store: Pick<Store, "getLaunch" | "updateLaunch">, id: string, patch: LaunchPatch): Promise<void> {
  const current = await store.getLaunch(id);
  if (!current) throw new Error(`launch ${id} vanished`);
  await store.updateLaunch(id, current.version, patch);
}
