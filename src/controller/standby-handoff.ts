/**
 * Hands a job's launch attempt to a waiting standby runner (docs/standby.md, "The handoff"). In order, each step a
 * single-record conditional write or one call, so that a crash after any of them is settled by reconcile (the job's
 * row) and the standby round (core/standby.ts judgeClaim):
 * 1. claim the standby: a versioned write of its row, free → claimed for (job, attempt). Of two claims one wins; the
 *    loser tries the next candidate.
 * 2. the job's launch row for the attempt, "requested", naming the standby (handoffFrom): insert-if-absent, so one
 *    attempt gets one runner. Lost (another worker owns the attempt): release the claim.
 * 3. GitHub generates the job's JIT config: the job's labels, its repository, runner name tornade-<job>-<attempt>, as
 *    for a cold start. Refused: release the claim (nothing was written), the attempt fails as a cold one would.
 * 4. the config goes to the standby's one-time parameter (SecureString, only runner roles decrypt), which the standby
 *    polls. Failed: the attempt fails; the claim stays, and the round retires the standby (the write may have landed).
 * 5. the job's row becomes "launched" with the standby's task as its provider id, and the standby's row is closed:
 *    the task is the job's runner now, counted once.
 * The JIT config is in memory only between 3 and 4: never logged, never stored.
 */
import type { Clock } from "../clock/clock.js";
import type { StandbyRole } from "../core/standby.js";
import type { LaunchFailure } from "../core/types.js";
import { GitHubError } from "../github/errors.js";
import type { GitHubPort } from "../github/github-port.js";
import { issueJit, removeIssued, type JitRegistration, type ScaleSetRunners } from "./scale-set-runners.js";
import type { Logger } from "../log/logger.js";
import type { JitHandoff } from "../providers/jit-handoff.js";
import { LaunchError, type LaunchHandle } from "../providers/provider.js";
import { VersionConflict, launchId, type LaunchRecord, type Store } from "../store/store.js";
import { updateLatest as update, type RunnerStart } from "./launcher.js";

export interface StandbyHandoffDeps {
  readonly store: Pick<Store, "getLaunch" | "putLaunch" | "updateLaunch">;
  readonly github: Pick<GitHubPort, "generateJitConfig" | "deleteRunner">;
  /** Runner scale sets: a scale set's job's runner gets its JIT config from its scale set. */
  readonly scaleSets?: ScaleSetRunners | undefined;
  readonly handoff: Pick<JitHandoff, "handTo">;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The launch gate's pacing of GitHub JIT configs and Parameter Store writes (Launcher.paceHandoff); none: unpaced. */
  readonly pace?: () => number;
}

export type HandoffOutcome =
  /** No candidate could be claimed: the attempt launches cold, exactly as without standbys. */
  | { readonly kind: "none" }
  /** The attempt's launch row exists: another worker (or an earlier life of this one) owns it. */
  | { readonly kind: "skipped" }
  /** The start's `ready` said no (GitHub says the job is no longer queued): nothing claimed, nothing written. */
  | { readonly kind: "not-ready" }
  /** Paced: ask again after `retryInMs` (clock ms). Nothing claimed, nothing written. */
  | { readonly kind: "held"; readonly retryInMs: number }
  | { readonly kind: "launched"; readonly handle: LaunchHandle; readonly standbyId: string }
  /** Recorded as failed on the job's row, as a cold launch's failure would be. */
  | { readonly kind: "failed"; readonly failure: LaunchFailure; readonly errorKind: string };

/**
 * Hands the runner start `r` (a job's: Launcher.forJob) to the first of `candidates` it can claim — standby rows, best
 * first (core/standby.ts standbyCandidates), as read with their versions.
 */
export async function handOff(deps: StandbyHandoffDeps, r: RunnerStart, candidates: readonly LaunchRecord[]): Promise<HandoffOutcome> {
  const registration = r.registration;
  if ("standby" in registration) throw new Error(`runner ${r.runnerName} is a standby: only a job's runner start is handed to one`);
  if (candidates.length === 0) return { kind: "none" };
  // Asked once there is a standby to hand to; a cold start asks it after the launch gate's admission instead.
  if (r.ready && !(await r.ready())) return { kind: "not-ready" };
  const wait = deps.pace?.() ?? 0;
  if (wait > 0) return { kind: "held", retryInMs: wait };
  for (const standby of candidates) {
    const role = standby.standby;
    if (!role || role.status.kind !== "free" || standby.providerId === null || standby.backend !== r.spec.backend) continue;
    const now = deps.clock.now();
    let claimed: LaunchRecord;
    try {
      claimed = await deps.store.updateLaunch(standby.id, standby.version, { standby: { ...role, status: { kind: "claimed", jobId: r.row.jobId, attempt: r.row.attempt, at: now } } });
    } catch (e) {
      if (e instanceof VersionConflict) continue;
      throw e;
    }
    const created = await deps.store.putLaunch({
      jobId: r.row.jobId,
      attempt: r.row.attempt,
      backend: r.spec.backend,
      arch: r.spec.arch,
      runnerName: r.runnerName,
      requestedAt: now,
      state: "requested",
      fallbackFrom: r.row.fallbackFrom ?? null,
      handoffFrom: standby.id,
    });
    if (!created) {
      await release(deps.store, claimed, role);
      return { kind: "skipped" };
    }
    return deliver(deps, r, registration, claimed, role, { backend: standby.backend, id: standby.providerId });
  }
  return { kind: "none" };
}

async function deliver(
  deps: StandbyHandoffDeps,
  r: RunnerStart,
  registration: JitRegistration,
  standby: LaunchRecord,
  role: StandbyRole,
  handle: LaunchHandle,
): Promise<HandoffOutcome> {
  const { store, clock } = deps;
  const id = launchId(r.row.jobId, r.row.attempt);
  const log = deps.logger.child({ jobId: r.row.jobId, attempt: r.row.attempt, standby: standby.id });
  const fail = async (failure: LaunchFailure, errorKind: string): Promise<HandoffOutcome> => {
    await update(store, id, { state: "failed", error: failure, stoppedAt: clock.now() });
    log.warn({ error: failure }, "handoff to a standby failed");
    return { kind: "failed", failure, errorKind };
  };

  let jit;
  try {
    jit = await issueJit(deps, registration, r.runnerName, r.spec.runnerLabels);
  } catch (e) {
    if (!(e instanceof GitHubError)) throw e;
    // Nothing reached the standby's parameter: it is free for the next job.
    await release(store, standby, role);
    return fail({ kind: e.retryable || e.kind === "conflict" ? "transient" : "permanent", message: `GitHub: ${e.message}` }, `github-${e.kind}`);
  }
  try {
    await deps.handoff.handTo(role.parameter, { runnerName: r.runnerName, jitConfig: jit.encodedJitConfig });
  } catch (e) {
    if (!(e instanceof LaunchError)) throw e;
    const runnerId = jit.runnerId;
    await removeIssued(deps, registration, runnerId).catch((err: unknown) => log.warn({ runnerId, err: String(err) }, "could not remove an unused runner registration"));
    // The write may have landed (a lost answer): the standby stays claimed, and its round retires it (judgeClaim).
    return fail({ kind: e.kind, message: e.message }, e.kind);
  }
  await update(store, id, { state: "launched", providerId: handle.id, launchedAt: clock.now() });
  await closeStandby(store, standby, clock.now());
  log.info({ providerId: handle.id, runnerName: r.runnerName }, "job handed to a standby runner");
  return { kind: "launched", handle, standbyId: standby.id };
}

/** A claim nothing was handed under: free again. A conflict means the round or the tracker moved it: they settle it. */
async function release(store: StandbyHandoffDeps["store"], claimed: LaunchRecord, role: StandbyRole): Promise<void> {
  try {
    await store.updateLaunch(claimed.id, claimed.version, { standby: { ...role, status: { kind: "free" } } });
  } catch (e) {
    if (!(e instanceof VersionConflict)) throw e;
  }
}

/**
 * The standby's row ends: its task is the job's row's runner now. The tracker may have moved the row since the claim
 * (running): re-read once; if it still holds, the standby round closes it (judgeClaim "close").
 */
async function closeStandby(store: StandbyHandoffDeps["store"], claimed: LaunchRecord, now: number): Promise<void> {
  for (let tries = 0; tries < 2; tries++) {
    const current = tries === 0 ? claimed : await store.getLaunch(claimed.id);
    if (!current || current.state === "stopped" || current.state === "failed") return;
    try {
      await store.updateLaunch(current.id, current.version, { state: "stopped", stoppedAt: now });
      return;
    } catch (e) {
      if (!(e instanceof VersionConflict)) throw e;
    }
  }
}
