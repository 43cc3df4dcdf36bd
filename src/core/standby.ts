/**
 * Standby runners: pure decisions only (docs/standby.md). A standby is a runner task started for no job — booted,
 * image pulled, RUNNING — that has registered nowhere: it waits for the JIT config of the next job of its shape, which
 * tornade generates with that job's own labels when the job is queued and hands to exactly one standby. So a warm
 * runner stays single-use and bound to one job's labels.
 *
 * Here: what a standby's shape is (the resolved launch spec a job must equal to use it), what a standby launch row
 * carries (StandbyRole, a typed field of the row), how many standbys each shape should have and which to recycle
 * (planStandbys), and which standbys a queued job may take, best first (standbyCandidates). The controller does the
 * I/O; everything that can be wrong is here, in plain values.
 */
import { SELF_HOSTED, describeLabelErrors, interpretLabels, type LabelPolicy } from "./labels.js";
import { inSchedule, type PoolSchedule } from "./pool.js";
import type { LaunchView } from "./reconcile.js";
import type { Arch, Backend, LaunchPhase, LaunchSpec, Size } from "./types.js";

// ---------------------------------------------------------------------------------------------------------------
// Shapes

/** A shape as configuration names it: the label grammar turns it into a launch spec (standbyShapeLabels). */
export interface StandbyShape {
  readonly backend: Backend;
  readonly arch: Arch;
  /** A size preset; absent: the configured default size. */
  readonly size?: Size | undefined;
  /** A runner image of the catalog; absent: the default image. */
  readonly image?: string | undefined;
}

/** The labels whose launch spec (interpretLabels) is the standby's: what a job of this shape would say. */
export function standbyShapeLabels(launchLabel: string, shape: StandbyShape): string[] {
  return [
    SELF_HOSTED,
    launchLabel,
    `runs-on=${shape.backend}`,
    `arch=${shape.arch}`,
    ...(shape.size ? [`size=${shape.size}`] : []),
    ...(shape.image ? [`image=${shape.image}`] : []),
  ];
}

/** A shape as configuration writes it (a standby's, a scale set's runner's): the arch may be left to the default. */
export type ConfiguredShape = Omit<StandbyShape, "arch"> & { readonly arch?: Arch | undefined };

/**
 * The launch spec of a configured shape, through the label grammar exactly as a job saying so would get it; or why
 * it cannot be launched, in the grammar's words, with the shape as labels (`runs-on=…, arch=…`) for the message.
 */
export function shapeSpec(entry: ConfiguredShape, defaultArch: Arch, policy: LabelPolicy): { spec: LaunchSpec } | { problem: string; shape: string } {
  const labels = standbyShapeLabels(policy.launchLabel, { ...entry, arch: entry.arch ?? defaultArch });
  const verdict = interpretLabels(labels, policy);
  if (verdict.kind === "launch") return { spec: verdict.spec };
  // The first two labels (self-hosted and the launch label) are the same for every shape.
  return { problem: verdict.kind === "error" ? describeLabelErrors(verdict.errors) : verdict.reason, shape: labels.slice(2).join(", ") };
}

/**
 * What a task or build is, physically: a job may take a standby only when its own launch spec has the same key. The
 * key reads the resolved spec, not the labels, so `size=medium` and `cpu=1 memory=2048` on Fargate are one shape,
 * while the labels a runner registers with (runnerLabels) are no part of it: the standby gets them with its JIT config.
 * On CodeBuild the size is the compute type; on Fargate cpu, memory and disk are what the task gets.
 */
export function standbyShapeKey(spec: LaunchSpec): string {
  const sizing = spec.backend === "CODEBUILD" ? `size=${spec.size ?? "-"}` : `cpu=${spec.cpu ?? "-"},memory=${spec.memory ?? "-"},disk=${spec.disk ?? "-"}`;
  // A job bound for a CodeBuild reserved-capacity fleet runs on the fleet's instances, not on a standby's build.
  const fleet = spec.fleet ? `/fleet=${spec.fleet}` : "";
  return `${spec.backend}/${spec.arch}/${sizing}/image=${spec.image}${fleet}`;
}

// ---------------------------------------------------------------------------------------------------------------
// The standby's part of a launch row

export const STANDBY_RETIREMENTS = ["idle-age", "surplus", "stale", "handoff-abandoned"] as const;
/**
 * Why tornade recycles a standby: too old (fresh images), not wanted any more, never came up, or claimed for a handoff
 * that was abandoned after its JIT config may have been written (judgeClaim "retire").
 */
export type StandbyRetirement = (typeof STANDBY_RETIREMENTS)[number];

export type StandbyStatus =
  /** Waiting (or booting) for a job: may be claimed. */
  | { readonly kind: "free" }
  /**
   * Claimed for a job's launch attempt (a versioned write: of two claims only one wins). The attempt's launch row is
   * written next, naming this standby (LaunchRecord.handoffFrom); once the handoff is recorded there, this row is
   * closed and the task is that row's runner. A claim nothing followed up is settled by judgeClaim.
   */
  | { readonly kind: "claimed"; readonly jobId: number; readonly attempt: number; readonly at: number }
  /** Being recycled: its task is stopping; a claim can no longer take it. */
  | { readonly kind: "retired"; readonly why: StandbyRetirement; readonly at: number };

/** What a standby's launch row (job id NO_JOB) carries beside the usual fields: store LaunchRecord.standby. */
export interface StandbyRole {
  /** standbyShapeKey of the spec it was started with. */
  readonly shape: string;
  /**
   * The name of the one-time SSM parameter it polls for its JIT config (unguessable, under tornade's prefix; the name
   * is no credential — reading the value takes a runner role and the KMS key). Kept so that any replica can hand off.
   */
  readonly parameter: string;
  readonly status: StandbyStatus;
}

/** How long a retired standby's stop may take to show before it is sent again (ECS stops a task within ~30 s). */
export const STOP_AGAIN_MS = 2 * 60_000;

/**
 * Whether a retired standby still running should be stopped again: the controller may have died between marking it
 * retired and sending the stop, or the stop failed, and nothing else would stop it before its own deadline.
 */
export function stopOverdue(role: StandbyRole | null | undefined, now: number): boolean {
  return role?.status.kind === "retired" && now - role.status.at >= STOP_AGAIN_MS;
}

// ---------------------------------------------------------------------------------------------------------------
// The plan for one round

/** What configuration asks for one shape. */
export interface StandbyTarget {
  /** standbyShapeKey of `spec`. */
  readonly shape: string;
  /** The spec standbys of this shape are started with (runnerLabels unused: a standby registers with its job's). */
  readonly spec: LaunchSpec;
  /** Standbys to keep while the schedule is on. */
  readonly count: number;
  readonly schedule?: PoolSchedule | undefined;
}

/** A standby's launch row, as the plan and the choice read it: only rows still active (requested, launched, running). */
export interface StandbyView {
  /** Its launch id. */
  readonly id: string;
  readonly shape: string;
  readonly state: LaunchPhase;
  readonly status: StandbyStatus["kind"];
  readonly requestedAt: number;
  /** When its task was seen running (image pulled), if it has been. */
  readonly startedAt: number | null;
}

export interface StandbyPolicy {
  /**
   * A free standby this long after its launch is recycled (a fresh image, a fresh task): kept only until a fresh one
   * of its shape is waiting to take its place, and at most bootTimeoutMs longer.
   */
  readonly maxIdleMs: number;
  /** A standby not running this long after its launch never came up: recycled and replaced. */
  readonly bootTimeoutMs: number;
  /** At most this many launches per round (all shapes), so that many standbys fill at a pace AWS and GitHub accept. */
  readonly maxLaunchesPerRound: number;
}

export interface StandbyShapeStatus {
  readonly shape: string;
  readonly desired: number;
  /** Free, launched, not running yet. */
  readonly booting: number;
  /** Free and running: a job of its shape starts on it in seconds. */
  readonly waiting: number;
  /** Being recycled: still a task (and counted against the limits) until it has stopped. */
  readonly retiring: number;
}

export interface StandbyPlan {
  /** Per shape (configured ones, and any with standbys left): what it wants and has. */
  readonly shapes: readonly StandbyShapeStatus[];
  readonly launch: readonly { readonly shape: string; readonly count: number }[];
  readonly retire: readonly { readonly id: string; readonly why: StandbyRetirement }[];
}

/** How many standbys a shape should have at `now`: its count inside its schedule, 0 outside. */
export function desiredStandbys(target: StandbyTarget, now: number): number {
  return target.schedule === undefined || inSchedule(target.schedule, now) ? target.count : 0;
}

/** A standby that is free, still booting past the boot timeout: it never came up. */
function isStale(s: StandbyView, now: number, policy: StandbyPolicy): boolean {
  return s.state !== "running" && now - s.requestedAt > policy.bootTimeoutMs;
}

function isAged(s: StandbyView, now: number, policy: StandbyPolicy): boolean {
  return now - s.requestedAt > policy.maxIdleMs;
}

const newestFirst = (a: StandbyView, b: StandbyView) => b.requestedAt - a.requestedAt || (a.id < b.id ? 1 : -1);

/**
 * Decides a round. Per shape: free standbys booting past the boot timeout are retired as stale; the fresh ones
 * (free, younger than maxIdleMs) are compared with the desired count — missing ones launched, extra ones retired as
 * surplus (those still booting first, newest first). Aged ones (older than maxIdleMs) are replaced make-before-break:
 * a fresh one is launched for each at once, and an aged one is retired as soon as a fresh one is waiting (running)
 * to take its place, or bootTimeoutMs after its idle age at the latest. Claimed standbys are another job's runner
 * and not shown here; retired ones are counted until their task has stopped but never retired twice.
 */
export function planStandbys(targets: readonly StandbyTarget[], standbys: readonly StandbyView[], now: number, policy: StandbyPolicy): StandbyPlan {
  const desired = new Map<string, number>();
  for (const t of targets) desired.set(t.shape, (desired.get(t.shape) ?? 0) + desiredStandbys(t, now));
  for (const s of standbys) if (!desired.has(s.shape)) desired.set(s.shape, 0);

  const shapes: StandbyShapeStatus[] = [];
  const launch: { shape: string; count: number }[] = [];
  const retire: { id: string; why: StandbyRetirement }[] = [];
  let budget = Math.max(0, policy.maxLaunchesPerRound);
  for (const [shape, want] of desired) {
    const mine = standbys.filter((s) => s.shape === shape);
    const free = mine.filter((s) => s.status === "free");
    const stale = free.filter((s) => isStale(s, now, policy));
    const aged = free.filter((s) => !stale.includes(s) && isAged(s, now, policy));
    const fresh = free.filter((s) => !stale.includes(s) && !aged.includes(s));
    const freshWaiting = fresh.filter((s) => s.state === "running");
    for (const s of stale) retire.push({ id: s.id, why: "stale" });

    // The youngest aged ones stand in while their replacements boot, within the overstay allowed.
    const standIns = Math.max(0, want - freshWaiting.length);
    const overstayOk = aged.filter((s) => now - s.requestedAt <= policy.maxIdleMs + policy.bootTimeoutMs).sort(newestFirst);
    const kept = new Set(overstayOk.slice(0, standIns));
    for (const s of aged) if (!kept.has(s)) retire.push({ id: s.id, why: "idle-age" });

    if (fresh.length < want) {
      const count = Math.min(want - fresh.length, budget);
      budget -= count;
      if (count > 0) launch.push({ shape, count });
    } else if (fresh.length > want) {
      const order = [...fresh.filter((s) => s.state !== "running").sort(newestFirst), ...freshWaiting.sort(newestFirst)];
      for (const s of order.slice(0, fresh.length - want)) retire.push({ id: s.id, why: "surplus" });
    }
    const retiring = new Set(retire.map((r) => r.id));
    const left = free.filter((s) => !retiring.has(s.id));
    shapes.push({
      shape,
      desired: want,
      booting: left.filter((s) => s.state !== "running").length,
      waiting: left.filter((s) => s.state === "running").length,
      retiring: mine.filter((s) => s.status === "retired" || retiring.has(s.id)).length,
    });
  }
  return { shapes, launch, retire };
}

// ---------------------------------------------------------------------------------------------------------------
// Which standby a job gets

/**
 * The standbys a job whose launch spec has shape key `shape` may take, best first: free ones of its shape that have
 * not passed the boot timeout — running ones first (its runner starts at once), the longest-waiting first (the next
 * to be recycled), then booting ones, the earliest launched first (the nearest to running). The controller claims
 * them in this order until a claim succeeds (another job may claim the same one at the same moment: the store's
 * transaction lets only one win); none left → the job launches cold.
 */
export function standbyCandidates(shape: string, standbys: readonly StandbyView[], now: number, policy: Pick<StandbyPolicy, "bootTimeoutMs">): StandbyView[] {
  const oldestFirst = (a: StandbyView, b: StandbyView) => a.requestedAt - b.requestedAt || (a.id < b.id ? -1 : 1);
  const usable = standbys.filter((s) => s.shape === shape && s.status === "free" && (s.state === "running" || now - s.requestedAt <= policy.bootTimeoutMs));
  return [...usable.filter((s) => s.state === "running").sort(oldestFirst), ...usable.filter((s) => s.state !== "running").sort(oldestFirst)];
}

// ---------------------------------------------------------------------------------------------------------------
// Claims nothing followed up

/** The launch row a claim was for, as judgeClaim reads it: absent when it was never written. */
export interface ClaimedLaunchView {
  /** The standby's launch id it names (LaunchRecord.handoffFrom); null for a cold launch. */
  readonly handoffFrom: string | null;
  readonly state: LaunchPhase;
}

export type ClaimVerdict =
  /** The handoff may still be under way: look again later. */
  | { readonly kind: "wait"; readonly until: number }
  /** The claim lost the race for its attempt's launch row (or its claimant died before writing it): no JIT config was
   * ever written for this standby, so it is free again. */
  | { readonly kind: "release" }
  /** The handoff was recorded on the job's row: this row's part is over (the task is the job's runner). */
  | { readonly kind: "close" }
  /** The handoff was abandoned after the JIT config may have been written: the standby is nobody's; stop it. */
  | { readonly kind: "retire" };

/**
 * What to do with a standby claimed `claimLeaseMs` ago or longer. The claimant writes, in order: the claim on the
 * standby's row, the job's launch row naming the standby (insert-if-absent), the JIT config to the standby's
 * parameter, the job's row `launched`, and last this row closed. A crash can stop it after any step, so a round reads
 * the job's row: not naming this standby → nothing was handed (release); handed off → close; abandoned (failed) or
 * still requested past the lease → the config may be in the parameter: retire the standby rather than reuse it.
 */
export function judgeClaim(
  standbyId: string,
  claimedAt: number,
  launch: ClaimedLaunchView | undefined,
  now: number,
  claimLeaseMs: number,
): ClaimVerdict {
  if (now - claimedAt < claimLeaseMs) return { kind: "wait", until: claimedAt + claimLeaseMs };
  if (!launch || launch.handoffFrom !== standbyId) return { kind: "release" };
  if (launch.state === "launched" || launch.state === "running" || launch.state === "stopped") return { kind: "close" };
  return { kind: "retire" };
}

// ---------------------------------------------------------------------------------------------------------------
// The runner a handed-off attempt ran on

/** A launch row as attemptRunner reads it: the fields of a LaunchView, and the standby it names. */
export type HandedLaunchView = LaunchView & { readonly handoffFrom: string | null };

/**
 * The runner a job's launch attempt ran on, as the job's re-run decision reads it (core/reconcile.ts JobView.ranOn).
 * A handed-off attempt's own row follows its standby's task only from the handoff's record on (`launched`, the task as
 * its provider id). Before that the standby's row alone follows the task — and for good when the handoff failed after
 * its config landed, or its claimant died (the attempt's row failed, or still requested), and the standby took the job
 * before the standby round adopted it (StandbyManager.adoptIfBusy). No other task was ever handed that attempt's
 * config, so a runner of the attempt's name ran on the standby's task: its state, its end and a Spot interruption
 * above all are read from the standby's row, or the job lost to the interruption would never be re-run.
 */
export function attemptRunner(own: HandedLaunchView, standby: (LaunchView & { readonly id: string }) | undefined): LaunchView {
  if (!standby || own.providerId !== null || own.handoffFrom !== standby.id) return own;
  return {
    ...own,
    state: standby.state,
    providerId: standby.providerId,
    launchedAt: standby.launchedAt ?? null,
    startedAt: standby.startedAt ?? null,
    stoppedAt: standby.stoppedAt ?? null,
    spotInterrupted: standby.spotInterrupted ?? false,
    outcome: standby.outcome ?? null,
    error: null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Names

export const STANDBY_NAME_PREFIX = "tornade-standby-";

/**
 * The name of a standby's launch (its task's tag and its parameter's readable part), `tornade-standby-<n>` with `n`
 * the row's attempt number (unique among runners started for no job). A standby never registers under it: it
 * registers under the name in the JIT config it is handed, its job's runner name (core/reconcile.ts runnerName).
 */
export function standbyName(n: number): string {
  return `${STANDBY_NAME_PREFIX}${n}`;
}
