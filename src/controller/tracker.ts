/**
 * Follows launched runners through their backend's state (pending → running → stopped) with batched describe calls
 * — one call per backend per round, never one per job — and asks for a look at any job whose runner changed.
 */
import type { Clock } from "../clock/clock.js";
import type { ReconcilePolicy } from "../core/reconcile.js";
import type { Backend } from "../core/types.js";
import type { Logger } from "../log/logger.js";
import type { LaunchState, Provider } from "../providers/provider.js";
import type { EnqueueItem } from "../queue/queue.js";
import type { Intake } from "../store/intake.js";
import { NO_JOB, type LaunchPatch, type LaunchRecord, type Store } from "../store/store.js";
import { isTaken, takenBySibling } from "../core/launch-outcome.js";
import { idleLook, reconcileItem } from "./work-items.js";
import type { ControllerObserver } from "./observer.js";

export interface TrackerDeps {
  readonly store: Store;
  /** Where a runner's new state is written with the look it asks for, in one write (store/intake.ts). */
  readonly intake: Intake;
  readonly providers: ReadonlyMap<Backend, Provider>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly observer: ControllerObserver;
  /** When given, a job's look is left out if it would find nothing to do (work-items.ts idleLook). */
  readonly reconcilePolicy?: ReconcilePolicy;
}

/** Launches looked at per round; the rest wait for the next round (oldest first). */
const ROUND_LIMIT = 1000;

export class Tracker {
  constructor(private readonly deps: TrackerDeps) {}

  /** One round. Returns how many launches changed. */
  async track(): Promise<number> {
    const launches = await this.deps.store.listLaunchesByState(["launched", "running"], ROUND_LIMIT);
    const byProvider = new Map<Provider, LaunchRecord[]>();
    for (const l of launches) {
      const p = this.deps.providers.get(l.backend);
      if (!p || l.providerId === null) continue;
      byProvider.set(p, [...(byProvider.get(p) ?? []), l]);
    }
    let changed = 0;
    for (const [provider, rows] of byProvider) {
      let states: LaunchState[];
      try {
        states = await provider.describe(rows.map((l) => ({ backend: l.backend, id: l.providerId as string })));
      } catch (e) {
        this.deps.logger.warn({ err: String(e), backends: provider.backends }, "describe failed; will look again next round");
        continue;
      }
      const byId = new Map(states.map((s) => [s.handle.id, s]));
      for (const row of rows) {
        const state = byId.get(row.providerId as string);
        if (state && (await recordRunnerState(this.deps, row, state))) changed++;
      }
    }
    return changed;
  }
}

/**
 * Records a runner's new state on its launch row (versioned: a VersionConflict when the row moved) and, when it
 * stopped, asks for a look at the job it serves — the tracker's rounds and EventBridge's events (takeIn) alike.
 * Returns the patch, or null when the state says nothing new.
 */
export async function recordRunnerState(
  deps: {
    readonly intake: Intake;
    readonly logger: Logger;
    readonly observer: ControllerObserver;
    readonly clock: Clock;
    /** When given, the job's look is left out if it would find nothing to do (work-items.ts idleLook). */
    readonly reconcilePolicy?: ReconcilePolicy | undefined;
  },
  row: LaunchRecord,
  state: LaunchState,
): Promise<LaunchPatch | null> {
  const patch = patchFor(row, state);
  if (!patch) return null;
  const looks: EnqueueItem[] = [];
  if (lookAfter(patch)) {
    // A static pool runner's row has no job to look at again: the pool's round looks after it.
    if (row.jobId !== NO_JOB) looks.push(reconcileItem(row.jobId));
    // A runner an identical sibling took was running that sibling's job: its end (a Spot interruption above all)
    // is that job's business too, even if the job's own webhooks never say so.
    const takenBy = takenBySibling(row.outcome);
    if (takenBy !== undefined) looks.push(reconcileItem(takenBy));
    // A claimed standby's task may be running its claimant's job before that job's row names the task (a handoff that
    // failed after its config landed, a claimant that died: core/standby.ts attemptRunner), so the job looks too.
    const standby = row.standby?.status;
    if (standby?.kind === "claimed") looks.push(reconcileItem(standby.jobId));
  }
  // The row and its looks in one write: one synced commit, not one each (on SQLite; sequentialIntake elsewhere).
  await deps.intake.apply({ launch: { id: row.id, expectedVersion: row.version, patch }, enqueue: looks, ...(row.jobId !== NO_JOB ? idleLook(deps, row.jobId) : {}) });
  if (patch.state === "stopped") {
    deps.observer.runnerStopped({ backend: row.backend, arch: row.arch, succeeded: state.succeeded === true, spotInterrupted: state.spotInterrupted });
    deps.logger.info(
      { jobId: row.jobId, attempt: row.attempt, providerId: row.providerId, succeeded: state.succeeded, spotInterrupted: state.spotInterrupted, reason: state.reason },
      "runner stopped",
    );
  }
  return patch;
}

/**
 * Whether a launch's change can change what reconcile decides for a job, so that it is worth a work item (a lease, a
 * read of the job and its launches, an ack). A stop can: a queued job needs another runner, an interrupted one a
 * re-run. "launched" → "running" cannot (core/reconcile.ts decide): every branch reads the two alike, except a queued
 * job's own launch, where "launched" waits for the boot timeout and "running" is done — and that wait, if a look ever
 * decided it, is already a delayed item of the job's, which finds "done" when it comes due. So a runner coming up asks
 * for no look: one work item a job less.
 */
export function lookAfter(patch: LaunchPatch): boolean {
  return patch.state === "stopped";
}

export function patchFor(row: LaunchRecord, s: LaunchState): LaunchPatch | null {
  if (s.status === "stopped" && row.state !== "stopped") {
    return {
      state: "stopped",
      startedAt: row.startedAt ?? s.startedAt ?? null,
      stoppedAt: s.stoppedAt ?? null,
      spotInterrupted: s.spotInterrupted,
      // A runner known to have been taken — by a sibling, or by a job tornade refuses — keeps that mark (whose job it
      // ran is what matters next; the interruption is in spotInterrupted). Otherwise a failure says more than a clean
      // exit does.
      outcome:
        isTaken(row.outcome) || s.succeeded !== false
          ? row.outcome
          : s.spotInterrupted
            ? { kind: "spot-interrupted", checked: false, reason: s.reason ?? "runner failed" }
            : { kind: "runner-failed", reason: s.reason ?? "runner failed" },
    };
  }
  if (s.status === "running" && row.state === "launched") return { state: "running", startedAt: s.startedAt ?? null };
  return null;
}
