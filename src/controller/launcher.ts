/**
 * Performs one launch decision: record the attempt, get a JIT runner config from GitHub, start the runner on its
 * backend, record the outcome. The JIT config passes from GitHub to AWS in memory only: never logged or stored.
 *
 * Order matters for crash safety: the launch row ("requested") is written before anything is asked of GitHub or AWS,
 * so a crash at any point leaves a row that reconcile can see and resolve (see core/reconcile.ts requestLeaseMs).
 */
import type { Clock } from "../clock/clock.js";
import { idempotencyKey, runnerName } from "../core/reconcile.js";
import type { TornadeStop } from "../core/launch-outcome.js";
import type { Backend, LaunchFailure, LaunchSpec } from "../core/types.js";
import { GitHubError } from "../github/errors.js";
import type { GitHubPort } from "../github/github-port.js";
import type { Logger } from "../log/logger.js";
import { LaunchError, type LaunchHandle, type Provider } from "../providers/provider.js";
import { launchId, type JobRecord, type LaunchRecord, type Store } from "../store/store.js";
import { deregisterByName } from "./runners.js";
import type { ControllerObserver } from "./observer.js";
import { repoRefOf } from "./repo-ref.js";

export interface RunnerPlacement {
  /** Repository runners by default; organization runners (in a runner group) by configuration. */
  readonly scope: "repo" | "org";
  readonly runnerGroupId: number;
}

export interface LauncherDeps {
  readonly store: Store;
  readonly github: GitHubPort;
  readonly providers: ReadonlyMap<Backend, Provider>;
  readonly placement: RunnerPlacement;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly observer: ControllerObserver;
}

export type LaunchOutcome = "launched" | "failed" | "skipped";

export class Launcher {
  constructor(private readonly deps: LauncherDeps) {}

  async launch(job: JobRecord, attempt: number, spec: LaunchSpec, fallbackFrom?: Backend): Promise<LaunchOutcome> {
    const { store, clock } = this.deps;
    const name = runnerName(job.id, attempt);
    const log = this.deps.logger.child({ jobId: job.id, attempt, backend: spec.backend, arch: spec.arch });
    const created = await store.putLaunch({
      jobId: job.id,
      attempt,
      backend: spec.backend,
      arch: spec.arch,
      runnerName: name,
      requestedAt: clock.now(),
      state: "requested",
      fallbackFrom: fallbackFrom ?? null,
    });
    // Another worker (or an earlier life of this one) owns this attempt; reconcile will look at its row.
    if (!created) return "skipped";
    const id = launchId(job.id, attempt);
    if (fallbackFrom) this.deps.observer.fallback({ from: fallbackFrom, to: spec.backend });
    const report = (outcome: "launched" | "failed", errorKind?: string) =>
      this.deps.observer.launch({ backend: spec.backend, arch: spec.arch, outcome, latencyMs: Math.max(0, clock.now() - job.receivedAt), ...(errorKind ? { errorKind } : {}) });

    const provider = this.deps.providers.get(spec.backend);
    if (!provider) {
      report("failed", "permanent");
      return this.fail(id, { kind: "permanent", message: `no provider is configured for ${spec.backend}` }, log);
    }

    const target = this.target(job);
    let jit;
    try {
      jit = await this.deps.github.generateJitConfig({ ...target, name, labels: spec.runnerLabels });
    } catch (e) {
      if (!(e instanceof GitHubError)) throw e;
      report("failed", `github-${e.kind}`);
      return this.fail(id, { kind: e.retryable || e.kind === "conflict" ? "transient" : "permanent", message: `GitHub: ${e.message}` }, log);
    }

    try {
      const handle = await provider.launch({
        idempotencyKey: idempotencyKey(job.id, attempt),
        spec,
        jitConfig: jit.encodedJitConfig,
        runnerName: name,
        jobId: job.id,
        runId: job.runId,
        repository: job.repository,
      });
      await this.update(id, { state: "launched", providerId: handle.id, launchedAt: clock.now() });
      log.info({ providerId: handle.id, runnerName: name, fallbackFrom }, "runner launched");
      report("launched");
      return "launched";
    } catch (e) {
      if (!(e instanceof LaunchError)) throw e;
      // The registered runner will never come online: remove it so it does not linger as offline.
      await this.deps.github.deleteRunner(target, jit.runnerId).catch((err: unknown) =>
        log.warn({ runnerId: jit.runnerId, err: String(err) }, "could not remove an unused runner registration"),
      );
      report("failed", e.kind);
      return this.fail(id, { kind: e.kind, message: e.message }, log);
    }
  }

  /** The task or build a launch started, when its provider can find it by the runner's name (see Provider.findLaunch). */
  async findLaunch(launch: LaunchRecord): Promise<LaunchHandle | undefined> {
    return this.deps.providers.get(launch.backend)?.findLaunch(launch.backend, launch.runnerName);
  }

  /** Stops a launched runner and removes its registration, recording why. Safe to repeat. */
  async stop(job: JobRecord, launch: LaunchRecord, why: TornadeStop, reason: string): Promise<void> {
    const provider = this.deps.providers.get(launch.backend);
    if (provider && launch.providerId) {
      await provider.stop({ backend: launch.backend, id: launch.providerId }, reason);
    }
    await deregisterByName(this.deps.github, this.target(job), launch.runnerName);
    await this.update(launch.id, { state: "stopped", stoppedAt: this.deps.clock.now(), outcome: { kind: why, reason } });
  }

  private target(job: JobRecord) {
    const { scope, runnerGroupId } = this.deps.placement;
    return { ...repoRefOf(job), scope, runnerGroupId };
  }

  private async fail(id: string, error: LaunchFailure, log: Logger): Promise<LaunchOutcome> {
    await this.update(id, { state: "failed", error, stoppedAt: this.deps.clock.now() });
    log.warn({ error }, "launch failed");
    return "failed";
  }

  /** Launch rows of one attempt are written by the worker holding its job's lease: a conflict means a bug, so re-read. */
  private async update(id: string, patch: Parameters<Store["updateLaunch"]>[2]): Promise<void> {
    const current = await this.deps.store.getLaunch(id);
    if (!current) throw new Error(`launch ${id} vanished`);
    await this.deps.store.updateLaunch(id, current.version, patch);
  }
}
